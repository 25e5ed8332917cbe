package io.coord.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.coord.Primitive;
import io.coord.Session;
import io.coord.election.Leadership;
import io.coord.lock.LockGrant;
import io.coord.testkit.register.FencedRegister;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;

/**
 * The blocking API called from virtual threads (Java 21+; CI runs these on Java 25): many more blocked callers than
 * carrier threads must all make progress — no stall from a carrier pinned while waiting — with the same results as
 * on platform threads: mutual exclusion, increasing tokens, one leader at a time, an interrupted or timed-out wait
 * leaving nothing behind. The kit is compiled for Java 17, so virtual threads are reached through
 * {@code Executors.newVirtualThreadPerTaskExecutor()} by reflection.
 */
@Tag(VirtualThreadRules.TAG)
@EnabledForJreRange(min = JRE.JAVA_21, disabledReason = "virtual threads need Java 21+; CI runs this group on Java 25")
public abstract class VirtualThreadRules extends Scenario {

    /** The JUnit tag of this group, to run it alone: {@code mvn … -Dgroups=virtual-threads}. */
    public static final String TAG = "virtual-threads";

    /** Sessions × lock names: every (session, name) pair is one virtual thread, 64 of them on 2 carriers here. */
    static final int SESSIONS = 8;
    static final int NAMES = 8;
    static final int CYCLES = 3;

    /**
     * These rules against the backend {@code backend} supplies (see {@link Scenario#Scenario}).
     *
     * @param backend called before each scenario
     */
    protected VirtualThreadRules(Supplier<KitBackend> backend) {
        super(backend);
    }

    @Test
    void manyBlockedVirtualThreadsAllGetTheLockInTurn() throws Exception {
        List<Session> sessions = new ArrayList<>();
        for (int i = 0; i < SESSIONS; i++) {
            sessions.add(session());
        }
        List<String> names = new ArrayList<>();
        List<FencedRegister> registers = new ArrayList<>();
        int[] unguarded = new int[NAMES]; // incremented non-atomically under the lock: any overlap loses an update
        for (int j = 0; j < NAMES; j++) {
            names.add(unique("vt" + j));
            registers.add(new FencedRegister());
        }
        AtomicInteger cycles = new AtomicInteger();
        ExecutorService virtual = virtualThreads();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < SESSIONS; i++) {
                for (int j = 0; j < NAMES; j++) {
                    Session s = sessions.get(i);
                    int name = j;
                    String writer = "s" + i;
                    done.add(virtual.submit(() -> {
                        for (int c = 0; c < CYCLES; c++) {
                            LockGrant g = s.lock(names.get(name)).acquire();
                            int seen = unguarded[name];
                            Thread.yield(); // let another virtual thread run on this carrier mid-update
                            unguarded[name] = seen + 1;
                            assertThat(registers.get(name).write(g.fencingToken(), writer, seen + 1).accepted()).isTrue();
                            g.release();
                            cycles.incrementAndGet();
                        }
                        return null;
                    }));
                }
            }
            await().untilAsserted(() -> assertThat(cycles.get()).isEqualTo(SESSIONS * NAMES * CYCLES));
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            virtual.shutdownNow();
        }
        for (int j = 0; j < NAMES; j++) {
            assertThat(unguarded[j]).as("no two holders of %s overlapped", names.get(j)).isEqualTo(SESSIONS * CYCLES);
            assertThat(registers.get(j).rejectedWrites()).as("tokens only increased").isEmpty();
            assertThat(registers.get(j).acceptedWrites()).hasSize(SESSIONS * CYCLES);
        }
        sessions.forEach(Session::close);
    }

    @Test
    void anInterruptedOrTimedOutVirtualWaiterLeavesNothing() throws Exception {
        String name = unique("vt-wait");
        ExecutorService virtual = virtualThreads();
        try (Session holder = session(); Session waiter = session()) {
            LockGrant held = holder.lock(name).acquire();
            holder.fairLock(name).acquire();
            Future<Optional<LockGrant>> timed = virtual.submit(() -> waiter.fairLock(name).tryAcquire(Duration.ofMillis(300)));
            // The outcome is recorded by the task itself: a cancelled Future is done at once, before acquire() returns.
            CompletableFuture<Throwable> interrupted = new CompletableFuture<>();
            Future<?> blocked = virtual.submit(() -> {
                try {
                    interrupted.complete(new AssertionError("acquired while another session held the lock: " + waiter.lock(name).acquire()));
                } catch (Throwable t) {
                    interrupted.complete(t);
                }
            });
            await().untilAsserted(() -> assertThat(entries(Primitive.LOCK, name)).hasSize(2));
            assertThat(timed.get()).as("the timed wait gave up").isEmpty();

            blocked.cancel(true); // interrupts the virtual thread blocked in acquire()
            assertThat(interrupted.get(30, TimeUnit.SECONDS)).as("acquire() ended by the interrupt").isInstanceOf(InterruptedException.class);
            assertThat(entries(Primitive.LOCK, name)).as("the interrupted waiter's entry is gone when acquire() returns").hasSize(1);
            assertThat(entries(Primitive.FAIR_LOCK, name)).as("the timed-out waiter's entry is gone").hasSize(1);
            assertThat(held.isHeld()).isTrue();
            assertThat(waiter.lock(name).tryAcquire(Duration.ZERO)).as("the waiter may ask again").isEmpty();
        } finally {
            virtual.shutdownNow();
        }
    }

    @Test
    void virtualThreadCampaignsElectOneLeaderAtATime() throws Exception {
        String name = unique("vt-elect");
        AtomicInteger leaders = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        List<Long> terms = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Session> sessions = new ArrayList<>();
        for (int i = 0; i < SESSIONS; i++) {
            sessions.add(session());
        }
        ExecutorService virtual = virtualThreads();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (Session s : sessions) {
                done.add(virtual.submit(() -> {
                    Leadership l = s.election(name).campaign("v");
                    mostAtOnce.accumulateAndGet(leaders.incrementAndGet(), Math::max);
                    terms.add(l.term());
                    Thread.yield();
                    leaders.decrementAndGet();
                    l.resign();
                    return null;
                }));
            }
            for (Future<?> f : done) {
                await().until(f::isDone);
                f.get();
            }
        } finally {
            virtual.shutdownNow();
        }
        assertThat(mostAtOnce.get()).as("one leader at a time").isEqualTo(1);
        assertThat(terms).hasSize(SESSIONS).doesNotHaveDuplicates();
        assertThat(terms).as("terms increase in the order leaders were elected").isSorted();
        sessions.forEach(Session::close);
    }

    /** {@code Executors.newVirtualThreadPerTaskExecutor()}, reached by reflection from Java 17 bytecode. */
    private static ExecutorService virtualThreads() {
        try {
            return (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("this JVM has no virtual threads", e);
        }
    }
}
