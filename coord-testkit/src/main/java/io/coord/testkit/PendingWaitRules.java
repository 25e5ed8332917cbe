package io.coord.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.coord.Primitive;
import io.coord.Session;
import io.coord.lock.LockGrant;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Pending waits hold no thread: a waiting acquisition is a state machine driven by the client
 * library's replies and coord's scheduler, so a thousand of them cost a bounded number of threads
 * (a count, not a time), and cancelling them all leaves nothing on the server.
 */
public abstract class PendingWaitRules extends Scenario {

    /** Waiting sessions × lock names: 1 000 pending acquisitions. */
    static final int SESSIONS = 10;
    static final int NAMES = 100;
    /** Live threads a thousand pending waits may add, whatever the backend. */
    static final int MAX_EXTRA_THREADS = 32;

    /**
     * These rules against the backend {@code backend} supplies (see {@link Scenario#Scenario}).
     *
     * @param backend called before each scenario
     */
    protected PendingWaitRules(Supplier<KitBackend> backend) {
        super(backend);
    }

    @Test
    void aThousandPendingWaitsHoldNoThreadAndCancellingThemLeavesNothing() throws Exception {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < NAMES; i++) {
            names.add(unique("pending" + i));
        }
        List<Session> waiters = new ArrayList<>();
        List<CompletableFuture<LockGrant>> pending = new ArrayList<>();
        try (Session holder = session()) {
            List<LockGrant> held = new ArrayList<>();
            for (String name : names) {
                held.add(holder.lock(name).acquire());
            }
            for (int i = 0; i < SESSIONS; i++) {
                waiters.add(session());
            }
            // One acquisition per session first, so that each session's client-side machinery
            // (connections, subscriptions, watch streams) exists before the baseline is taken.
            for (Session s : waiters) {
                pending.add(s.lock(names.get(0)).acquireAsync());
            }
            await().untilAsserted(() -> assertThat(entries(Primitive.LOCK, names.get(0))).hasSize(1 + SESSIONS));
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            int baseline = threads.getThreadCount();

            for (Session s : waiters) {
                for (String name : names.subList(1, NAMES)) {
                    pending.add(s.lock(name).acquireAsync());
                }
            }
            for (String name : names) {
                await().untilAsserted(() -> assertThat(entries(Primitive.LOCK, name)).hasSize(1 + SESSIONS));
            }
            int during = threads.getThreadCount();
            assertThat(during - baseline)
                    .as("live threads added by %d pending acquisitions on %s (baseline %d)", pending.size(), backend.label(), baseline)
                    .isLessThanOrEqualTo(MAX_EXTRA_THREADS);
            assertThat(pending).noneMatch(CompletableFuture::isDone);

            pending.forEach(f -> f.cancel(true));
            for (String name : names) {
                await().untilAsserted(() -> assertThat(entries(Primitive.LOCK, name))
                        .as("only the holder's entry is left on %s after cancelling its waiters", name).hasSize(1));
            }
            for (LockGrant g : held) {
                assertThat(g.isHeld()).isTrue();
                g.release();
            }
            for (String name : names) {
                assertThat(entries(Primitive.LOCK, name)).isEmpty();
            }
        } finally {
            waiters.forEach(Session::close);
        }
    }
}
