package io.coord.examples.crontab;

import java.time.Duration;
import java.util.Optional;

/**
 * Decides which worker "crashes" — the owner of the crash job's shard, in the middle of that job's run of tick
 * {@code crashAt} (after RUNNING was written, before SUCCESS) — and records the failover, for the {@link Summary}.
 * The crash is simulated where real ones happen, at the transport: that worker is cut off from the cluster (its
 * network partitioned, as a frozen process would be) by black-holing its {@link WorkerNetwork}. To the cluster this
 * is {@code kill -9}, a SIGSTOP or a GC pause longer than the TTL: the session stops renewing and nothing is
 * released, so the server frees its shard locks only when the TTL runs out. The worker's runner thread freezes
 * (it does nothing more) until the shard's new owner has written, and then plays the zombie (see {@link Worker}).
 * Thread safety: every method is synchronized.
 */
final class CrashPlan {

    /** What happened, as the summary reports it. Times are {@link System#nanoTime()} values. */
    record Failover(String crashed, String job, int shard, long crashTick, long crashedToken, long crashedAtNanos,
                    String successor, long successorToken, long assignedAtNanos, FencedStore.Attempt zombieWrite) {

        Optional<Duration> failoverTime() {
            return successor == null ? Optional.empty() : Optional.of(Duration.ofNanos(assignedAtNanos - crashedAtNanos));
        }
    }

    private final long crashAt;                      // tick at which the crash job's owner is cut off; 0 = never
    private final String crashJob;
    private String crashed;
    private int shard;
    private long crashTick;
    private long crashedToken;
    private long crashedAtNanos;
    private String successor;
    private long successorToken;
    private long assignedAtNanos;
    private FencedStore.Attempt zombieWrite;

    CrashPlan(long crashAt, String crashJob) {
        this.crashAt = crashAt;
        this.crashJob = crashJob;
    }

    /**
     * Called by a worker in the middle of a run; true exactly once, for the first run of the crash job at or
     * after tick {@code crashAt}. The caller then cuts itself off from the cluster.
     */
    synchronized boolean shouldCrash(String worker, Job job, long tick, long token) {
        if (crashAt <= 0 || !job.name().equals(crashJob) || tick < crashAt || crashed != null) {
            return false;
        }
        crashed = worker;
        shard = job.shard();
        crashTick = tick;
        crashedToken = token;
        crashedAtNanos = System.nanoTime();
        return true;
    }

    /** Called by every worker assigned a shard; records the first owner of the crashed shard after the crash. */
    synchronized void assigned(String worker, int assignedShard, long token) {
        if (crashed != null && successor == null && assignedShard == shard && token > crashedToken) {
            successor = worker;
            successorToken = token;
            assignedAtNanos = System.nanoTime();
        }
    }

    synchronized void zombieWrote(FencedStore.Attempt attempt) {
        zombieWrite = attempt;
    }

    synchronized Optional<Failover> failover() {
        if (crashed == null) {
            return Optional.empty();
        }
        return Optional.of(new Failover(crashed, crashJob, shard, crashTick, crashedToken, crashedAtNanos,
                successor, successorToken, assignedAtNanos, zombieWrite));
    }
}
