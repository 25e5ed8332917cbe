package io.coord.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coord.AlreadyHeldException;
import io.coord.LockLostException;
import io.coord.LossReason;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.lock.FencedLock;
import io.coord.lock.LockGrant;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Fenced-lock rules, run for the plain lock and the fair lock alike. */
public abstract class LockRules extends Scenario {

    /**
     * These rules against the backend {@code backend} supplies (see {@link Scenario#Scenario}).
     *
     * @param backend called before each scenario
     */
    protected LockRules(Supplier<KitBackend> backend) {
        super(backend);
    }

    private static Primitive primitive(LockKind kind) {
        return kind == LockKind.LOCK ? Primitive.LOCK : Primitive.FAIR_LOCK;
    }

    @ParameterizedTest
    @EnumSource(LockKind.class)
    void uncontendedGrantsCarryIncreasingTokens(LockKind kind) throws Exception {
        String name = unique("plain");
        try (Session s = session()) {
            FencedLock lock = kind.of(s, name);
            long before = roundTrips(kind);
            LockGrant first = lock.acquire();
            assertThat(first.fencingToken()).isPositive();
            assertThat(first.isHeld()).isTrue();
            assertThat(first.lockName()).isEqualTo(name);
            assertThat(entries(primitive(kind), name)).hasSize(1);
            first.release();
            long cycle = roundTrips(kind) - before;
            System.out.printf("[kit] %s %s: %d round trip(s) per uncontended acquire+release%n", backend.label(), kind, cycle);
            assertThat(cycle).as("round trips of one uncontended acquire + release")
                    .isLessThanOrEqualTo(backend.maxRoundTripsPerUncontendedCycle());
            assertThat(first.isHeld()).isFalse();
            assertThat(entries(primitive(kind), name)).isEmpty();
            LockGrant second = lock.tryAcquire(Duration.ZERO).orElseThrow();
            assertThat(second.fencingToken()).isGreaterThan(first.fencingToken());
            second.close();
        }
    }

    /**
     * N sessions × M acquisitions doing an unprotected read-modify-write under the lock: the count is
     * exact, the fenced register accepts every write, and the history checker finds no overlap and
     * strictly increasing tokens.
     */
    @ParameterizedTest
    @EnumSource(LockKind.class)
    void mutualExclusionUnderContention(LockKind kind) throws Exception {
        int sessions = 4;
        int rounds = 12;
        String name = unique("contended");
        FencedRegister register = new FencedRegister();
        History history = new History();
        java.util.concurrent.atomic.AtomicLong plainCounter = new java.util.concurrent.atomic.AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(sessions);
        List<Session> opened = new ArrayList<>();
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int i = 0; i < sessions; i++) {
                Session s = (i % 2 == 0 ? coord : newCoordinator()).openSession(backend.longTtl());
                opened.add(s);
                String process = "p" + i;
                FencedLock lock = kind.of(s, name);
                workers.add(pool.submit(() -> {
                    History.Recorder rec = history.recorder(process, name);
                    for (int r = 0; r < rounds; r++) {
                        rec.invoke(Operation.ACQUIRE);
                        LockGrant g = lock.acquire();
                        rec.ok(Operation.ACQUIRE, g.fencingToken());
                        long seen = plainCounter.get();
                        Thread.yield(); // widen the race window: only the lock protects this update
                        plainCounter.set(seen + 1);
                        long value = register.value();
                        assertThat(register.write(g.fencingToken(), process, value + 1).accepted()).isTrue();
                        rec.invoke(Operation.RELEASE);
                        g.release();
                        rec.ok(Operation.RELEASE, g.fencingToken());
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
        assertThat(verdict.maxConcurrentHolders()).isEqualTo(1);
        assertThat(plainCounter.get()).as("unprotected counter updated only under the lock").isEqualTo(sessions * rounds);
        assertThat(register.value()).isEqualTo(sessions * rounds);
        assertThat(register.rejectedCount()).isZero();
    }

    @ParameterizedTest
    @EnumSource(LockKind.class)
    void aTimedOutAcquireLeavesNothingAndNeverGetsTheLockLater(LockKind kind) throws Exception {
        String name = unique("timed");
        try (Session holder = session(); Session quitter = session(); Session third = session()) {
            LockGrant held = kind.of(holder, name).acquire();
            List<String> before = entries(primitive(kind), name);

            Optional<LockGrant> none = kind.of(quitter, name).tryAcquire(Duration.ofMillis(300));

            assertThat(none).isEmpty();
            assertThat(entries(primitive(kind), name)).as("the timed-out waiter removed its entry before returning").isEqualTo(before);
            assertThat(kind.of(quitter, name).tryAcquire(Duration.ZERO)).as("still held: zero timeout tries once").isEmpty();
            held.release();
            LockGrant next = kind.of(third, name).tryAcquire(Duration.ZERO).orElseThrow(
                    () -> new AssertionError("lock not free after release: a quitter kept it"));
            assertThat(next.fencingToken()).isGreaterThan(held.fencingToken());
            next.release();
        }
    }

    @ParameterizedTest
    @EnumSource(LockKind.class)
    void anInterruptedAcquireLeavesNothing(LockKind kind) throws Exception {
        String name = unique("interrupt");
        try (Session holder = session(); Session quitter = session(); Session third = session()) {
            LockGrant held = kind.of(holder, name).acquire();
            List<String> before = entries(primitive(kind), name);
            AtomicReference<Throwable> outcome = new AtomicReference<>();
            CountDownLatch started = new CountDownLatch(1);
            Thread waiter = new Thread(() -> {
                started.countDown();
                try {
                    kind.of(quitter, name).acquire();
                    outcome.set(new AssertionError("acquired while held"));
                } catch (Throwable t) {
                    outcome.set(t);
                }
            }, "kit-interrupted-waiter");
            waiter.start();
            started.await();
            if (kind == LockKind.FAIR_LOCK) {
                await().untilAsserted(() -> assertThat(entries(primitive(kind), name)).hasSize(2));
            }
            waiter.interrupt();
            waiter.join(patience().toMillis());

            assertThat(outcome.get()).isInstanceOf(InterruptedException.class);
            assertThat(entries(primitive(kind), name)).as("interrupted waiter removed its entry before throwing").isEqualTo(before);
            held.release();
            assertThat(kind.of(third, name).tryAcquire(Duration.ZERO)).as("lock free: nobody who gave up holds it").isPresent();
        }
    }

    @ParameterizedTest
    @EnumSource(LockKind.class)
    void aCancelledAsyncAcquireLeavesNothing(LockKind kind) throws Exception {
        String name = unique("cancel");
        try (Session holder = session(); Session quitter = session(); Session third = session()) {
            LockGrant held = kind.of(holder, name).acquire();
            List<String> before = entries(primitive(kind), name);
            CompletableFuture<LockGrant> pending = kind.of(quitter, name).acquireAsync();
            if (kind == LockKind.FAIR_LOCK) {
                await().untilAsserted(() -> assertThat(entries(primitive(kind), name)).hasSize(2));
            }

            assertThat(pending.cancel(true)).isTrue();

            await().untilAsserted(() -> assertThat(entries(primitive(kind), name)).isEqualTo(before));
            held.release();
            // The cancellation may have overtaken the enqueue (a plain lock's entry is not awaited above): the
            // entry may still land and is then removed, so the lock is free soon, and stays free of the quitter.
            LockGrant next = await().alias("lock free after release: the cancelled waiter does not keep it")
                    .until(() -> kind.of(third, name).tryAcquire(Duration.ZERO), Optional::isPresent).orElseThrow();
            next.release();
            assertThat(pending.isCancelled()).isTrue();
            // The cancelled session may acquire again: its claim is given back once its entry is gone.
            await().untilAsserted(() -> kind.of(quitter, name).acquire().release());
        }
    }

    @ParameterizedTest
    @EnumSource(LockKind.class)
    void doubleReleaseIsANoOpAndNeverDisturbsTheNextHolder(LockKind kind) throws Exception {
        String name = unique("double");
        try (Session a = session(); Session b = session()) {
            LockGrant first = kind.of(a, name).acquire();
            first.release();
            LockGrant second = kind.of(b, name).acquire();
            first.release();
            first.close();
            assertThat(second.isHeld()).isTrue();
            assertThat(entries(primitive(kind), name)).hasSize(1);
            assertThat(kind.of(a, name).tryAcquire(Duration.ZERO)).as("second holder undisturbed").isEmpty();
            second.release();
        }
    }

    @ParameterizedTest
    @EnumSource(LockKind.class)
    void anyThreadMayRelease(LockKind kind) throws Exception {
        String name = unique("thread");
        try (Session s = session(); Session other = session()) {
            LockGrant g = kind.of(s, name).acquireAsync().get();
            Thread releaser = new Thread(g::release, "kit-releaser");
            releaser.start();
            releaser.join(patience().toMillis());
            assertThat(g.isHeld()).isFalse();
            assertThat(kind.of(other, name).tryAcquire(Duration.ZERO)).isPresent();
        }
    }

    @ParameterizedTest
    @EnumSource(LockKind.class)
    void theSameSessionAskingAgainFailsAtOnce(LockKind kind) throws Exception {
        String name = unique("reenter");
        try (Session s = session(); Session other = session()) {
            LockGrant g = kind.of(s, name).acquire();
            assertThatThrownBy(() -> kind.of(s, name).acquire()).isInstanceOf(AlreadyHeldException.class)
                    .hasMessageContaining(name).hasMessageContaining("not re-entrant");
            assertThatThrownBy(() -> kind.of(s, name).tryAcquire(Duration.ofSeconds(1))).isInstanceOf(AlreadyHeldException.class);
            assertThatThrownBy(() -> kind.of(s, name).acquireAsync()).isInstanceOf(AlreadyHeldException.class);
            assertThat(g.isHeld()).isTrue();
            g.release();

            // Waiting counts too: a second request while the first one waits fails at once.
            LockGrant blocker = kind.of(other, name).acquire();
            CompletableFuture<LockGrant> waiting = kind.of(s, name).acquireAsync();
            assertThatThrownBy(() -> kind.of(s, name).tryAcquire(Duration.ZERO)).isInstanceOf(AlreadyHeldException.class);
            blocker.release();
            LockGrant again = join(waiting);
            assertThat(again.fencingToken()).isGreaterThan(blocker.fencingToken());
            again.release();
        }
    }

    @ParameterizedTest
    @EnumSource(LockKind.class)
    void releaseAfterLossThrowsAndNeverDisturbsTheNewHolder(LockKind kind) throws Exception {
        String name = unique("lost");
        Session doomed = session();
        LockGrant old = kind.of(doomed, name).acquire();
        doomed.close();
        assertThat(join(old.whenLost())).isEqualTo(LossReason.SESSION_CLOSED);
        try (Session s = session()) {
            LockGrant current = kind.of(s, name).acquire();
            assertThatThrownBy(old::release).isInstanceOf(LockLostException.class)
                    .hasMessageContaining(String.valueOf(old.fencingToken()));
            assertThatThrownBy(old::release).as("every later release says so too").isInstanceOf(LockLostException.class);
            assertThat(current.isHeld()).isTrue();
            assertThat(entries(primitive(kind), name)).hasSize(1);
            current.release();
        }
    }

    @ParameterizedTest
    @EnumSource(LockKind.class)
    void namesAreIsolatedAndSpecialCharactersAreSafe(LockKind kind) throws Exception {
        List<String> names = List.of("a/b", "a%2Fb", "a b", "*", "{tag}", "100%", "ключ", "锁/🔒", "..", ".", "x".repeat(256));
        try (Session s = session(); Session t = session()) {
            List<LockGrant> grants = new ArrayList<>();
            for (String n : names) {
                grants.add(kind.of(s, n).tryAcquire(Duration.ZERO).orElseThrow(() -> new AssertionError("'" + n + "' not free")));
            }
            for (String n : names) {
                assertThat(kind.of(t, n).tryAcquire(Duration.ZERO)).as("'%s' is held by s", n).isEmpty();
                assertThat(entries(primitive(kind), n)).as("'%s' has exactly its own entry", n).hasSize(1);
            }
            grants.forEach(LockGrant::release);
        }
    }

    private long roundTrips(LockKind kind) {
        return coord.stats().roundTrips(primitive(kind));
    }
}
