package io.coord.examples.crontab;

import io.coord.fencing.Fence;
import io.coord.fencing.FenceResult;
import io.coord.fencing.ZooKeeperFence;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The resource the jobs write to: every run's state transitions and every job's watermark, guarded by the shards'
 * fencing tokens — checked by a real store, not by this class: every write goes through coord-fencing's
 * {@link ZooKeeperFence} on an embedded ZooKeeper server that stands for your database, one fenced resource per
 * shard (with a database, {@code JdbcFence} does the same inside your transaction; see the README's "Fenced sinks").
 *
 * <p>Durable enough for the demo: the job records live in this object, in the demo's process, beside the ZooKeeper
 * that fences them. Workers crash and come and go; the store outlives them all, as a database would, so the next
 * owner of a shard reads where the last one stopped.
 *
 * <p>Per job it keeps a {@link JobRecord}: the <b>watermark</b> (the last tick done), whether the job is paused,
 * and the state of the run of the tick after the watermark (INIT → RUNNING → SUCCESS | FAILED → RETRYING →
 * RUNNING …, or PAUSED). A write {@code (job, tick, state, token)} is accepted only if
 * <ol>
 *   <li>the tick is after the job's watermark (else: the tick already ran; nothing is written), and</li>
 *   <li>the fence accepts the token: {@code token >=} the highest token it has recorded for the job's shard,
 *       checked and recorded by the store in one atomic step (else: stale token — the shard has a newer owner).</li>
 * </ol>
 * An accepted SUCCESS moves the watermark to its tick, so a tick is done once. Every attempt, accepted or not, is
 * kept in order so that {@link Summary} can re-check the invariants from the raw history.
 *
 * <p>Thread safety: all state is guarded by this object's monitor; any thread may call any method.
 */
final class FencedStore {

    enum State { INIT, RUNNING, SUCCESS, FAILED, RETRYING, PAUSED }

    enum Outcome { ACCEPTED, REJECTED_STALE_TOKEN, REJECTED_TICK_ALREADY_RUN }

    /**
     * One state transition of a run, as a worker writes it. {@code startedMillis} is when the writer started the
     * tick's run and {@code caughtUp} whether the tick fell due before the writer owned the shard (both for the
     * summary); {@code retryAtMillis} is when a RETRYING run is due again (0 otherwise).
     */
    record Transition(String job, int shard, long tick, int attempt, State state, String worker, long token,
                      long dueMillis, long startedMillis, boolean caughtUp, long retryAtMillis) {
    }

    /** One write attempt: {@code highestBefore} is the highest token the shard had accepted when it arrived. */
    record Attempt(int seq, Transition write, Outcome outcome, long highestBefore) {

        boolean accepted() {
            return outcome == Outcome.ACCEPTED;
        }
    }

    /**
     * A job's durable state: {@code watermark} is the last tick done (0: none yet); {@code runState} and
     * {@code runAttempt} describe the run of tick {@code watermark + 1} ({@code runState == null}: not started).
     */
    record JobRecord(long watermark, boolean paused, State runState, int runAttempt, long retryAtMillis) {

        static final JobRecord NEW = new JobRecord(0, false, null, 0, 0);

        JobRecord apply(Transition t) {
            return switch (t.state()) {
                case SUCCESS -> new JobRecord(t.tick(), false, null, 0, 0);
                case PAUSED -> new JobRecord(watermark, true, State.PAUSED, t.attempt(), 0);
                default -> new JobRecord(watermark, false, t.state(), t.attempt(), t.retryAtMillis());
            };
        }
    }

    private final Fence<byte[]> fence;
    private final String prefix;
    private final Map<String, JobRecord> jobs = new HashMap<>();
    private final Map<Integer, Long> highestToken = new HashMap<>();   // mirror of the fence's: absent = nothing accepted
    private final List<Attempt> attempts = new ArrayList<>();

    /** @param prefix the fence's resource names are {@code prefix + "/shard-" + shard} (one fence per shard) */
    FencedStore(Fence<byte[]> fence, String prefix) {
        this.fence = fence;
        this.prefix = prefix;
    }

    synchronized JobRecord read(String job) {
        return jobs.getOrDefault(job, JobRecord.NEW);
    }

    synchronized Attempt write(Transition t) {
        JobRecord job = read(t.job());
        String resource = prefix + "/shard-" + t.shard();
        Outcome outcome;
        if (t.tick() <= job.watermark()) {
            // nothing is written for a tick that is done; the store still says whether the token was stale
            outcome = t.token() < fence.highestToken(resource).orElse(0) ? Outcome.REJECTED_STALE_TOKEN : Outcome.REJECTED_TICK_ALREADY_RUN;
        } else {
            String record = t.job() + " tick " + t.tick() + " " + t.state() + " #" + t.attempt() + " by " + t.worker();
            FenceResult result = fence.write(resource, t.token(), record.getBytes(StandardCharsets.UTF_8));
            outcome = result.accepted() ? Outcome.ACCEPTED : Outcome.REJECTED_STALE_TOKEN;
        }
        Attempt attempt = new Attempt(attempts.size() + 1, t, outcome, highestToken.getOrDefault(t.shard(), 0L));
        if (outcome == Outcome.ACCEPTED) {
            jobs.put(t.job(), job.apply(t));
            highestToken.merge(t.shard(), t.token(), Math::max);
        }
        attempts.add(attempt);
        notifyAll();
        return attempt;
    }

    /**
     * Waits until a token greater than {@code token} has been accepted for {@code shard}, or the deadline
     * ({@link System#nanoTime()} scale) passes. Used only to end the zombie's pause at the moment its write has
     * become stale.
     */
    synchronized boolean awaitTokenAbove(int shard, long token, long deadlineNanos) throws InterruptedException {
        while (highestToken.getOrDefault(shard, 0L) <= token) {
            if (!waitUntil(deadlineNanos)) {
                return false;
            }
        }
        return true;
    }

    /** Waits until every job is done up to {@code lastTick} or paused, or the deadline passes; true if they are. */
    synchronized boolean awaitSettled(Collection<Job> crontab, long lastTick, long deadlineNanos) throws InterruptedException {
        while (!crontab.stream().map(j -> read(j.name())).allMatch(r -> r.paused() || r.watermark() >= lastTick)) {
            if (!waitUntil(deadlineNanos)) {
                return false;
            }
        }
        return true;
    }

    private boolean waitUntil(long deadlineNanos) throws InterruptedException {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            return false;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
        return true;
    }

    synchronized List<Attempt> attempts() {
        return List.copyOf(attempts);
    }
}
