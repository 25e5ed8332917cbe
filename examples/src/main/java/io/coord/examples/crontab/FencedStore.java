package io.coord.examples.crontab;

import io.coord.fencing.Fence;
import io.coord.fencing.FenceResult;
import io.coord.fencing.ZooKeeperFence;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The resource the job writes to, guarded by fencing tokens — checked by a real store, not by this
 * class: every run writes through coord-fencing's {@link ZooKeeperFence} on an embedded ZooKeeper
 * server that stands for your database (with a database, {@code JdbcFence} does the same inside your
 * transaction; see the README's "Fenced sinks").
 *
 * <p>A write of {@code (tick, worker, token)} is accepted only if
 * <ol>
 *   <li>the fence accepts the token: {@code token >=} the highest token it has recorded for the job,
 *       checked and recorded by the store in one atomic step (else: stale token — the writer's
 *       leadership was already taken over by someone newer), and</li>
 *   <li>no write for that tick was accepted before (else: the tick already ran; nothing is written).</li>
 * </ol>
 * Every attempt, accepted or not, is kept in order so that {@link Summary} can re-check the invariants
 * from the raw history.
 *
 * <p>Thread safety: all state is guarded by this object's monitor; any thread may call any method.
 */
final class FencedStore {

    enum Outcome { ACCEPTED, REJECTED_STALE_TOKEN, REJECTED_TICK_ALREADY_RUN }

    /** One write attempt: {@code highestBefore} is the highest accepted token when it arrived. */
    record Attempt(int seq, long tick, String worker, long token, Outcome outcome, long highestBefore) {
    }

    private final Fence<byte[]> fence;
    private final String resource;
    private long highestToken;                            // mirror of the fence's: 0 = nothing accepted yet
    private final Map<Long, String> runByTick = new HashMap<>();
    private final List<Attempt> attempts = new ArrayList<>();

    /** @param resource the fence's resource name for this job (one fence for all its ticks) */
    FencedStore(Fence<byte[]> fence, String resource) {
        this.fence = fence;
        this.resource = resource;
    }

    synchronized Attempt write(long tick, String worker, long token) {
        Outcome outcome;
        if (runByTick.containsKey(tick)) {
            // nothing is written for a tick that ran; the store still says whether the token was stale
            outcome = token < fence.highestToken(resource).orElse(0) ? Outcome.REJECTED_STALE_TOKEN : Outcome.REJECTED_TICK_ALREADY_RUN;
        } else {
            FenceResult result = fence.write(resource, token, ("tick " + tick + " by " + worker).getBytes(StandardCharsets.UTF_8));
            outcome = result.accepted() ? Outcome.ACCEPTED : Outcome.REJECTED_STALE_TOKEN;
        }
        if (outcome == Outcome.ACCEPTED) {
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
