package io.coord.spring.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.coord.Coordinator;
import io.coord.Session;
import io.coord.SessionState;
import io.coord.testkit.CrashableClient;
import io.coord.testservers.TcpFaultProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Lock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ApplicationEvent;
import org.springframework.dao.CannotAcquireLockException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.integration.leader.Candidate;
import org.springframework.integration.leader.Context;
import org.springframework.integration.leader.event.AbstractLeaderEvent;
import org.springframework.integration.leader.event.OnGrantedEvent;
import org.springframework.integration.leader.event.OnRevokedEvent;
import org.springframework.integration.support.leader.LockRegistryLeaderInitiator;

/**
 * The Spring Integration mapping, run against a real server per backend: the {@link Lock} contract of
 * {@link CoordLockRegistry}'s locks, {@code renewLock}, and {@link CoordLeaderInitiator}'s election, yield, stop and
 * session loss. After every test the coordinators are closed and nothing of the test's namespace is left on the server
 * but what the backend documents as permanent.
 */
abstract class SpringIntegrationContract {

    static final Duration WAIT = Duration.ofSeconds(30);
    static final Duration TTL = Duration.ofSeconds(10);

    /** A coordinator of {@code namespace} on the test server. */
    abstract Coordinator open(String namespace);

    /** A coordinator of {@code namespace} that the test can cut off from the server. */
    abstract CrashableClient openCrashable(String namespace);

    /** What of {@code namespace} is on the server, less what the backend documents as permanent. */
    abstract Set<String> leftovers(String namespace);

    /** How many candidates (the leader included) the server records for election {@code name} of {@code namespace}. */
    abstract int candidates(String namespace, String name);

    /** How many entries (the holder included) the server records for fenced lock {@code name} of {@code namespace}. */
    abstract int lockEntries(String namespace, String name);

    /** How many entries (the holder included) the server records for fair lock {@code name} of {@code namespace}. */
    abstract int fairEntries(String namespace, String name);

    /**
     * What of {@code namespace} is on the server while sessions are still open, less their session records: a
     * timed-out or interrupted acquisition's entry, or an unreleased grant, would show here.
     */
    Set<String> entries(String namespace) {
        return leftovers(namespace);
    }

    /** {@code host:port} of the test server, for a coordinator through a {@link TcpFaultProxy}. */
    abstract String serverHostPort();

    /** A coordinator of {@code namespace} at {@code hostPort}, with the given operation timeout. */
    abstract Coordinator openAt(String hostPort, String namespace, Duration operationTimeout);

    /** A short session TTL the backend grants as asked (for the session-loss tests). */
    abstract Duration shortTtl();

    String namespace;
    /** Coordinators, sessions, proxies: closed after the check of the server, in reverse order. */
    private final List<AutoCloseable> closeables = new ArrayList<>();
    /** Initiators: stopped before the check of the server, while the sessions are still open. */
    private final List<Runnable> stoppers = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @BeforeEach
    void namespace() {
        namespace = "si-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void nothingLeftBehind() throws Exception {
        try {
            threads.shutdownNow();
            assertThat(threads.awaitTermination(30, TimeUnit.SECONDS)).as("test threads ended").isTrue();
            for (int i = stoppers.size() - 1; i >= 0; i--) {
                stoppers.get(i).run();
            }
            // the sessions are still open: any entry left by a lock call or a campaign would show
            await().atMost(WAIT).untilAsserted(() -> assertThat(entries(namespace)).as("entries with sessions open")
                    .isEmpty());
        } finally {
            for (int i = closeables.size() - 1; i >= 0; i--) {
                closeables.get(i).close();
            }
        }
        await().atMost(WAIT).untilAsserted(() -> assertThat(leftovers(namespace)).isEmpty());
    }

    Session session() {
        Coordinator c = open(namespace);
        closeables.add(c);
        Session s = c.openSession(TTL);
        closeables.add(s);
        return s;
    }

    <T> Future<T> inThread(java.util.concurrent.Callable<T> work) {
        return threads.submit(work);
    }

    // ---------------------------------------------------------------- LockRegistry

    @Test
    void tryLockExcludesAnotherSessionAndTokensIncrease() throws Exception {
        CoordLockRegistry a = new CoordLockRegistry(session());
        CoordLockRegistry b = new CoordLockRegistry(session());
        CoordLock la = a.obtain("orders");
        CoordLock lb = b.obtain("orders");
        assertThat(a.obtain("orders")).isSameAs(la);

        assertThat(la.tryLock()).isTrue();
        long first = la.fencingToken();
        assertThat(first).isPositive();
        assertThat(la.isHeld()).isTrue();
        assertThat(inThread(lb::tryLock).get()).as("another session's tryLock while held").isFalse();
        la.unlock();
        assertThat(la.isHeld()).isFalse();
        assertThatThrownBy(la::fencingToken).isInstanceOf(IllegalStateException.class);

        assertThat(lb.tryLock()).isTrue();
        assertThat(lb.fencingToken()).isGreaterThan(first);
        lb.unlock();
    }

    @Test
    void timedTryLockTimesOutThenSucceedsWhenReleased() throws Exception {
        CoordLockRegistry a = new CoordLockRegistry(session());
        CoordLockRegistry b = new CoordLockRegistry(session());
        Lock la = a.obtain("batch");
        la.lock();
        assertThat(inThread(() -> b.obtain("batch").tryLock(200, TimeUnit.MILLISECONDS)).get())
                .as("timed out while held by another session").isFalse();
        // the same registry, another thread: the local lock times out
        assertThat(inThread(() -> a.obtain("batch").tryLock(100, TimeUnit.MILLISECONDS)).get()).isFalse();

        CompletableFuture<Long> waiter = new CompletableFuture<>();
        Future<?> t = inThread(() -> {
            CoordLock lb = b.obtain("batch");
            if (lb.tryLock(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                waiter.complete(lb.fencingToken());
                lb.unlock();
            } else {
                waiter.complete(-1L);
            }
            return null;
        });
        assertThat(waiter).isNotDone();
        la.unlock();
        assertThat(waiter.get(30, TimeUnit.SECONDS)).isPositive();
        t.get(30, TimeUnit.SECONDS);
    }

    @Test
    void lockInterruptiblyEndsOnInterruptAndLeavesNoEntry() throws Exception {
        CoordLockRegistry a = new CoordLockRegistry(session());
        CoordLockRegistry b = new CoordLockRegistry(session());
        Lock la = a.obtain("report");
        la.lock();
        AtomicReference<Thread> waiting = new AtomicReference<>();
        Future<Throwable> outcome = inThread(() -> {
            waiting.set(Thread.currentThread());
            try {
                b.obtain("report").lockInterruptibly();
                return null;
            } catch (InterruptedException e) {
                return e;
            }
        });
        // the waiter's entry is on the server, behind the holder's
        await().atMost(WAIT).until(() -> waiting.get() != null && lockEntries(namespace, "report") == 2);
        waiting.get().interrupt();
        assertThat(outcome.get(30, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
        assertThat(lockEntries(namespace, "report")).as("the interrupted waiter's entry is gone").isEqualTo(1);
        la.unlock();
        // the interrupted waiter neither holds the lock nor left a queue entry: another thread of b gets it at once
        assertThat(inThread(() -> {
            CoordLock lb = b.obtain("report");
            boolean got = lb.tryLock();
            if (got) {
                lb.unlock();
            }
            return got;
        }).get()).isTrue();
    }

    @Test
    void lockIsReentrantPerThreadAndTheGrantSpansTheOutermostHold() throws Exception {
        CoordLockRegistry a = new CoordLockRegistry(session());
        CoordLockRegistry b = new CoordLockRegistry(session());
        CoordLock la = a.obtain("nested");
        la.lock();
        long token = la.fencingToken();
        assertThat(la.tryLock()).isTrue();
        la.lockInterruptibly();
        assertThat(la.fencingToken()).as("nested holds share the grant").isEqualTo(token);
        la.unlock();
        la.unlock();
        assertThat(la.isHeld()).isTrue();
        assertThat(inThread(() -> b.obtain("nested").tryLock()).get()).as("still held after inner unlocks").isFalse();
        la.unlock();
        assertThat(inThread(() -> {
            CoordLock lb = b.obtain("nested");
            boolean got = lb.tryLock();
            if (got) {
                lb.unlock();
            }
            return got;
        }).get()).as("free after the outermost unlock").isTrue();
    }

    @Test
    void unlockByAnotherThreadThrowsAndChangesNothing() throws Exception {
        CoordLockRegistry a = new CoordLockRegistry(session());
        CoordLock la = a.obtain("owned");
        la.lock();
        assertThat(inThread(() -> {
            try {
                la.unlock();
                return null;
            } catch (IllegalStateException e) {
                return e;
            }
        }).get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("does not hold");
        assertThat(la.isHeld()).isTrue();
        la.unlock();
        assertThatThrownBy(la::unlock).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(la::newCondition).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void twoRegistriesOnTwoSessionsExcludeEachOtherAndTokensStrictlyIncrease() throws Exception {
        List<CoordLockRegistry> registries = List.of(new CoordLockRegistry(session()), new CoordLockRegistry(session()));
        AtomicInteger inside = new AtomicInteger();
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        List<Long> tokens = new CopyOnWriteArrayList<>();
        List<Future<?>> workers = new ArrayList<>();
        for (CoordLockRegistry r : registries) {
            for (int t = 0; t < 2; t++) {
                workers.add(inThread(() -> {
                    for (int i = 0; i < 5; i++) {
                        CoordLock l = r.obtain("ledger");
                        l.lock();
                        try {
                            if (inside.incrementAndGet() != 1) {
                                violations.add("two holders at once");
                            }
                            long token = l.fencingToken();
                            // the fenced resource: it accepts only tokens above the highest it has seen
                            if (!tokens.isEmpty() && token <= tokens.get(tokens.size() - 1)) {
                                violations.add("token " + token + " after " + tokens.get(tokens.size() - 1));
                            }
                            tokens.add(token);
                            inside.decrementAndGet();
                        } finally {
                            l.unlock();
                        }
                    }
                    return null;
                }));
            }
        }
        for (Future<?> w : workers) {
            w.get(60, TimeUnit.SECONDS);
        }
        assertThat(violations).isEmpty();
        assertThat(tokens).hasSize(20).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void fairRegistryGrantsInTurnWithIncreasingTokens() throws Exception {
        CoordLockRegistry a = new CoordLockRegistry(session(), true);
        CoordLockRegistry b = new CoordLockRegistry(session(), true);
        CoordLock la = a.obtain("queue");
        la.lock();
        long first = la.fencingToken();
        CompletableFuture<Long> second = new CompletableFuture<>();
        AtomicReference<Thread> waiting = new AtomicReference<>();
        Future<?> waiter = inThread(() -> {
            waiting.set(Thread.currentThread());
            CoordLock lb = b.obtain("queue");
            lb.lock();
            second.complete(lb.fencingToken());
            lb.unlock();
            return null;
        });
        // the waiter's entry is queued on the server behind the holder's
        await().atMost(WAIT).until(() -> waiting.get() != null && fairEntries(namespace, "queue") == 2);
        assertThat(second).isNotDone();
        la.unlock();
        assertThat(second.get(30, TimeUnit.SECONDS)).isGreaterThan(first);
        waiter.get(30, TimeUnit.SECONDS);
        // the fenced lock of the same name is another lock: held at once while the fair one is held
        la.lock();
        CoordLock plain = new CoordLockRegistry(session()).obtain("queue"); // a registry needs a session of its own
        assertThat(inThread(() -> {
            boolean got = plain.tryLock();
            if (got) {
                plain.unlock();
            }
            return got;
        }).get()).isTrue();
        la.unlock();
    }

    @Test
    void renewLockChecksTheGrantAndTheSession() throws Exception {
        CoordLockRegistry a = new CoordLockRegistry(session());
        assertThatThrownBy(() -> a.renewLock("job")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("does not hold");
        CoordLock l = a.obtain("job");
        l.lock();
        a.renewLock("job");
        assertThat(inThread(() -> {
            try {
                a.renewLock("job");
                return null;
            } catch (IllegalStateException e) {
                return e;
            }
        }).get()).as("renewLock by a thread that does not hold it").isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> a.renewLock("job", Duration.ofSeconds(30)))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("renewLock(key)");
        l.unlock();
    }

    @Test
    void aLostSessionFailsRenewAndTheLastUnlock() throws Exception {
        CrashableClient crashable = openCrashable(namespace);
        closeables.add(crashable);
        Session s = crashable.coordinator().openSession(shortTtl());
        CoordLockRegistry a = new CoordLockRegistry(s);
        CoordLock l = a.obtain("lease");
        l.lock();
        l.lock();
        long token = l.fencingToken();
        crashable.crash();
        await().atMost(WAIT).until(() -> s.state() == SessionState.EXPIRED);
        assertThat(l.isHeld()).isFalse();
        assertThatThrownBy(() -> a.renewLock("lease")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("lost");
        assertThatThrownBy(l::lock).as("a nested lock on a lost grant").isInstanceOf(CannotAcquireLockException.class);
        l.unlock(); // inner hold: nothing to release yet
        assertThatThrownBy(l::unlock).isInstanceOf(ConcurrentModificationException.class)
                .hasMessageContaining(String.valueOf(token));
        assertThat(l.isLockedInThisProcess()).as("the local lock is released all the same").isFalse();
        assertThatThrownBy(l::lock).as("the session has ended").isInstanceOf(CannotAcquireLockException.class);
        assertThat(l.isLockedInThisProcess()).isFalse();

        // another session gets the name, with a higher token
        CoordLock other = new CoordLockRegistry(session()).obtain("lease");
        assertThat(other.tryLock(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        assertThat(other.fencingToken()).isGreaterThan(token);
        other.unlock();
    }

    @Test
    void anUnconfirmedReleaseIsRetriedAndTheKeyIsNotForgottenMeanwhile() throws Exception {
        TcpFaultProxy proxy = TcpFaultProxy.start(serverHostPort().substring(0, serverHostPort().lastIndexOf(':')),
                Integer.parseInt(serverHostPort().substring(serverHostPort().lastIndexOf(':') + 1)), 64);
        closeables.add(proxy);
        Coordinator c = openAt(proxy.hostPort(), namespace, Duration.ofMillis(500));
        closeables.add(c);
        Session s = c.openSession(TTL);
        closeables.add(s);
        CoordLockRegistry a = new CoordLockRegistry(s);
        CoordLock l = a.obtain("unconfirmed");
        l.lock();
        long token = l.fencingToken();
        proxy.blackhole();
        assertThatThrownBy(l::unlock).isInstanceOf(DataAccessResourceFailureException.class)
                .hasMessageContaining("retried");
        assertThat(l.isLockedInThisProcess()).as("the local lock is released").isFalse();
        a.expireUnusedOlderThan(-1);
        assertThat(a.obtain("unconfirmed")).as("a key with a pending release is not forgotten").isSameAs(l);
        proxy.heal();
        // the background retry releases the grant: another session gets the lock, and the key can be forgotten
        CoordLock other = new CoordLockRegistry(session()).obtain("unconfirmed");
        assertThat(inThread(() -> {
            boolean got = other.tryLock(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            long next = got ? other.fencingToken() : -1;
            if (got) {
                other.unlock();
            }
            return next;
        }).get(60, TimeUnit.SECONDS)).isGreaterThan(token);
        await().atMost(WAIT).until(() -> {
            a.expireUnusedOlderThan(-1);
            return a.obtain("unconfirmed") != l;
        });
        CoordLock fresh = a.obtain("unconfirmed");
        fresh.lock();
        assertThat(fresh.fencingToken()).isGreaterThan(token);
        fresh.unlock();
    }

    @Test
    void lockKeepsWaitingWhenInterruptedAndKeepsTheFlag() throws Exception {
        CoordLockRegistry a = new CoordLockRegistry(session());
        CoordLockRegistry b = new CoordLockRegistry(session());
        CoordLock la = a.obtain("patient");
        la.lock();
        AtomicReference<Thread> waiting = new AtomicReference<>();
        CompletableFuture<Boolean> interruptedInside = new CompletableFuture<>();
        Future<?> waiter = inThread(() -> {
            waiting.set(Thread.currentThread());
            CoordLock lb = b.obtain("patient");
            lb.lock();
            try {
                interruptedInside.complete(Thread.currentThread().isInterrupted());
            } finally {
                lb.unlock();
            }
            Thread.interrupted();
            return null;
        });
        await().atMost(WAIT).until(() -> waiting.get() != null && lockEntries(namespace, "patient") == 2);
        waiting.get().interrupt();
        // still waiting: its entry stays queued and it does not return
        assertThat(lockEntries(namespace, "patient")).isEqualTo(2);
        assertThat(interruptedInside).isNotDone();
        la.unlock();
        assertThat(interruptedInside.get(30, TimeUnit.SECONDS)).as("the interrupt flag is kept").isTrue();
        waiter.get(30, TimeUnit.SECONDS);
    }

    @Test
    void timedTryLockSpendsItsBudgetOnTheLocalLockAndOnTheGrant() throws Exception {
        CoordLockRegistry a = new CoordLockRegistry(session());
        CoordLockRegistry b = new CoordLockRegistry(session());
        CoordLock la = a.obtain("budget");
        la.lock();
        long budget = 150;
        // another thread of the same registry: the whole budget on the local lock
        assertThat(inThread(() -> {
            long start = System.nanoTime();
            boolean got = a.obtain("budget").tryLock(budget, TimeUnit.MILLISECONDS);
            return !got && System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(budget);
        }).get()).isTrue();
        // another session: the local lock is free at once, the budget goes to the grant
        assertThat(inThread(() -> {
            long start = System.nanoTime();
            boolean got = b.obtain("budget").tryLock(budget, TimeUnit.MILLISECONDS);
            return !got && System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(budget);
        }).get()).isTrue();
        assertThat(lockEntries(namespace, "budget")).as("the timed-out entry is removed").isEqualTo(1);
        la.unlock();
    }

    @Test
    void aFairRegistryGrantsTwoWaitersInRequestOrder() throws Exception {
        CoordLockRegistry a = new CoordLockRegistry(session(), true);
        CoordLockRegistry b = new CoordLockRegistry(session(), true);
        CoordLockRegistry c = new CoordLockRegistry(session(), true);
        CoordLock la = a.obtain("turns");
        la.lock();
        List<String> order = new CopyOnWriteArrayList<>();
        List<Future<?>> waiters = new ArrayList<>();
        for (var e : List.of(Map.entry("b", b), Map.entry("c", c))) {
            waiters.add(inThread(() -> {
                CoordLock l = e.getValue().obtain("turns");
                l.lock();
                try {
                    order.add(e.getKey());
                } finally {
                    l.unlock();
                }
                return null;
            }));
            int expected = waiters.size() + 1;
            await().atMost(WAIT).until(() -> fairEntries(namespace, "turns") == expected);
        }
        la.unlock();
        for (Future<?> w : waiters) {
            w.get(30, TimeUnit.SECONDS);
        }
        assertThat(order).containsExactly("b", "c");
    }

    @Test
    void executeLockedRunsUnderTheLock() throws Exception {
        CoordLockRegistry a = new CoordLockRegistry(session());
        AtomicReference<Long> token = new AtomicReference<>();
        a.executeLocked("task", () -> token.set(a.obtain("task").fencingToken()));
        assertThat(token.get()).isPositive();
        assertThat(a.obtain("task").isLockedInThisProcess()).isFalse();
    }

    @Test
    void badKeysAreRefusedWithWhatIsAllowed() {
        CoordLockRegistry a = new CoordLockRegistry(session());
        assertThatThrownBy(() -> a.obtain(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> a.obtain(42)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be a String").hasMessageContaining("java.lang.Integer");
        assertThatThrownBy(() -> a.obtain(" ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blank");
        assertThatThrownBy(() -> a.obtain("x".repeat(257))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most 256");
        assertThatThrownBy(() -> new CoordLockRegistry(null)).isInstanceOf(NullPointerException.class);
        assertThat(a.obtain("é/ü:*").name()).isEqualTo("é/ü:*");
    }

    @Test
    void springsOwnLockRegistryLeaderInitiatorRunsOnTheRegistry() {
        Recorder r1 = new Recorder("node-1") {
            @Override
            public void onGranted(Context ctx) {
                calls.add("granted");
            }
        };
        Recorder r2 = new Recorder("node-2") {
            @Override
            public void onGranted(Context ctx) {
                calls.add("granted");
            }
        };
        LockRegistryLeaderInitiator i1 = new LockRegistryLeaderInitiator(new CoordLockRegistry(session()), r1);
        LockRegistryLeaderInitiator i2 = new LockRegistryLeaderInitiator(new CoordLockRegistry(session()), r2);
        for (LockRegistryLeaderInitiator i : List.of(i1, i2)) {
            i.setHeartBeatMillis(100);
            i.setBusyWaitMillis(50);
            stoppers.add(i::destroy);
        }
        i1.start();
        await().atMost(WAIT).until(() -> i1.getContext().isLeader());
        i2.start();
        assertThat(i2.getContext().isLeader()).isFalse();
        i1.stop();
        await().atMost(WAIT).until(() -> i2.getContext().isLeader() && r1.calls.contains("revoked"));
        assertThat(i1.getContext().isLeader()).isFalse();
        assertThat(r1.calls).containsExactly("granted", "revoked");
        i2.stop();
        await().atMost(WAIT).until(() -> r2.calls.contains("revoked"));
        assertThat(r2.calls).containsExactly("granted", "revoked");
    }

    // ---------------------------------------------------------------- leader initiator

    /** A candidate recording its callbacks and the events published for it. */
    static class Recorder implements Candidate {
        final String id;
        final List<String> calls = new CopyOnWriteArrayList<>();
        final List<ApplicationEvent> events = new CopyOnWriteArrayList<>();
        final List<Long> grantedTerms = new CopyOnWriteArrayList<>();
        final List<String> callbackThreads = new CopyOnWriteArrayList<>();
        volatile Context lastContext;
        final List<Context> contexts = new CopyOnWriteArrayList<>();

        Recorder(String id) {
            this.id = id;
        }

        @Override
        public String getRole() {
            return "scheduler";
        }

        @Override
        public String getId() {
            return id;
        }

        @Override
        public void onGranted(Context ctx) {
            lastContext = ctx;
            contexts.add(ctx);
            callbackThreads.add(Thread.currentThread().getName());
            grantedTerms.add(((CoordLeaderInitiator.CoordContext) ctx).fencingToken());
            calls.add("granted");
        }

        @Override
        public void onRevoked(Context ctx) {
            callbackThreads.add(Thread.currentThread().getName());
            calls.add("revoked");
        }

        long count(Class<? extends AbstractLeaderEvent> type) {
            return events.stream().filter(type::isInstance).count();
        }

        /** Granted {@code n} times: the events published and onGranted has recorded the term. */
        boolean granted(int n) {
            return count(OnGrantedEvent.class) == n && grantedTerms.size() == n;
        }
    }

    CoordLeaderInitiator initiator(Session session, Recorder candidate) {
        CoordLeaderInitiator i = new CoordLeaderInitiator(session, "scheduler-" + namespace, candidate);
        i.setApplicationEventPublisher(e -> candidate.events.add((ApplicationEvent) e));
        stoppers.add(i::stop);
        return i;
    }

    @Test
    void exactlyOneOfTwoInitiatorsLeads() {
        Recorder r1 = new Recorder("node-1");
        Recorder r2 = new Recorder("node-2");
        CoordLeaderInitiator i1 = initiator(session(), r1);
        CoordLeaderInitiator i2 = initiator(session(), r2);
        i1.start();
        await().atMost(WAIT).until(() -> i1.getContext().isLeader() && r1.granted(1));
        i2.start();
        await().atMost(WAIT).until(() -> candidates(namespace, i1.getElectionName()) == 2);
        assertThat(i2.isRunning()).isTrue();
        assertThat(i2.getContext().isLeader()).isFalse();
        assertThat(r2.calls).isEmpty();
        assertThatThrownBy(() -> i2.getContext().fencingToken()).isInstanceOf(IllegalStateException.class);

        OnGrantedEvent granted = (OnGrantedEvent) r1.events.get(0);
        assertThat(granted.getSource()).isSameAs(i1);
        assertThat(granted.getRole()).isEqualTo("scheduler");
        assertThat(granted.getContext()).as("the leadership's own context").isSameAs(r1.lastContext)
                .isNotSameAs(i1.getContext());
        assertThat(((CoordLeaderInitiator.CoordContext) granted.getContext()).fencingToken())
                .isEqualTo(r1.grantedTerms.get(0));
        assertThat(i1.getContext().getRole()).isEqualTo("scheduler");
        assertThat(i1.getContext().fencingToken()).isPositive().isEqualTo(r1.grantedTerms.get(0));
        assertThat(r1.callbackThreads).allMatch(n -> n.equals("coord-leader-scheduler-" + namespace));
    }

    @Test
    void yieldHandsLeadershipToTheOtherWithAHigherTerm() {
        Recorder r1 = new Recorder("node-1");
        Recorder r2 = new Recorder("node-2");
        CoordLeaderInitiator i1 = initiator(session(), r1);
        CoordLeaderInitiator i2 = initiator(session(), r2);
        i1.start();
        await().atMost(WAIT).until(() -> i1.getContext().isLeader());
        i2.start();
        long term = i1.getContext().fencingToken();
        // i2 waits in line (its campaign is recorded on the server) before i1 yields
        await().atMost(WAIT).until(() -> candidates(namespace, i1.getElectionName()) == 2);
        assertThat(i2.getContext().isLeader()).isFalse();

        r1.lastContext.yield();
        // the yielder's revocation and the other's grant run on two initiators' threads: wait for both
        await().atMost(WAIT).until(() -> i2.getContext().isLeader() && r2.granted(1)
                && r1.count(OnRevokedEvent.class) == 1);
        assertThat(r1.calls).startsWith("granted", "revoked");
        assertThat(i2.getContext().fencingToken()).isGreaterThan(term);
        assertThat(i1.isRunning()).as("the yielder campaigns again").isTrue();
        assertThat(i1.getContext().isLeader()).isFalse();

        // and back: i1 waited in line behind i2
        await().atMost(WAIT).until(() -> candidates(namespace, i1.getElectionName()) == 2);
        i2.getContext().yield();
        await().atMost(WAIT).until(() -> i1.getContext().isLeader() && r1.granted(2));
        assertThat(r1.grantedTerms).hasSize(2).isSorted().doesNotHaveDuplicates();

        // each leadership's context is its own: the first one's term stays readable, it no longer leads, and its
        // yield does nothing to the current leadership
        CoordLeaderInitiator.CoordContext old = (CoordLeaderInitiator.CoordContext) r1.contexts.get(0);
        assertThat(old.fencingToken()).isEqualTo(term);
        assertThat(old.isLeader()).isFalse();
        CoordLeaderInitiator.CoordContext revokedEventContext = (CoordLeaderInitiator.CoordContext)
                ((OnRevokedEvent) r1.events.stream().filter(OnRevokedEvent.class::isInstance).findFirst().orElseThrow())
                        .getContext();
        assertThat(revokedEventContext.fencingToken()).as("the revoked event carries its term").isEqualTo(term);
        old.yield();
        assertThat(((CoordLeaderInitiator.CoordContext) r1.contexts.get(1)).isLeader()).isTrue();
        assertThat(i1.getContext().fencingToken()).isEqualTo(r1.grantedTerms.get(1));
        assertThat(r1.count(OnRevokedEvent.class)).as("an old context's yield revokes nothing").isEqualTo(1);
    }

    @Test
    void stopRevokesAndPublishesOnRevoked() {
        Recorder r1 = new Recorder("node-1");
        Recorder r2 = new Recorder("node-2");
        CoordLeaderInitiator i1 = initiator(session(), r1);
        CoordLeaderInitiator i2 = initiator(session(), r2);
        i1.start();
        await().atMost(WAIT).until(() -> i1.getContext().isLeader() && r1.granted(1));
        i2.start();
        i1.stop();
        assertThat(i1.isRunning()).isFalse();
        assertThat(i1.getContext().isLeader()).isFalse();
        assertThat(r1.count(OnRevokedEvent.class)).as("stop() waits for the revocation").isEqualTo(1);
        assertThat(r1.calls).containsExactly("granted", "revoked");
        await().atMost(WAIT).until(() -> i2.getContext().isLeader() && r2.granted(1));
        i2.stop();
        assertThat(r2.calls).containsExactly("granted", "revoked");
        i2.stop(); // idempotent
        assertThat(r2.count(OnRevokedEvent.class)).isEqualTo(1);
    }

    @Test
    void stopWhileWaitingWithdrawsTheCandidacy() {
        Recorder r1 = new Recorder("node-1");
        Recorder r2 = new Recorder("node-2");
        CoordLeaderInitiator i1 = initiator(session(), r1);
        CoordLeaderInitiator i2 = initiator(session(), r2);
        i1.start();
        await().atMost(WAIT).until(() -> i1.getContext().isLeader());
        i2.start();
        await().atMost(WAIT).until(() -> candidates(namespace, i1.getElectionName()) == 2);
        i2.stop();
        await().atMost(WAIT).until(() -> candidates(namespace, i1.getElectionName()) == 1);
        i1.stop();
        assertThat(r2.calls).as("never leader: no callbacks").isEmpty();
        assertThat(r2.events).isEmpty();
        assertThat(i2.isRunning()).isFalse();
    }

    @Test
    void sessionLossRevokesAndStopsTheInitiator() {
        CrashableClient crashable = openCrashable(namespace);
        closeables.add(crashable);
        Session lossy = crashable.coordinator().openSession(shortTtl());
        Recorder r1 = new Recorder("node-1");
        Recorder r2 = new Recorder("node-2");
        CoordLeaderInitiator i1 = initiator(lossy, r1);
        CoordLeaderInitiator i2 = initiator(session(), r2);
        i1.start();
        await().atMost(WAIT).until(() -> i1.getContext().isLeader() && r1.granted(1));
        long term = i1.getContext().fencingToken();
        i2.start();

        crashable.crash();
        await().atMost(WAIT).until(() -> r1.count(OnRevokedEvent.class) == 1);
        assertThat(r1.calls).containsExactly("granted", "revoked");
        assertThat(i1.getContext().isLeader()).isFalse();
        await().atMost(WAIT).until(() -> !i1.isRunning());
        await().atMost(WAIT).until(() -> i2.getContext().isLeader());
        assertThat(i2.getContext().fencingToken()).isGreaterThan(term);
        assertThat(r1.callbackThreads).allMatch(n -> n.startsWith("coord-leader-"));
    }

    @Test
    void closingTheSessionRevokes() {
        Session s = session();
        Recorder r1 = new Recorder("node-1");
        CoordLeaderInitiator i1 = initiator(s, r1);
        i1.start();
        await().atMost(WAIT).until(() -> i1.getContext().isLeader() && r1.granted(1));
        s.close();
        await().atMost(WAIT).until(() -> r1.count(OnRevokedEvent.class) == 1 && !i1.isRunning());
        assertThat(r1.calls).containsExactly("granted", "revoked");
        assertThatThrownBy(i1::start).as("bound to its ended session").isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("new session");
    }

    @Test
    void startAfterStopCampaignsAgain() {
        Recorder r1 = new Recorder("node-1");
        CoordLeaderInitiator i1 = initiator(session(), r1);
        i1.start();
        await().atMost(WAIT).until(() -> i1.getContext().isLeader() && r1.granted(1));
        i1.stop();
        i1.start();
        await().atMost(WAIT).until(() -> i1.getContext().isLeader() && r1.granted(2));
        assertThat(r1.calls).containsExactly("granted", "revoked", "granted");
        assertThat(r1.grantedTerms).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void leadershipWorkInsideOnGrantedIsInterruptedByYieldAndStop() {
        List<String> calls = new CopyOnWriteArrayList<>();
        Candidate worker = new Candidate() {
            @Override
            public String getRole() {
                return "worker";
            }

            @Override
            public String getId() {
                return "busy-1";
            }

            @Override
            public void onGranted(Context ctx) throws InterruptedException {
                calls.add("working");
                try {
                    new java.util.concurrent.CountDownLatch(1).await(); // works until no longer leader
                } finally {
                    calls.add("interrupted");
                }
            }

            @Override
            public void onRevoked(Context ctx) {
                calls.add("revoked");
            }
        };
        List<ApplicationEvent> events = new CopyOnWriteArrayList<>();
        CoordLeaderInitiator i1 = new CoordLeaderInitiator(session(), "worker-" + namespace, worker);
        i1.setLeaderEventPublisher(new org.springframework.integration.leader.event.DefaultLeaderEventPublisher(
                e -> events.add((ApplicationEvent) e)));
        stoppers.add(i1::stop);
        i1.start();
        await().atMost(WAIT).until(() -> calls.contains("working"));
        assertThat(i1.getContext().isLeader()).isTrue();
        i1.getContext().yield(); // from another thread: interrupts onGranted, resigns, campaigns again
        await().atMost(WAIT).until(() -> calls.size() == 4 && i1.getContext().isLeader());
        assertThat(calls).containsExactly("working", "interrupted", "revoked", "working");
        i1.stop();
        assertThat(calls).containsExactly("working", "interrupted", "revoked", "working", "interrupted", "revoked");
        assertThat(events).extracting(e -> e.getClass().getSimpleName())
                .containsExactly("OnGrantedEvent", "OnRevokedEvent", "OnGrantedEvent", "OnRevokedEvent");
    }

    @Test
    void aYieldWhoseResignationFailsRevokesAtOnceAndRetries() throws Exception {
        TcpFaultProxy proxy = TcpFaultProxy.start(serverHostPort().substring(0, serverHostPort().lastIndexOf(':')),
                Integer.parseInt(serverHostPort().substring(serverHostPort().lastIndexOf(':') + 1)), 64);
        closeables.add(proxy);
        Coordinator c = openAt(proxy.hostPort(), namespace, Duration.ofMillis(500));
        closeables.add(c);
        Session s = c.openSession(TTL);
        closeables.add(s);
        Recorder r1 = new Recorder("node-1");
        Recorder r2 = new Recorder("node-2");
        CoordLeaderInitiator i1 = initiator(s, r1);
        CoordLeaderInitiator i2 = initiator(session(), r2);
        i1.start();
        await().atMost(WAIT).until(() -> i1.getContext().isLeader() && r1.granted(1));
        i2.start();
        await().atMost(WAIT).until(() -> candidates(namespace, i1.getElectionName()) == 2);
        proxy.blackhole();
        r1.lastContext.yield();
        // revoked locally while the server cannot be reached
        await().atMost(WAIT).until(() -> r1.count(OnRevokedEvent.class) == 1);
        assertThat(r1.calls).containsExactly("granted", "revoked");
        assertThat(r1.lastContext.isLeader()).isFalse();
        proxy.heal();
        // the retried resignation hands the leadership over, and i1 queues again behind i2
        await().atMost(WAIT).until(() -> i2.getContext().isLeader() && r2.granted(1));
        assertThat(i2.getContext().fencingToken()).isGreaterThan(r1.grantedTerms.get(0));
        await().atMost(WAIT).until(() -> candidates(namespace, i1.getElectionName()) == 2);
        assertThat(i1.isRunning()).isTrue();
    }

    @Test
    void badInitiatorArgumentsAreRefused() {
        Session s = session();
        Recorder r = new Recorder("node-1");
        assertThatThrownBy(() -> new CoordLeaderInitiator(null, "e", r)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new CoordLeaderInitiator(s, " ", r)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blank");
        assertThatThrownBy(() -> new CoordLeaderInitiator(s, "e", new Recorder("x".repeat(4097))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 4096");
        assertThat(new CoordLeaderInitiator(s, r).getElectionName()).isEqualTo("scheduler");
    }
}
