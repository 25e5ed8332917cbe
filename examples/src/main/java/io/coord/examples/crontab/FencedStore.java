package io.coord.examples.crontab;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The resource the job writes to, guarded by fencing tokens: it stands for a database table with
 * one row per tick, written by {@code INSERT ... WHERE :token >= (SELECT max_token ...)} in one
 * transaction, or any store that can compare-and-set.
 *
 * <p>A write of {@code (tick, worker, token)} is accepted only if, as one atomic step,
 * <ol>
 *   <li>{@code token >= } the highest token this store has accepted (else: stale token — the
 *       writer's lock or leadership was already taken over by someone newer), and</li>
 *   <li>no write for that tick was accepted before (else: the tick already ran).</li>
 * </ol>
 * An accepted write raises the highest token seen. Every attempt, accepted or not, is kept in order
 * so that {@link Summary} can re-check the invariants from the raw history.
 *
 * <p>Thread safety: all state is guarded by this object's monitor; any thread may call any method.
 */
final class FencedStore {

    enum Outcome { ACCEPTED, REJECTED_STALE_TOKEN, REJECTED_TICK_ALREADY_RUN }

    /** One write attempt: {@code highestBefore} is the highest accepted token when it arrived. */
    record Attempt(int seq, long tick, String worker, long token, Outcome outcome, long highestBefore) {
    }

    private long highestToken;                            // 0 = nothing accepted yet
    private final Map<Long, String> runByTick = new HashMap<>();
    private final List<Attempt> attempts = new ArrayList<>();

    synchronized Attempt write(long tick, String worker, long token) {
        Outcome outcome;
        if (token < highestToken) {
            outcome = Outcome.REJECTED_STALE_TOKEN;
        } else if (runByTick.containsKey(tick)) {
            outcome = Outcome.REJECTED_TICK_ALREADY_RUN;
        } else {
            outcome = Outcome.ACCEPTED;
            runByTick.put(tick, worker);
        }
        Attempt attempt = new Attempt(attempts.size() + 1, tick, worker, token, outcome, highestToken);
        if (outcome == Outcome.ACCEPTED) {
            highestToken = token;
        }
        attempts.add(attempt);
        notifyAll();
        return attempt;
    }

    /**
     * Waits until a token greater than {@code token} has been accepted, or the deadline
     * ({@link System#nanoTime()} scale) passes. Used only to end the zombie's pause at the moment
     * its write has become stale.
     */
    synchronized boolean awaitTokenAbove(long token, long deadlineNanos) throws InterruptedException {
        while (highestToken <= token) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    synchronized List<Attempt> attempts() {
        return List.copyOf(attempts);
    }
}
