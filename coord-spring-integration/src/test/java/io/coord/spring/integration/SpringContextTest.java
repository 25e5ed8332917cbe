package io.coord.spring.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.coord.Coordinator;
import io.coord.Session;
import io.coord.testservers.TestServers;
import io.coord.testservers.ZooKeeperTestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ApplicationListener;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.integration.leader.DefaultCandidate;
import org.springframework.integration.leader.event.AbstractLeaderEvent;
import org.springframework.integration.leader.event.OnGrantedEvent;
import org.springframework.integration.leader.event.OnRevokedEvent;

/**
 * The initiator and the registry as beans of a real application context (on ZooKeeper): the context starts the
 * initiator (SmartLifecycle), its events reach an {@link ApplicationListener} through the context's publisher, and
 * closing the context revokes the leadership before the session bean is closed. Also the checks that do not depend on
 * the backend (run once, here): one registry per session, tryLock on an interrupted thread, destroy() ending the
 * initiator's thread, and the registry's key expiry (its own logic, over whichever backend).
 */
class SpringContextTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static ZooKeeperTestServer server;
    private static ZooKeeper inspector;

    @BeforeAll
    static void startServer() throws Exception {
        server = TestServers.zookeeper();
        CountDownLatch connected = new CountDownLatch(1);
        inspector = new ZooKeeper(server.connectString(), 10_000, e -> {
            if (e.getState() == org.apache.zookeeper.Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        if (!connected.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("inspector did not connect to " + server.connectString());
        }
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (inspector != null) {
            inspector.close();
        }
        server.close();
    }

    /** Every ephemeral node (a session's entry) under {@code /namespace}. */
    private static Set<String> entries(String namespace) throws Exception {
        Set<String> out = new TreeSet<>();
        collect("/" + namespace, out);
        return out;
    }

    private static void collect(String path, Set<String> out) throws Exception {
        Stat stat = new Stat();
        List<String> children;
        try {
            children = inspector.getChildren(path, false, stat);
        } catch (KeeperException.NoNodeException e) {
            return;
        }
        if (stat.getEphemeralOwner() != 0) {
            out.add(path);
        }
        for (String c : children) {
            collect(path + "/" + c, out);
        }
    }

    private static String namespace() {
        return "si-ctx-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void theContextStartsTheInitiatorAndClosingItRevokes() throws Exception {
        String namespace = namespace();
        List<AbstractLeaderEvent> events = new CopyOnWriteArrayList<>();
        try (Coordinator coordinator = Coordinator.open("zookeeper://" + server.connectString() + "/" + namespace)) {
            GenericApplicationContext context = new GenericApplicationContext();
            context.registerBean(Session.class, () -> coordinator.openSession(Duration.ofSeconds(4)));
            context.registerBean(CoordLockRegistry.class, () -> new CoordLockRegistry(context.getBean(Session.class)));
            context.registerBean(CoordLeaderInitiator.class, () -> new CoordLeaderInitiator(context.getBean(Session.class),
                    new DefaultCandidate("node-1", "reports")));
            context.registerBean("leaderEvents", ApplicationListener.class,
                    () -> (ApplicationListener<AbstractLeaderEvent>) events::add);
            context.refresh();

            CoordLeaderInitiator initiator = context.getBean(CoordLeaderInitiator.class);
            assertThat(initiator.isRunning()).as("auto-started by the context").isTrue();
            await().atMost(Duration.ofSeconds(30)).until(() -> events.size() == 1);
            assertThat(events.get(0)).isInstanceOf(OnGrantedEvent.class);
            assertThat(events.get(0).getRole()).isEqualTo("reports");
            assertThat(initiator.getElectionName()).isEqualTo("reports");
            long term = ((CoordLeaderInitiator.CoordContext) events.get(0).getContext()).fencingToken();
            assertThat(term).isPositive();

            CoordLockRegistry registry = context.getBean(CoordLockRegistry.class);
            long token = registry.executeLocked("daily", () -> registry.obtain("daily").fencingToken());
            assertThat(token).isPositive();

            // with the session open: the leader's candidate entry, and nothing of the lock
            assertThat(entries(namespace)).hasSize(1).allMatch(p -> p.startsWith("/" + namespace + "/elections/reports/"));

            Session session = context.getBean(Session.class);
            context.close();
            assertThat(events).hasSize(2);
            assertThat(events.get(1)).isInstanceOf(OnRevokedEvent.class);
            assertThat(initiator.isRunning()).isFalse();
            assertThat(session.state().isTerminal()).as("the context closed the session bean (AutoCloseable)").isTrue();
            assertThat(coordinator.election("reports").leader()).as("nobody leads after the context closed").isEmpty();
            await().atMost(Duration.ofSeconds(30)).until(() -> entries(namespace).isEmpty());
        }
    }

    @Test
    void aSecondRegistryOnTheSameSessionIsRefused() throws Exception {
        String namespace = namespace();
        try (Coordinator coordinator = Coordinator.open("zookeeper://" + server.connectString() + "/" + namespace);
                Session s = coordinator.openSession(Duration.ofSeconds(4))) {
            CoordLockRegistry first = new CoordLockRegistry(s);
            assertThatThrownBy(() -> new CoordLockRegistry(s, true)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("one registry per session");
            // the first one is unaffected
            assertThat(first.executeLocked("still-works", () -> first.obtain("still-works").fencingToken())).isPositive();
            assertThat(entries(namespace)).isEmpty();
        }
    }

    @Test
    void tryLockOnAnInterruptedThreadReturnsFalseKeepsTheFlagAndSendsNothing() throws Exception {
        String namespace = namespace();
        try (Coordinator coordinator = Coordinator.open("zookeeper://" + server.connectString() + "/" + namespace);
                Session s = coordinator.openSession(Duration.ofSeconds(4))) {
            CoordLockRegistry registry = new CoordLockRegistry(s);
            CompletableFuture<Boolean> outcome = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                CoordLock l = registry.obtain("busy");
                Thread.currentThread().interrupt();
                boolean got = l.tryLock();
                boolean flag = Thread.interrupted();
                outcome.complete(!got && flag && !l.isLockedInThisProcess());
            });
            t.start();
            assertThat(outcome.get(30, TimeUnit.SECONDS)).as("false, flag kept, not locked").isTrue();
            t.join(30_000);
            assertThat(entries(namespace)).as("nothing sent").isEmpty();
        }
    }

    @Test
    void destroyEndsTheInitiatorsThread() throws Exception {
        String namespace = namespace();
        try (Coordinator coordinator = Coordinator.open("zookeeper://" + server.connectString() + "/" + namespace);
                Session s = coordinator.openSession(Duration.ofSeconds(4))) {
            List<String> calls = new CopyOnWriteArrayList<>();
            CoordLeaderInitiator initiator = new CoordLeaderInitiator(s, "destroyed-" + namespace,
                    new DefaultCandidate("node-1", "destroyed") {
                        @Override
                        public void onGranted(org.springframework.integration.leader.Context ctx) {
                            calls.add("granted");
                        }

                        @Override
                        public void onRevoked(org.springframework.integration.leader.Context ctx) {
                            calls.add("revoked");
                        }
                    });
            initiator.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> calls.contains("granted"));
            initiator.destroy();
            assertThat(calls).containsExactly("granted", "revoked");
            String name = "coord-leader-destroyed-" + namespace;
            assertThat(Thread.getAllStackTraces().keySet()).as("no initiator thread after destroy()")
                    .noneMatch(th -> th.getName().equals(name) && th.isAlive());
            assertThatThrownBy(initiator::start).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("destroyed");
            assertThat(entries(namespace)).as("nothing left with the session open").isEmpty();
        }
    }

    @Test
    void expiredKeysAreForgottenAndTheirOldLockObjectsKeepWorking() throws Exception {
        String namespace = namespace();
        ExecutorService threads = Executors.newCachedThreadPool();
        try (Coordinator coordinator = Coordinator.open("zookeeper://" + server.connectString() + "/" + namespace);
                Session s = coordinator.openSession(Duration.ofSeconds(4))) {
            CoordLockRegistry a = new CoordLockRegistry(s);
            CoordLock held = a.obtain("kept");
            CoordLock idle = a.obtain("idle");
            held.lock();
            a.expireUnusedOlderThan(Long.MAX_VALUE);
            assertThat(a.obtain("idle")).as("younger than the age: kept").isSameAs(idle);
            // strictly older than 0 ms (Spring's >): as soon as the clock has moved on
            await().atMost(WAIT).until(() -> {
                a.expireUnusedOlderThan(0);
                return a.obtain("idle") != idle;
            });
            assertThat(a.obtain("kept")).as("a held lock is kept").isSameAs(held);
            // the forgotten object still locks, and shares the key's local lock with the new one
            idle.lock();
            try {
                long token = idle.fencingToken();
                assertThat(token).isPositive();
                assertThat(threads.submit(() -> a.obtain("idle").tryLock()).get()).as("the same key's local lock").isFalse();
            } finally {
                idle.unlock();
            }
            held.unlock();
            assertThat(entries(namespace)).as("nothing left with the session open").isEmpty();
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aConcurrentExpiryNeverFailsALock() throws Exception {
        String namespace = namespace();
        ExecutorService threads = Executors.newCachedThreadPool();
        try (Coordinator coordinator = Coordinator.open("zookeeper://" + server.connectString() + "/" + namespace);
                Session s = coordinator.openSession(Duration.ofSeconds(4))) {
            CoordLockRegistry a = new CoordLockRegistry(s);
            AtomicInteger inside = new AtomicInteger();
            ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
            AtomicInteger locked = new AtomicInteger();
            CompletableFuture<Void> lockersDone = new CompletableFuture<>();
            Future<?> expirer = threads.submit(() -> {
                while (!lockersDone.isDone()) {
                    a.expireUnusedOlderThan(-1); // expires every key not in use, as often as it can
                    Thread.yield();
                }
                return null;
            });
            List<Future<?>> lockers = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                lockers.add(threads.submit(() -> {
                    for (int i = 0; i < 5; i++) {
                        CoordLock l = a.obtain("churn"); // obtained, then maybe expired before lock()
                        l.lock();
                        try {
                            if (inside.incrementAndGet() != 1) {
                                violations.add("two threads inside");
                            }
                            locked.incrementAndGet();
                            inside.decrementAndGet();
                        } finally {
                            l.unlock();
                        }
                    }
                    return null;
                }));
            }
            try {
                for (Future<?> f : lockers) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                lockersDone.complete(null);
            }
            expirer.get(30, TimeUnit.SECONDS);
            assertThat(violations).isEmpty();
            assertThat(locked.get()).isEqualTo(15);
            assertThat(entries(namespace)).as("nothing left with the session open").isEmpty();
        } finally {
            threads.shutdownNow();
        }
    }
}
