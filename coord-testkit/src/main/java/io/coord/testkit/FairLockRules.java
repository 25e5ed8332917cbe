package io.coord.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.coord.Primitive;
import io.coord.Session;
import io.coord.lock.LockGrant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Fair-lock rules: grant order is enqueue order, leavers don't break it, one release wakes one waiter. */
public abstract class FairLockRules extends Scenario {

    /**
     * These rules against the backend {@code backend} supplies (see {@link Scenario#Scenario}).
     *
     * @param backend called before each scenario
     */
    protected FairLockRules(Supplier<KitBackend> backend) {
        super(backend);
    }

    @Test
    void grantOrderEqualsEnqueueOrder() throws Exception {
        String name = unique("order");
        List<Integer> grantOrder = new CopyOnWriteArrayList<>();
        List<Session> sessions = new ArrayList<>();
        try (Session holder = session()) {
            LockGrant first = holder.fairLock(name).acquire();
            List<CompletableFuture<Void>> done = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                Session s = session();
                sessions.add(s);
                int me = i;
                int queued = i + 2;
                done.add(s.fairLock(name).acquireAsync().thenAccept(g -> {
                    grantOrder.add(me);
                    g.release();
                }));
                // Enqueue strictly one after another, so the backend's order is known.
                await().untilAsserted(() -> assertThat(entries(Primitive.FAIR_LOCK, name)).hasSize(queued));
            }
            first.release();
            done.forEach(this::join);
            assertThat(grantOrder).containsExactly(0, 1, 2, 3, 4, 5);
        } finally {
            sessions.forEach(Session::close);
        }
    }

    @Test
    void aWaiterLeavingDoesNotBreakTheOrderOfTheRest() throws Exception {
        String name = unique("leave");
        List<Integer> grantOrder = new CopyOnWriteArrayList<>();
        List<Long> tokens = new CopyOnWriteArrayList<>();
        List<Session> sessions = new ArrayList<>();
        try (Session holder = session()) {
            LockGrant first = holder.fairLock(name).acquire();
            List<CompletableFuture<Void>> done = new ArrayList<>();
            List<CompletableFuture<LockGrant>> raw = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                Session s = session();
                sessions.add(s);
                int me = i;
                int queued = i + 2;
                CompletableFuture<LockGrant> f = s.fairLock(name).acquireAsync();
                raw.add(f);
                done.add(f.thenAccept(g -> {
                    grantOrder.add(me);
                    tokens.add(g.fencingToken());
                    g.release();
                }));
                await().untilAsserted(() -> assertThat(entries(Primitive.FAIR_LOCK, name)).hasSize(queued));
            }
            raw.get(2).cancel(true);          // a waiter in the middle gives up
            sessions.get(3).close();          // and the one behind it dies
            await().untilAsserted(() -> assertThat(entries(Primitive.FAIR_LOCK, name)).hasSize(4));
            first.release();
            for (int i : new int[] {0, 1, 4}) {
                join(done.get(i));
            }
            assertThat(grantOrder).containsExactly(0, 1, 4);
            assertThat(tokens).isSorted().doesNotHaveDuplicates();
        } finally {
            sessions.forEach(Session::close);
        }
    }

    @Test
    void oneReleaseWakesOneWaiterWhateverTheQueueLength() throws Exception {
        double perRelease1 = wakeupsPerRelease(1);
        double perRelease20 = wakeupsPerRelease(20);
        System.out.printf("[kit] %s fair lock: %.2f wake-ups per release with 1 waiter, %.2f with 20 waiters%n",
                backend.label(), perRelease1, perRelease20);
        assertThat(perRelease1).as("wake-ups per release, 1 waiter").isLessThanOrEqualTo(2.0);
        assertThat(perRelease20).as("wake-ups per release, 20 waiters: no herd").isLessThanOrEqualTo(2.0);
    }

    /** Queues {@code waiters} behind a holder, releases down the chain and counts wake-ups per release. */
    private double wakeupsPerRelease(int waiters) throws Exception {
        String name = unique("herd");
        List<Session> sessions = new ArrayList<>();
        try (Session holder = session()) {
            LockGrant first = holder.fairLock(name).acquire();
            List<CompletableFuture<Void>> done = new ArrayList<>();
            for (int i = 0; i < waiters; i++) {
                Session s = session();
                sessions.add(s);
                int queued = i + 2;
                done.add(s.fairLock(name).acquireAsync().thenAccept(LockGrant::release));
                await().untilAsserted(() -> assertThat(entries(Primitive.FAIR_LOCK, name)).hasSize(queued));
            }
            long before = coord.stats().wakeups(Primitive.FAIR_LOCK);
            first.release();
            done.forEach(this::join);
            return (coord.stats().wakeups(Primitive.FAIR_LOCK) - before) / (double) waiters;
        } finally {
            sessions.forEach(Session::close);
        }
    }
}
