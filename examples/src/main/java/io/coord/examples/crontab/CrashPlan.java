package io.coord.examples.crontab;

import java.time.Duration;
import java.util.Optional;

/**
 * Decides which worker "crashes" — the one leading when tick {@code crashAt} is due — and records
 * the failover, for the {@link Summary}. The crash is simulated where real ones happen, at the
 * transport: that worker is cut off from the cluster (its network partitioned, as a frozen process
 * would be) by black-holing its {@link WorkerNetwork}. To the cluster this is {@code kill -9}, a
 * SIGSTOP or a GC pause longer than the TTL: the session stops renewing and nothing is revoked, so
 * the server frees what it holds only when the TTL runs out. Unlike a frozen process, the worker's
 * thread keeps running; it just waits, doing nothing, until a successor has written, and then
 * plays the zombie (see {@link Worker}). Thread safety: every method is synchronized.
 */
final class CrashPlan {

    /** What happened, as the summary reports it. Times are {@link System#nanoTime()} values. */
    record Failover(String crashed, long crashTick, long crashedTerm, long crashedAtNanos,
                    String successor, long successorTerm, long electedAtNanos,
                    FencedStore.Attempt zombieWrite) {

        Optional<Duration> failoverTime() {
            return successor == null ? Optional.empty() : Optional.of(Duration.ofNanos(electedAtNanos - crashedAtNanos));
        }
    }

    private final long crashAt;                      // tick at which the leader is cut off; 0 = never
    private String crashed;
    private long crashTick;
    private long crashedTerm;
    private long crashedAtNanos;
    private String successor;
    private long successorTerm;
    private long electedAtNanos;
    private FencedStore.Attempt zombieWrite;

    CrashPlan(long crashAt) {
        this.crashAt = crashAt;
    }

    /**
     * Called by the leader just before it runs {@code tick}; true exactly once, for the leader of
     * the first tick at or after {@code crashAt}. The caller then cuts itself off from the cluster.
     */
    synchronized boolean shouldCrash(String worker, long tick, long term) {
        if (crashAt <= 0 || tick < crashAt || crashed != null) {
            return false;
        }
        crashed = worker;
        crashTick = tick;
        crashedTerm = term;
        crashedAtNanos = System.nanoTime();
        return true;
    }

    /** Called by every worker that becomes leader; records the first leader after the crash. */
    synchronized void elected(String worker, long term) {
        if (crashed != null && successor == null && term > crashedTerm) {
            successor = worker;
            successorTerm = term;
            electedAtNanos = System.nanoTime();
        }
    }

    synchronized void zombieWrote(FencedStore.Attempt attempt) {
        zombieWrite = attempt;
    }

    synchronized Optional<Failover> failover() {
        if (crashed == null) {
            return Optional.empty();
        }
        return Optional.of(new Failover(crashed, crashTick, crashedTerm, crashedAtNanos, successor, successorTerm,
                electedAtNanos, zombieWrite));
    }
}
