package io.coord.examples.springboot;

import java.util.ArrayList;
import java.util.List;

/**
 * What both instances share in this one-JVM demo, registered in each context as the bean {@code demoState}: the
 * timeline, the overlap counters of the two guarded pieces of work, and the leaders seen in order.
 *
 * <p>Threads: the counters are atomic; {@link #granted} and {@link #leaders} use this object's monitor. Every change
 * is announced on the timeline, which wakes the main thread waiting in {@link Timeline#await}.
 */
final class DemoState {

    final Timeline timeline;
    /** The {@code @Scheduled} job guarded by {@code @SchedulerLock} (ShedLock on coord). */
    final Overlap report = new Overlap();
    /** The critical section guarded by the {@code LockRegistry} (Spring Integration on coord). */
    final Overlap ledger = new Overlap();
    /** Runs of the leader-only work. */
    final Overlap leaderWork = new Overlap();
    private final List<String> leaders = new ArrayList<>();
    private String current;
    private long lastGrantNanos;

    DemoState(Timeline timeline) {
        this.timeline = timeline;
    }

    /** {@code instance} was granted leadership. */
    synchronized void granted(String instance, String how) {
        leaders.add(instance);
        current = instance;
        lastGrantNanos = System.nanoTime();
        timeline.note(instance, "LEADER: granted " + how);
    }

    /** {@code instance} lost or gave up leadership. */
    synchronized void revoked(String instance, String how) {
        if (instance.equals(current)) {
            current = null;
        }
        timeline.note(instance, "leadership revoked " + how);
    }

    /** The instances granted leadership, in order. */
    synchronized List<String> leaders() {
        return List.copyOf(leaders);
    }

    /** When the last leadership was granted, on the {@link System#nanoTime()} scale. */
    synchronized long lastGrantNanos() {
        return lastGrantNanos;
    }

    /** The instance leading now as far as the events tell, or null. */
    synchronized String currentLeader() {
        return current;
    }
}
