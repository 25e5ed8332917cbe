package io.coord.shedlock;

import static java.time.Duration.ZERO;
import static java.time.Duration.ofMillis;
import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.coord.BackendUnavailableException;
import io.coord.Coordinator;
import io.coord.Session;
import io.coord.SessionExpiredException;
import io.coord.SessionState;
import io.coord.lock.LockGrant;
import io.coord.testkit.CrashableClient;
import io.coord.testservers.TcpFaultProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.javacrumbs.shedlock.core.ClockProvider;
import net.javacrumbs.shedlock.core.DefaultLockingTaskExecutor;
import net.javacrumbs.shedlock.core.LockAssert;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.LockingTaskExecutor;
import net.javacrumbs.shedlock.core.SimpleLock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The contract ShedLock's own provider suite checks ({@code AbstractLockProviderIntegrationTest},
 * {@code AbstractExtensibleLockProviderIntegrationTest} and its {@code FuzzTester} in shedlock-test-support, which is
 * not published), written again for coord with Awaitility instead of sleeps, plus what is coord's own: another node
 * (another coordinator and session) as the competitor, the holder that dies, fencing tokens, bad input, and the
 * server's keyspace empty after every test. Subclassed once per backend, each on a real server.
 *
 * <p>"Locked" and "unlocked" are checked from a third session, the probe, trying the coord lock of the same name
 * once ({@link #assertLocked}, {@link #assertUnlocked}): what any other node would see.
 */
abstract class CoordLockProviderContract {
    /** Long enough never to elapse during a test, as ShedLock's suite's default (5 minutes). */
    private static final Duration LONG = Duration.ofMinutes(5);
    private static final Duration WAIT = ofSeconds(30);

    private final String lockName = "job-" + UUID.randomUUID();
    private String namespace;
    private Coordinator nodeA;
    private Coordinator nodeB;
    private Session sessionA;
    private Session sessionB;
    private Session probe;
    private CoordLockProvider providerA;
    private CoordLockProvider providerB;
    private final List<AutoCloseable> extra = new ArrayList<>();

    /** The server this subclass runs against, started once per class. */
    protected abstract Backend backend();

    @BeforeEach
    void open(TestInfo test) {
        namespace = "shedlock-" + UUID.randomUUID().toString().substring(0, 8);
        nodeA = backend().open(namespace);
        nodeB = backend().open(namespace);
        sessionA = nodeA.openSession(backend().ttl());
        sessionB = nodeB.openSession(backend().ttl());
        probe = nodeB.openSession(backend().ttl());
        providerA = new CoordLockProvider(sessionA);
        providerB = new CoordLockProvider(sessionB);
    }

    @AfterEach
    void closeAndCheckTheServerIsClean() throws Exception {
        for (AutoCloseable c : List.of(providerA, providerB, probe, sessionA, sessionB, nodeA, nodeB)) {
            c.close();
        }
        for (AutoCloseable c : extra) {
            c.close();
        }
        await().atMost(WAIT).untilAsserted(() -> assertThat(backend().leftovers(namespace))
                .as("what coord left in namespace %s on %s after every session closed", namespace, backend().label())
                .isEmpty());
        await().atMost(WAIT).untilAsserted(() -> assertThat(Thread.getAllStackTraces().keySet())
                .as("the providers' timer and release threads stop with close()")
                .noneMatch(t -> t.getName().startsWith("coord-shedlock-") && t.isAlive()));
    }

    // ---- AbstractLockProviderIntegrationTest ----

    @Test
    void createsALockAndReleasesItOnUnlock() {
        Optional<SimpleLock> lock = providerA.lock(config(lockName));
        assertThat(lock).isNotEmpty();
        assertLocked(lockName);
        assertThat(providerA.currentToken(lockName)).isPresent();
        lock.get().unlock();
        assertUnlocked(lockName);
        assertThat(providerA.currentToken(lockName)).isEmpty();
    }

    @Test
    void doesNotReturnASecondLockToTheSameProviderNorToAnotherNode() {
        Optional<SimpleLock> lock = providerA.lock(config(lockName));
        assertThat(lock).isNotEmpty();
        assertThat(providerA.lock(config(lockName))).as("the same provider (same session) asking again").isEmpty();
        assertThat(providerB.lock(config(lockName))).as("another node").isEmpty();
        try (CoordLockProvider another = new CoordLockProvider(sessionA)) {
            assertThat(another.lock(config(lockName)))
                    .as("another provider on the same session: empty, not AlreadyHeldException").isEmpty();
        }
        lock.get().unlock();
        assertUnlocked(lockName);
    }

    @Test
    void createsTwoIndependentLocks() {
        Optional<SimpleLock> lock1 = providerA.lock(config(lockName));
        Optional<SimpleLock> lock2 = providerA.lock(config("name2"));
        assertThat(lock1).isNotEmpty();
        assertThat(lock2).isNotEmpty();
        assertThat(providerA.currentToken(lockName)).isNotEqualTo(providerA.currentToken("name2"));
        lock1.get().unlock();
        assertLocked("name2");
        lock2.get().unlock();
        assertUnlocked(lockName);
        assertUnlocked("name2");
    }

    @Test
    void locksTwiceInARow() {
        Optional<SimpleLock> lock1 = providerA.lock(config(lockName));
        assertThat(lock1).isNotEmpty();
        long first = providerA.currentToken(lockName).orElseThrow();
        lock1.get().unlock();

        Optional<SimpleLock> lock2 = providerA.lock(config(lockName));
        assertThat(lock2).isNotEmpty();
        assertThat(providerA.currentToken(lockName).orElseThrow()).as("a new grant, a greater fencing token").isGreaterThan(first);
        lock2.get().unlock();
    }

    @Test
    void lockAtMostForReleasesTheLockForAnotherNodeWhileTheTaskStillRuns() {
        Duration atMost = ofSeconds(2);
        long t0 = System.nanoTime();
        Optional<SimpleLock> lock1 = providerA.lock(config(lockName, atMost, ZERO));
        assertThat(lock1).isNotEmpty();
        long first = providerA.fencingToken(lock1.get()); // the grant's token, whenever it is read

        // the task "still runs" (nobody unlocks); the provider's timer releases the grant at lockAtMostFor
        SimpleLock lock2 = awaitLock(providerB, config(lockName));
        assertNotBefore(t0, atMost, "node B got the lock");
        assertThat(providerB.currentToken(lockName).orElseThrow()).isGreaterThan(first);
        assertThat(providerA.currentToken(lockName)).as("the timed-out holder no longer has a token").isEmpty();
        lock1.get().unlock(); // the late unlock does nothing: it must not release node B's grant
        assertLocked(lockName);
        lock2.unlock();
        assertUnlocked(lockName);
    }

    @Test
    void canLockRightAfterUnlock() {
        for (int i = 0; i < 10; i++) {
            Optional<SimpleLock> lock = providerA.lock(config(lockName));
            assertThat(lock).as("locked in round %d", i).isNotEmpty();
            assertThat(providerA.lock(config(lockName))).isEmpty();
            assertThat(providerB.lock(config(lockName))).isEmpty();
            lock.get().unlock();
        }
        assertUnlocked(lockName);
    }

    @Test
    void lockAtLeastForKeepsTheLockAfterAnEarlyUnlockThenReleasesIt() {
        // "held until lockAtLeastFor" is proved by when another node gets it: never before the deadline
        Duration atLeast = ofSeconds(2);
        long t0 = System.nanoTime();
        Optional<SimpleLock> lock1 = providerA.lock(config(lockName, ofSeconds(60), atLeast));
        assertThat(lock1).isNotEmpty();
        long token = providerA.fencingToken(lock1.get());
        lock1.get().unlock();
        assertThat(providerA.currentToken(lockName)).as("the run is over once it unlocked").isEmpty();

        SimpleLock lock3 = awaitLock(providerB, config(lockName));
        assertNotBefore(t0, atLeast, "node B got the lock");
        assertThat(providerB.currentToken(lockName).orElseThrow()).isGreaterThan(token);
        lock3.unlock();
        assertUnlocked(lockName);
    }

    @Test
    void withinLockAtLeastForNobodyGetsTheLockNotEvenTheSameProvider() {
        // a window far longer than these few calls; close() ends it instead of waiting for it
        SimpleLock lock1 = providerA.lock(config(lockName, ofSeconds(60), ofSeconds(30))).orElseThrow();
        lock1.unlock();
        assertThat(providerA.lock(config(lockName))).as("the same provider, within lockAtLeastFor").isEmpty();
        assertThat(providerB.lock(config(lockName))).as("another node, within lockAtLeastFor").isEmpty();
        assertLocked(lockName);
        providerA.close();
        assertUnlocked(lockName);
    }

    /**
     * The token belongs to the run that locked, not to the name: after lockAtMostFor released run 1's grant and
     * the same provider locked the name again for run 2 on another thread, run 1 reads empty and run 2 its own,
     * newer token.
     */
    @Test
    void theFencingTokenBelongsToTheRunNotToTheLockName() throws Exception {
        SimpleLock run1 = providerA.lock(config(lockName, ofSeconds(2), ZERO)).orElseThrow();
        long token1 = providerA.fencingToken(run1);
        await().atMost(WAIT).untilAsserted(() -> assertUnlocked(lockName)); // released by lockAtMostFor

        long[] run2 = onAnotherThread(() -> {
            SimpleLock lock = awaitLock(providerA, config(lockName));
            return new long[] {providerA.fencingToken(lock), providerA.currentToken(lockName).orElseThrow()};
        });
        assertThat(run2[1]).as("run 2 reads its own grant's token").isEqualTo(run2[0]).isGreaterThan(token1);
        assertThat(providerA.currentToken(lockName)).as("run 1, whose lockAtMostFor elapsed, reads no token").isEmpty();
        assertLocked(lockName);
        run1.unlock(); // late: must not release run 2's grant
        assertLocked(lockName);
        providerA.close();
        assertUnlocked(lockName);
    }

    @Test
    void aLockCanBeUnlockedFromAnotherThread() throws Exception {
        SimpleLock lock = providerA.lock(config(lockName)).orElseThrow();
        assertThat(providerA.currentToken(lockName)).isPresent();
        assertThat(onAnotherThread(() -> {
            lock.unlock();
            return providerA.currentToken(lockName);
        })).as("the unlocking thread never ran it").isEmpty();
        assertUnlocked(lockName);
        assertThat(providerA.currentToken(lockName)).as("the locking thread's run is over").isEmpty();
        assertThat(providerA.lock(config(lockName))).as("and the name can be locked again").isNotEmpty()
                .get().satisfies(SimpleLock::unlock);
    }

    /** unlock() racing the lockAtMostFor timer: a lockAtMostFor of 1 ms has always passed when lock() returns. */
    @Test
    void unlockRacingTheLockAtMostForTimerNeverFailsNorLeaksTheLock() {
        int rounds = 25;
        int ran = 0;
        for (int i = 0; i < rounds; i++) {
            SimpleLock lock = awaitLock(providerA, config(lockName, ofMillis(1), ZERO));
            lock.unlock(); // before, during or after the timer's release: no exception, no double release
            ran++;
        }
        assertThat(ran).isEqualTo(rounds);
        await().atMost(WAIT).untilAsserted(() -> assertUnlocked(lockName));
    }

    /** close() while other threads lock: each lock() returns a lock, empty, or throws "closed"; nothing leaks. */
    @Test
    void closeConcurrentWithLockLeavesNothingHeld() throws Exception {
        int threads = 4;
        List<String> acquired = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger refusedAsClosed = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                running.add(pool.submit(() -> {
                    for (int k = 0; k < 10_000; k++) {
                        String name = lockName + "-" + thread + "-" + k;
                        try {
                            providerA.lock(config(name)).ifPresent(l -> acquired.add(name));
                        } catch (IllegalStateException e) {
                            assertThat(e).hasMessageContaining("closed");
                            refusedAsClosed.incrementAndGet();
                            return;
                        }
                    }
                }));
            }
            await().atMost(WAIT).until(() -> acquired.size() >= 8);
            providerA.close();
            for (Future<?> f : running) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(refusedAsClosed).as("every locking thread ended on the closed provider").hasValue(threads);
        for (String name : List.copyOf(acquired)) {
            assertUnlocked(name);
        }
    }

    /**
     * ShedLock's FuzzTester, smaller: 8 threads on two nodes (4 per provider, so both the same session and other
     * sessions compete) increment two unsynchronized counters under two locks with lockAtLeastFor 5 ms (the
     * deferred release is exercised too). Not one increment may be lost, no two critical sections may overlap,
     * and each lock's fencing tokens must strictly increase in the order the sections ran.
     */
    @Test
    void fuzz() throws Exception {
        int threads = 8;
        int iterations = 40;
        int shortIterations = 10;
        Job[] jobs = {new Job("lock1"), new Job("lock2")};
        LockingTaskExecutor onA = new DefaultLockingTaskExecutor(providerA);
        LockingTaskExecutor onB = new DefaultLockingTaskExecutor(providerB);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Callable<Void>> tasks = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                LockingTaskExecutor executor = i < threads / 2 ? onA : onB;
                CoordLockProvider provider = i < threads / 2 ? providerA : providerB;
                Job job = jobs[i % 2];
                int n = i == 0 ? shortIterations : iterations; // a short task, as FuzzTester has
                tasks.add(() -> {
                    for (int k = 0; k < n; k++) {
                        await().atMost(ofSeconds(120)).pollInSameThread().pollDelay(ZERO).pollInterval(ofMillis(2))
                                .until(() -> runOnce(executor, job, provider));
                    }
                    return null;
                });
            }
            for (Future<Void> f : pool.invokeAll(tasks)) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(jobs[0].counter).isEqualTo((threads / 2 - 1) * iterations + shortIterations);
        assertThat(jobs[1].counter).isEqualTo(threads / 2 * iterations);
        for (Job job : jobs) {
            assertThat(job.overlaps.get()).as("overlapping critical sections of %s", job.name).isZero();
            assertThat(job.tokens).as("tokens of %s in run order", job.name).isSorted().doesNotHaveDuplicates();
        }
    }

    // ---- AbstractExtensibleLockProviderIntegrationTest ----

    /** Once, and then several times in a row (ShedLock's two tests in one, to save the wait past the deadline). */
    @Test
    void extendsALockPastItsOriginalLockAtMostForOnceAndMultipleTimes() {
        Duration atMost = ofSeconds(3);
        long t0 = System.nanoTime();
        SimpleLock lock = providerA.lock(config(lockName, atMost, ZERO)).orElseThrow();
        SimpleLock extended = extend(lock, ZERO); // at once: well inside the 3 s
        long token = providerA.fencingToken(lock);
        extended = extend(extend(extended, ZERO), ZERO);
        assertStaysLockedUntil(t0 + atMost.plus(ofSeconds(2)).toNanos(), lockName);
        assertThat(providerA.currentToken(lockName)).as("extending keeps the grant").hasValue(token);
        assertThat(providerA.fencingToken(extended)).isEqualTo(token);
        extended.unlock();
        assertUnlocked(lockName);
    }

    /**
     * ShedLock's LockConfiguration refuses lockAtLeastFor &gt; lockAtMostFor inside AbstractSimpleLock.extend, before
     * the provider is asked: the lock is not spent, still held, and can be unlocked.
     */
    @Test
    void anExtensionWithLockAtLeastForAboveLockAtMostForIsRefusedAndTheLockStaysValid() {
        SimpleLock lock = lockA(ofSeconds(60));
        long token = providerA.fencingToken(lock);
        assertThatThrownBy(() -> lock.extend(ofSeconds(1), ofSeconds(5))).isInstanceOf(IllegalArgumentException.class);
        assertLocked(lockName);
        assertThat(providerA.currentToken(lockName)).hasValue(token);
        lock.unlock();
        assertUnlocked(lockName);
    }

    @Test
    void cannotExtendOrUnlockAnUnlockedLock() {
        SimpleLock lock = lockA(ofSeconds(60));
        lock.unlock();
        assertUnlocked(lockName);
        assertThatThrownBy(() -> lock.extend(ofSeconds(10), ZERO)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(lock::unlock).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void cannotExtendALockWhoseLockAtMostForElapsed() {
        Optional<SimpleLock> lock = providerA.lock(config(lockName, ofMillis(2), ZERO));
        assertThat(lock).isNotEmpty();
        await().atMost(WAIT).until(() -> providerA.currentToken(lockName).isEmpty());
        assertThat(lock.get().extend(ofSeconds(10), ZERO)).isEmpty();
        // the token goes empty when the timer marks the grant released, a moment before the server confirms it
        await().atMost(WAIT).untilAsserted(() -> assertUnlocked(lockName));
    }

    @Test
    void extendsLockAtLeastFor() {
        SimpleLock lock = lockA(ofSeconds(60));
        SimpleLock extended = extend(lock, ofSeconds(30));
        extended.unlock();
        assertLocked(lockName); // held until 30 s after the extension
        providerA.close();      // releases the deferred release at once
        assertUnlocked(lockName);
    }

    @Test
    void aLockCannotBeExtendedTwice() {
        SimpleLock lock = lockA(ofSeconds(60));
        SimpleLock extended = extend(lock, ZERO);
        assertThatThrownBy(() -> lock.extend(ofSeconds(60), ofSeconds(9))).isInstanceOf(IllegalStateException.class);
        extended.unlock();
        assertUnlocked(lockName);
    }

    @Test
    void aLockCannotBeUnlockedAfterExtending() {
        SimpleLock lock = lockA(ofSeconds(60));
        SimpleLock extended = extend(lock, ZERO);
        assertThatThrownBy(lock::unlock).isInstanceOf(IllegalStateException.class);
        assertLocked(lockName);
        extended.unlock();
        assertUnlocked(lockName);
    }

    // ---- coord's own ----

    @Test
    void aHolderWhoseCoordinatorClosesWithoutUnlockingFreesTheLockAtOnce() {
        assertThat(providerA.lock(config(lockName))).isNotEmpty();
        long token = providerA.currentToken(lockName).orElseThrow();
        nodeA.close(); // no unlock, no provider close: the session's lease is revoked

        SimpleLock next = awaitLock(providerB, config(lockName)); // revoked at once; WAIT only bounds a slow machine
        assertThat(providerB.currentToken(lockName).orElseThrow()).isGreaterThan(token);
        assertThat(providerA.currentToken(lockName)).as("the dead holder's grant is lost").isEmpty();
        next.unlock();
        assertUnlocked(lockName);
    }

    /**
     * The holder's process is cut off (as a crash or a freeze looks to the server): nothing is revoked, the lease
     * expires on the server within its TTL, and another node takes the lock long before lockAtMostFor (5 min).
     */
    @Test
    void aCrashedHolderLosesTheLockWhenItsLeaseExpiresNotAtLockAtMostFor() {
        CrashableClient crashable = CrashableClient.throughProxies(backend().hostPorts(),
                proxies -> Coordinator.open(backend().uri(proxies, namespace)));
        extra.add(crashable);
        Session doomed = crashable.coordinator().openSession(backend().ttl());
        CoordLockProvider crashed = new CoordLockProvider(doomed);
        extra.add(0, crashed);
        assertThat(crashed.lock(config(lockName))).isNotEmpty();
        long token = crashed.currentToken(lockName).orElseThrow();

        crashable.crash();
        SimpleLock next = awaitLock(providerB, config(lockName), backend().ttl().multipliedBy(3).plus(ofSeconds(10)));
        assertThat(providerB.currentToken(lockName).orElseThrow()).isGreaterThan(token);
        await().atMost(WAIT).until(() -> doomed.state() == SessionState.EXPIRED);
        assertThat(crashed.currentToken(lockName)).as("the cut-off holder knows it lost the lock").isEmpty();
        next.unlock();
        assertUnlocked(lockName);
    }

    /**
     * The server cannot be reached when the task unlocks: the release is not confirmed, so the provider keeps the
     * name (its own lock() gets empty, nobody else can take it either) and retries from its timer; once the server
     * is reachable again the lock ends free while the session lives on.
     */
    @Test
    void anUnconfirmedReleaseIsRetriedUntilTheServerConfirmsIt() {
        List<TcpFaultProxy> proxies = new ArrayList<>();
        for (String hp : backend().hostPorts()) {
            int colon = hp.lastIndexOf(':');
            proxies.add(TcpFaultProxy.start(hp.substring(0, colon), Integer.parseInt(hp.substring(colon + 1)), 64));
        }
        extra.addAll(proxies);
        Coordinator flaky = Coordinator.open(backend().uri(proxies.stream().map(TcpFaultProxy::hostPort).toList(), namespace)
                + "?operationTimeout=" + backend().outageOperationTimeout().toMillis() + "ms");
        extra.add(0, flaky);
        Session session = flaky.openSession(backend().longTtl());
        CoordLockProvider provider = new CoordLockProvider(session);
        extra.add(0, provider);
        SimpleLock lock = awaitLockIgnoringTimeouts(provider, config(lockName)); // a slow first request: try again

        proxies.forEach(TcpFaultProxy::drop); // every connection reset, new ones too: nothing reaches the server
        lock.unlock();                        // not confirmed: logged, retried later, not thrown
        assertThat(provider.lock(config(lockName))).as("the release is still pending").isEmpty();
        assertLocked(lockName);
        proxies.forEach(TcpFaultProxy::heal);

        await().atMost(WAIT).untilAsserted(() -> assertUnlocked(lockName));
        assertThat(session.state()).as("the lock was released, not lost with its session").isIn(SessionState.ACTIVE, SessionState.SUSPENDED);
        SimpleLock again = awaitLock(provider, config(lockName));
        again.unlock();
    }

    @Test
    void aLockLostWithItsSessionUnlocksQuietlyAndLockThenFails() {
        Optional<SimpleLock> lock = providerA.lock(config(lockName));
        assertThat(lock).isNotEmpty();
        sessionA.close();
        await().atMost(WAIT).until(() -> providerA.currentToken(lockName).isEmpty());
        lock.get().unlock(); // lost: logged, not thrown (ShedLock calls it in a finally block)
        assertUnlocked(lockName);
        assertThatThrownBy(() -> providerA.lock(config(lockName))).isInstanceOf(SessionExpiredException.class);
    }

    @Test
    void namesAreCoordNamesUnchangedAndExcludePlainCoordHolders() throws Exception {
        String odd = "reports/daily {eu} * 100% ü";
        Optional<SimpleLock> lock = providerA.lock(config(odd));
        assertThat(lock).isNotEmpty();
        assertLocked(odd);
        lock.get().unlock();
        try (LockGrant plain = probe.lock(lockName).tryAcquire(ZERO).orElseThrow()) {
            assertThat(providerA.lock(config(lockName))).as("a plain coord holder of the same name excludes ShedLock").isEmpty();
            assertThat(plain.isHeld()).isTrue();
        }
        assertThat(providerA.lock(config("x".repeat(256)))).isNotEmpty().get().satisfies(SimpleLock::unlock);
    }

    @Test
    void badInputIsRefusedWithAClearMessage() {
        assertThatThrownBy(() -> new CoordLockProvider(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("session");
        assertThatThrownBy(() -> providerA.lock(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("configuration");
        assertThatThrownBy(() -> providerA.lock(config("   "))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a legal coord lock name").hasMessageContaining("must not be blank");
        assertThatThrownBy(() -> providerA.lock(config("é".repeat(129)))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("258 UTF-8 bytes").hasMessageContaining("at most 256");
        assertThatThrownBy(() -> providerA.currentToken(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> providerA.fencingToken(null)).isInstanceOf(NullPointerException.class);
        SimpleLock ofB = providerB.lock(config(lockName)).orElseThrow();
        assertThatThrownBy(() -> providerA.fencingToken(ofB)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a lock of this CoordLockProvider");
        ofB.unlock();
        providerA.close();
        providerA.close(); // idempotent
        assertThatThrownBy(() -> providerA.lock(config(lockName))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThat(providerA.toString()).contains(sessionA.id()).contains("closed");
        assertUnlocked(lockName);
    }

    @Test
    void closeReleasesEverythingThisProviderHoldsButLeavesTheSessionOpen() {
        assertThat(providerA.lock(config(lockName))).isNotEmpty();
        SimpleLock deferred = providerA.lock(config("name2", ofSeconds(60), ofSeconds(30))).orElseThrow();
        deferred.unlock(); // held 30 s more
        assertLocked(lockName);
        assertLocked("name2");
        providerA.close();
        assertUnlocked(lockName);
        assertUnlocked("name2");
        assertThat(sessionA.state()).isEqualTo(SessionState.ACTIVE);
    }

    // ---- helpers ----

    /** Like the ShedLock suite's assertLocked: another session cannot get the lock now. */
    private void assertLocked(String name) {
        Optional<LockGrant> grant = tryProbe(name);
        grant.ifPresent(LockGrant::release);
        assertThat(grant).as("'%s' is held, so the probe session cannot acquire it", name).isEmpty();
    }

    /** Like the ShedLock suite's assertUnlocked: another session gets the lock now (and gives it back). */
    private void assertUnlocked(String name) {
        Optional<LockGrant> grant = tryProbe(name);
        grant.ifPresent(LockGrant::release);
        assertThat(grant).as("'%s' is free, so the probe session acquires it", name).isPresent();
    }

    /** Checks, from now until {@code untilNanos} (System.nanoTime), that the lock stays held: Awaitility's during. */
    private void assertStaysLockedUntil(long untilNanos, String name) {
        Duration during = Duration.ofNanos(Math.max(0, untilNanos - System.nanoTime()));
        await().during(during).atMost(during.plus(WAIT)).pollInterval(ofMillis(100)).until(() -> {
            Optional<LockGrant> grant = tryProbe(name);
            grant.ifPresent(LockGrant::release);
            return grant.isEmpty();
        });
    }

    /**
     * A lower bound: at least {@code deadline} has passed since {@code t0} (taken before the lock configuration was
     * built). ShedLock's clock is truncated to milliseconds, so the configuration's createdAt may lie up to 1 ms
     * before {@code t0}, and with it the deadline.
     */
    private static void assertNotBefore(long t0, Duration deadline, String what) {
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("%s not before the deadline", what)
                .isGreaterThanOrEqualTo(deadline.minusMillis(1));
    }

    /** Runs {@code work} on a new thread and returns its result. */
    private static <T> T onAnotherThread(Callable<T> work) throws Exception {
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            return thread.submit(work).get(60, TimeUnit.SECONDS);
        } finally {
            thread.shutdownNow();
        }
    }

    private Optional<LockGrant> tryProbe(String name) {
        try {
            return probe.lock(name).tryAcquire(ZERO);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static SimpleLock awaitLock(CoordLockProvider provider, LockConfiguration config) {
        return awaitLock(provider, config, WAIT);
    }

    private static SimpleLock awaitLock(CoordLockProvider provider, LockConfiguration config, Duration atMost) {
        SimpleLock[] out = new SimpleLock[1];
        // in this thread: currentToken answers the thread that locked
        await().atMost(atMost).pollInSameThread().pollInterval(ofMillis(50)).until(() -> {
            Optional<SimpleLock> lock = provider.lock(config);
            lock.ifPresent(l -> out[0] = l);
            return lock.isPresent();
        });
        return out[0];
    }

    private static SimpleLock awaitLockIgnoringTimeouts(CoordLockProvider provider, LockConfiguration config) {
        SimpleLock[] out = new SimpleLock[1];
        await().atMost(WAIT).pollInSameThread().pollInterval(ofMillis(50))
                .ignoreException(BackendUnavailableException.class).until(() -> {
                    Optional<SimpleLock> lock = provider.lock(config);
                    lock.ifPresent(l -> out[0] = l);
                    return lock.isPresent();
                });
        return out[0];
    }

    /** One attempt through ShedLock's own executor, as FuzzTester makes: true if the task ran under the lock. */
    private static boolean runOnce(LockingTaskExecutor executor, Job job, CoordLockProvider provider) {
        LockingTaskExecutor.TaskWithResult<Boolean> task = () -> job.increment(provider);
        try {
            return executor.executeWithLock(task, job.config()).wasExecuted();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private SimpleLock lockA(Duration lockAtMostFor) {
        Optional<SimpleLock> lock = providerA.lock(config(lockName, lockAtMostFor, ZERO));
        assertThat(lock).isNotEmpty();
        assertLocked(lockName);
        return lock.get();
    }

    private static SimpleLock extend(SimpleLock lock, Duration lockAtLeastFor) {
        Optional<SimpleLock> extended = lock.extend(ofSeconds(60), lockAtLeastFor);
        assertThat(extended).isNotEmpty();
        return extended.get();
    }

    private static LockConfiguration config(String name) {
        return config(name, LONG, ZERO);
    }

    private static LockConfiguration config(String name, Duration lockAtMostFor, Duration lockAtLeastFor) {
        return new LockConfiguration(ClockProvider.now(), name, lockAtMostFor, lockAtLeastFor);
    }

    /** One fuzz job: an unsynchronized counter only its lock protects. */
    private static final class Job {
        final String name;
        int counter; // deliberately not volatile/atomic: the lock is what makes the increments safe
        final AtomicInteger inside = new AtomicInteger();
        final AtomicInteger overlaps = new AtomicInteger();
        final List<Long> tokens = new ArrayList<>(); // appended under the lock only

        Job(String name) {
            this.name = name;
        }

        LockConfiguration config() {
            return new LockConfiguration(ClockProvider.now(), name, LONG, ofMillis(5));
        }

        Boolean increment(CoordLockProvider provider) {
            LockAssert.assertLocked();
            if (inside.incrementAndGet() != 1) {
                overlaps.incrementAndGet();
            }
            int n = counter;
            for (int i = 0; i < 20; i++) {
                Thread.yield(); // widen the window in which a second holder would overwrite the counter
            }
            tokens.add(provider.currentToken(name).orElseThrow());
            counter = n + 1;
            inside.decrementAndGet();
            return Boolean.TRUE;
        }
    }
}
