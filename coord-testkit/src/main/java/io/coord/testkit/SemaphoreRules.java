package io.coord.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coord.AlreadyHeldException;
import io.coord.LockLostException;
import io.coord.LossReason;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.semaphore.Permit;
import io.coord.semaphore.Semaphore;
import io.coord.testkit.history.FencedMutexChecker;
import io.coord.testkit.history.History;
import io.coord.testkit.history.Operation;
import io.coord.testkit.history.Verdict;
import io.coord.testkit.register.FencedRegister;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Semaphore rules: at most N live permits, each with a slot no other live permit holds (the history checker runs
 * per slot: a slot is a fenced mutex), the lowest free slot first, record-order service, one wake-up per release,
 * the same hygiene and loss rules as locks, a dead holder's permit passed on only after its lease, and a clear
 * error for a different number of permits.
 */
public abstract class SemaphoreRules extends Scenario {

    /**
     * These rules against the backend {@code backend} supplies (see {@link Scenario#Scenario}).
     *
     * @param backend called before each scenario
     */
    protected SemaphoreRules(Supplier<KitBackend> backend) {
        super(backend);
    }

    @Test
    void anUncontendedPermitTakesTheLowestSlotAndIncreasingTokens() throws Exception {
        String name = unique("plain");
        try (Session s = session()) {
            Semaphore semaphore = s.semaphore(name, 3);
            long before = coord.stats().roundTrips(Primitive.SEMAPHORE);
            Permit first = semaphore.acquire();
            assertThat(first.slot()).isZero();
            assertThat(first.fencingToken()).isPositive();
            assertThat(first.isHeld()).isTrue();
            assertThat(first.semaphoreName()).isEqualTo(name);
            assertThat(entries(Primitive.SEMAPHORE, name)).hasSize(1);
            first.release();
            long cycle = coord.stats().roundTrips(Primitive.SEMAPHORE) - before;
            System.out.printf("[kit] %s semaphore: %d round trip(s) per uncontended acquire+release%n", backend.label(), cycle);
            assertThat(cycle).as("round trips of one uncontended acquire + release")
                    .isLessThanOrEqualTo(backend.maxRoundTripsPerUncontendedCycle(Primitive.SEMAPHORE));
            assertThat(first.isHeld()).isFalse();
            assertThat(entries(Primitive.SEMAPHORE, name)).isEmpty();
            Permit second = semaphore.tryAcquire(Duration.ZERO).orElseThrow();
            assertThat(second.slot()).as("a released slot is reused").isZero();
            assertThat(second.fencingToken()).isGreaterThan(first.fencingToken());
            second.close();
        }
    }

    @Test
    void slotsAreTheLowestFreeOnesAndAreReused() throws Exception {
        String name = unique("slots");
        List<Session> sessions = IntStream.range(0, 4).mapToObj(i -> session()).toList();
        try {
            List<Permit> permits = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                permits.add(sessions.get(i).semaphore(name, 3).tryAcquire(Duration.ZERO).orElseThrow());
            }
            assertThat(permits).extracting(Permit::slot).containsExactly(0, 1, 2);
            assertThat(sessions.get(3).semaphore(name, 3).tryAcquire(Duration.ZERO)).as("all 3 permits are held").isEmpty();
            permits.get(1).release();
            Permit newcomer = sessions.get(3).semaphore(name, 3).tryAcquire(Duration.ZERO).orElseThrow();
            assertThat(newcomer.slot()).as("the freed slot, the lowest free one").isEqualTo(1);
            assertThat(newcomer.fencingToken()).isGreaterThan(permits.get(2).fencingToken());
            newcomer.release();
            permits.get(0).release();
            permits.get(2).release();
        } finally {
            sessions.forEach(Session::close);
        }
    }

    /**
     * Six sessions on three coordinators share 3 permits for several rounds: never more than 3 holders at once, every
     * slot a fenced mutex (the history checker per slot: no overlap, tokens increasing), a fenced register per slot
     * accepting every write.
     */
    @Test
    void atMostNPermitsAreHeldAndNoSlotIsShared() throws Exception {
        int sessions = 6;
        int permits = 3;
        int rounds = 8;
        String name = unique("contended");
        History history = new History();
        List<FencedRegister> registers = IntStream.range(0, permits).mapToObj(i -> new FencedRegister()).toList();
        AtomicInteger holding = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(sessions);
        List<Session> opened = new ArrayList<>();
        try {
            List<io.coord.Coordinator> coordinators = List.of(coord, newCoordinator(), newCoordinator());
            List<Future<?>> workers = new ArrayList<>();
            for (int i = 0; i < sessions; i++) {
                Session s = coordinators.get(i % coordinators.size()).openSession(backend.longTtl());
                opened.add(s);
                String process = "p" + i;
                Semaphore semaphore = s.semaphore(name, permits);
                workers.add(pool.submit(() -> {
                    for (int r = 0; r < rounds; r++) {
                        Permit p = semaphore.acquire();
                        History.Recorder rec = history.recorder(process, name + "/slot-" + p.slot());
                        rec.invoke(Operation.ACQUIRE);
                        rec.ok(Operation.ACQUIRE, p.fencingToken()); // the slot is known once granted: invoke and ok together
                        mostAtOnce.accumulateAndGet(holding.incrementAndGet(), Math::max);
                        FencedRegister register = registers.get(p.slot());
                        assertThat(register.write(p.fencingToken(), process, register.value() + 1).accepted()).isTrue();
                        Thread.yield();
                        holding.decrementAndGet();
                        rec.invoke(Operation.RELEASE);
                        p.release();
                        rec.ok(Operation.RELEASE, p.fencingToken());
                    }
                    return null;
                }));
            }
            for (Future<?> w : workers) {
                w.get();
            }
        } finally {
            pool.shutdownNow();
            opened.forEach(Session::close);
        }
        Verdict verdict = FencedMutexChecker.check(history);
        assertThat(verdict.violations()).as(verdict.describe()).isEmpty();
        assertThat(verdict.grants()).isEqualTo(sessions * rounds);
        assertThat(mostAtOnce.get()).as("permits held at once").isBetween(1, permits);
        assertThat(registers.stream().mapToLong(FencedRegister::value).sum()).isEqualTo(sessions * rounds);
        assertThat(registers.stream().mapToLong(FencedRegister::rejectedCount).sum()).isZero();
    }

    @Test
    void waitersAreServedInTheOrderTheBackendRecordedThem() throws Exception {
        String name = unique("order");
        List<Integer> grantOrder = new CopyOnWriteArrayList<>();
        List<Session> sessions = new ArrayList<>();
        try (Session a = session(); Session b = session()) {
            Permit pa = a.semaphore(name, 2).acquire();
            Permit pb = b.semaphore(name, 2).acquire();
            List<CompletableFuture<Permit>> waiting = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                Session s = session();
                sessions.add(s);
                int me = i;
                int queued = i + 3;
                waiting.add(s.semaphore(name, 2).acquireAsync().whenComplete((p, e) -> grantOrder.add(me)));
                await().untilAsserted(() -> assertThat(entries(Primitive.SEMAPHORE, name)).hasSize(queued));
            }
            pa.release();
            Permit first = join(waiting.get(0));
            assertThat(first.slot()).isEqualTo(pa.slot());
            pb.release();
            Permit second = join(waiting.get(1));
            first.release();
            Permit third = join(waiting.get(2));
            second.release();
            join(waiting.get(3)).release();
            third.release();
            join(waiting.get(4)).release();
            assertThat(grantOrder).containsExactly(0, 1, 2, 3, 4);
        } finally {
            sessions.forEach(Session::close);
        }
    }

    @Test
    void oneReleaseWakesOneWaiterWhateverTheQueueLength() throws Exception {
        double perRelease1 = wakeupsPerRelease(1);
        double perRelease20 = wakeupsPerRelease(20);
        System.out.printf("[kit] %s semaphore (2 permits): %.2f wake-ups per release with 1 waiter, %.2f with 20 waiters%n",
                backend.label(), perRelease1, perRelease20);
        assertThat(perRelease1).as("wake-ups per release, 1 waiter").isLessThanOrEqualTo(2.0);
        assertThat(perRelease20).as("wake-ups per release, 20 waiters: no herd").isLessThanOrEqualTo(2.0);
    }

    /** Two holders, {@code waiters} queued behind; each grant releases at once; wake-ups per release. */
    private double wakeupsPerRelease(int waiters) throws Exception {
        String name = unique("herd");
        List<Session> sessions = new ArrayList<>();
        try (Session a = session(); Session b = session()) {
            Permit pa = a.semaphore(name, 2).acquire();
            Permit pb = b.semaphore(name, 2).acquire();
            List<CompletableFuture<Void>> done = new ArrayList<>();
            for (int i = 0; i < waiters; i++) {
                Session s = session();
                sessions.add(s);
                int queued = i + 3;
                done.add(s.semaphore(name, 2).acquireAsync().thenAccept(Permit::release));
                await().untilAsserted(() -> assertThat(entries(Primitive.SEMAPHORE, name)).hasSize(queued));
            }
            long before = coord.stats().wakeups(Primitive.SEMAPHORE);
            pa.release();
            done.forEach(this::join);
            pb.release();
            return (coord.stats().wakeups(Primitive.SEMAPHORE) - before) / (double) waiters;
        } finally {
            sessions.forEach(Session::close);
        }
    }

    @Test
    void timedOutInterruptedAndCancelledAcquiresLeaveNothing() throws Exception {
        String name = unique("quit");
        try (Session holder = session(); Session quitter = session(); Session third = session()) {
            Permit held = holder.semaphore(name, 1).acquire();
            List<String> before = entries(Primitive.SEMAPHORE, name);

            assertThat(quitter.semaphore(name, 1).tryAcquire(Duration.ofMillis(300))).isEmpty();
            assertThat(entries(Primitive.SEMAPHORE, name)).as("timed out: entry removed before returning").isEqualTo(before);

            AtomicReference<Throwable> outcome = new AtomicReference<>();
            CountDownLatch started = new CountDownLatch(1);
            Thread waiter = new Thread(() -> {
                started.countDown();
                try {
                    quitter.semaphore(name, 1).acquire();
                    outcome.set(new AssertionError("acquired while held"));
                } catch (Throwable t) {
                    outcome.set(t);
                }
            }, "kit-interrupted-waiter");
            waiter.start();
            started.await();
            await().untilAsserted(() -> assertThat(entries(Primitive.SEMAPHORE, name)).hasSize(2));
            waiter.interrupt();
            waiter.join(patience().toMillis());
            assertThat(outcome.get()).isInstanceOf(InterruptedException.class);
            assertThat(entries(Primitive.SEMAPHORE, name)).as("interrupted: entry removed before throwing").isEqualTo(before);

            CompletableFuture<Permit> pending = quitter.semaphore(name, 1).acquireAsync();
            await().untilAsserted(() -> assertThat(entries(Primitive.SEMAPHORE, name)).hasSize(2));
            assertThat(pending.cancel(true)).isTrue();
            await().untilAsserted(() -> assertThat(entries(Primitive.SEMAPHORE, name)).isEqualTo(before));

            held.release();
            Permit next = third.semaphore(name, 1).tryAcquire(Duration.ZERO)
                    .orElseThrow(() -> new AssertionError("permit not free after release: a quitter kept it"));
            assertThat(next.fencingToken()).isGreaterThan(held.fencingToken());
            next.release();
            // the cancelled request's claim comes back once its entry is gone (the cancelled future is done before)
            await().ignoreException(AlreadyHeldException.class).untilAsserted(() -> assertThat(
                    quitter.semaphore(name, 1).tryAcquire(Duration.ZERO)).as("the quitter may ask again").hasValueSatisfying(Permit::release));
        }
    }

    @Test
    void aDeadHoldersPermitPassesOnOnlyAfterItsLease() throws Exception {
        CrashableClient doomedClient = crashable();
        Session doomed = doomedClient.coordinator().openSession(backend.shortTtl());
        String name = unique("crash");
        try (Session alive = session(); Session waiter = session()) {
            Permit survivor = alive.semaphore(name, 2).acquire();
            Permit stale = doomed.semaphore(name, 2).acquire();
            CompletableFuture<Permit> next = waiter.semaphore(name, 2).acquireAsync();
            await().untilAsserted(() -> assertThat(entries(Primitive.SEMAPHORE, name)).hasSize(3));

            doomedClient.crash();
            long deadline = doomed.validUntilNanos();

            Permit taken = join(next);
            long grantedAt = System.nanoTime();
            assertThat(grantedAt).as("the permit passed only after the dead holder's validUntil").isGreaterThanOrEqualTo(deadline);
            assertThat(taken.slot()).as("the dead holder's slot").isEqualTo(stale.slot());
            assertThat(taken.fencingToken()).isGreaterThan(stale.fencingToken()).isGreaterThan(survivor.fencingToken());
            assertThat(join(stale.whenLost())).isEqualTo(LossReason.SESSION_EXPIRED);
            assertThat(stale.isHeld()).isFalse();
            assertThatThrownBy(stale::release).isInstanceOf(LockLostException.class)
                    .hasMessageContaining(name).hasMessageContaining(String.valueOf(stale.fencingToken()));
            assertThat(survivor.isHeld()).isTrue();
            taken.release();
            survivor.release();
        } finally {
            doomed.close();
        }
    }

    @Test
    void aDifferentNumberOfPermitsFailsWithBothNumbers() throws Exception {
        String name = unique("count");
        try (Session a = session(); Session b = session()) {
            Permit held = a.semaphore(name, 3).acquire();
            assertThatThrownBy(() -> b.semaphore(name, 5).acquire()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(name).hasMessageContaining("3").hasMessageContaining("5");
            assertThatThrownBy(() -> b.semaphore(name, 5).tryAcquire(Duration.ofSeconds(1))).isInstanceOf(IllegalStateException.class);
            assertThat(entries(Primitive.SEMAPHORE, name)).as("the refused request left nothing").hasSize(1);
            Optional<Permit> same = b.semaphore(name, 3).tryAcquire(Duration.ZERO);
            assertThat(same).as("the same number is accepted, and the refused session may ask again").isPresent();
            same.get().release();
            held.release();
            Permit renewed = b.semaphore(name, 5).tryAcquire(Duration.ZERO).orElseThrow();
            assertThat(renewed.slot()).as("once nobody holds or waits, the next request sets the number").isZero();
            renewed.release();
        }
    }

    @Test
    void aSessionHoldsOnePermitOfANameAndLosesItWithTheSession() throws Exception {
        String name = unique("one");
        Session s = session();
        Permit p = s.semaphore(name, 3).acquire();
        assertThatThrownBy(() -> s.semaphore(name, 3).acquire()).isInstanceOf(AlreadyHeldException.class).hasMessageContaining(name);
        assertThatThrownBy(() -> s.semaphore(name, 3).acquireAsync()).isInstanceOf(AlreadyHeldException.class);
        Thread releaser = new Thread(p::release, "kit-releaser");
        releaser.start();
        releaser.join(patience().toMillis());
        assertThat(p.isHeld()).as("released from another thread").isFalse();
        p.release(); // a second release is a no-op
        Permit again = s.semaphore(name, 3).acquire();
        s.close();
        assertThat(join(again.whenLost())).isEqualTo(LossReason.SESSION_CLOSED);
        assertThat(again.isHeld()).isFalse();
        assertThatThrownBy(again::release).isInstanceOf(LockLostException.class);
        assertThat(entries(Primitive.SEMAPHORE, name)).as("close frees the permit at once").isEmpty();
    }
}
