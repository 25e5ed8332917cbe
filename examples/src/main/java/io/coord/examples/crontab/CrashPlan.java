package io.coord.examples.crontab;

import io.coord.Session;
import io.coord.spi.SessionBase;
import java.time.Duration;
import java.util.Optional;

/**
 * Decides which worker crashes (the one leading when tick {@code crashAt} is due) and records the
 * failover, for the {@link Summary}. Thread safety: every method is synchronized.
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

    private final long crashAt;                      // tick at which the leader crashes; 0 = never
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
     * the first tick at or after {@code crashAt}. The caller then crashes.
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

    /**
     * Simulates {@code kill -9} (or a GC pause / SIGSTOP longer than the TTL) as the cluster sees
     * it: the session stops renewing its lease and revokes nothing, so the server frees what it
     * holds only when the TTL runs out. {@code crashForTesting()} is the backend hook coord's
     * conformance kit uses for exactly this; a real crashed process would just stop.
     */
    static void crash(Session session) {
        if (!(session instanceof SessionBase base)) {
            throw new IllegalStateException("cannot simulate a crash: " + session.getClass().getName()
                    + " is not an io.coord.spi.SessionBase");
        }
        base.crashForTesting();
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
