package io.coord.zookeeper;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.coord.Coordinator;
import io.coord.LockLostException;
import io.coord.LossReason;
import io.coord.NotLeaderException;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.SessionState;
import io.coord.election.Election;
import io.coord.election.Leader;
import io.coord.election.Leadership;
import io.coord.lock.FencedLock;
import io.coord.lock.LockGrant;
import io.coord.testkit.CrashableClient;
import io.coord.testservers.ZooKeeperTestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Focused tests of the ZooKeeper backend against a real in-process server (tickTime 200 ms). */
class ZooKeeperBackendTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static ZooKeeperTestServer server;

    private ZooKeeperCoordinator coord;
    private String namespace;

    @BeforeAll
    static void startServer() {
        server = ZooKeeperTestServer.start(200);
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @BeforeEach
    void open() {
        namespace = "t-" + UUID.randomUUID().toString().substring(0, 8);
        coord = ZooKeeperCoordinator.builder().connectString(server.connectString()).namespace(namespace)
                .connectTimeout(Duration.ofSeconds(10)).operationTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterEach
    void close() throws Exception {
        coord.close();
        // Entries of crashed sessions go when the server expires them (at most the TTL): wait that long.
        try (ZooKeeperCoordinator probe = ZooKeeperCoordinator.builder().connectString(server.connectString()).namespace(namespace).build()) {
            await().atMost(PATIENCE).untilAsserted(() -> {
                List<String> left = new ArrayList<>();
                collect(probe, "/" + namespace, left);
                left.removeIf(probe.paths()::isPermanent);
                assertEquals(List.of(), left, "non-permanent nodes left under /" + namespace);
            });
        }
    }

    private static void collect(ZooKeeperCoordinator c, String path, List<String> out) throws Exception {
        out.add(path);
        for (String child : c.client().getChildren().forPath(path)) {
            collect(c, path + "/" + child, out);
        }
    }

    private List<String> entries(Primitive p, String name) throws Exception {
        try {
            return coord.client().getChildren().forPath(coord.paths().queue(p, name));
        } catch (org.apache.zookeeper.KeeperException.NoNodeException e) {
            return List.of();
        }
    }

    private static String unique(String p) {
        return p + "-" + UUID.randomUUID().toString().substring(0, 6);
    }

    @Test
    void uncontendedAcquireReleaseTokensIncreaseAndRoundTripsAreFew() throws Exception {
        try (Session s = coord.openSession(Duration.ofSeconds(2))) {
            String name = unique("a/b c*{}%é");
            FencedLock lock = s.lock(name);
            long before = coord.stats().roundTrips(Primitive.LOCK);
            LockGrant g1 = lock.acquire();
            assertEquals(1, entries(Primitive.LOCK, name).size());
            g1.release();
            long first = coord.stats().roundTrips(Primitive.LOCK) - before;
            assertTrue(g1.fencingToken() > 0);
            assertEquals(4, first, "first cycle: container create + create + getChildren + delete");
            long mid = coord.stats().roundTrips(Primitive.LOCK);
            LockGrant g2 = lock.tryAcquire(Duration.ZERO).orElseThrow();
            g2.close();
            assertEquals(3, coord.stats().roundTrips(Primitive.LOCK) - mid, "steady cycle: create + getChildren + delete");
            assertTrue(g2.fencingToken() > g1.fencingToken());
            assertEquals(List.of(), entries(Primitive.LOCK, name));
            g2.release(); // double release: no-op
        }
    }

    @Test
    void mutualExclusionAcrossSessions() throws Exception {
        String name = unique("mutex");
        int sessions = 4;
        int rounds = 8;
        List<Session> opened = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(sessions);
        List<long[]> grants = Collections.synchronizedList(new ArrayList<>());
        int[] counter = {0};
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < sessions; i++) {
                Session s = coord.openSession(Duration.ofSeconds(2));
                opened.add(s);
                futures.add(pool.submit(() -> {
                    for (int r = 0; r < rounds; r++) {
                        LockGrant g = s.fairLock(name).acquire();
                        int v = counter[0];
                        Thread.yield();
                        counter[0] = v + 1;
                        grants.add(new long[] {v, g.fencingToken()});
                        g.release();
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            opened.forEach(Session::close);
        }
        assertEquals(sessions * rounds, counter[0]);
        grants.sort((a, b) -> Long.compare(a[0], b[0]));
        for (int i = 1; i < grants.size(); i++) {
            assertTrue(grants.get(i)[1] > grants.get(i - 1)[1], "tokens increase in grant order");
        }
    }

    @Test
    void fairOrderAndOneWakeupPerRelease() throws Exception {
        String name = unique("fair");
        List<Session> opened = new ArrayList<>();
        try {
            Session holder = coord.openSession(Duration.ofSeconds(2));
            opened.add(holder);
            LockGrant held = holder.fairLock(name).acquire();
            List<CompletableFuture<LockGrant>> waiters = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                Session s = coord.openSession(Duration.ofSeconds(2));
                opened.add(s);
                waiters.add(s.fairLock(name).acquireAsync());
                int expected = i + 2;
                await().atMost(PATIENCE).until(() -> entries(Primitive.FAIR_LOCK, name).size() == expected);
            }
            long wakeupsBefore = coord.stats().wakeups(Primitive.FAIR_LOCK);
            long lastToken = held.fencingToken();
            held.release();
            for (CompletableFuture<LockGrant> w : waiters) {
                LockGrant g = w.get(30, TimeUnit.SECONDS);
                assertTrue(g.fencingToken() > lastToken);
                lastToken = g.fencingToken();
                for (CompletableFuture<LockGrant> other : waiters) {
                    if (other != w && !other.isDone()) {
                        assertFalse(other.isDone());
                    }
                }
                g.release();
            }
            assertEquals(5, coord.stats().wakeups(Primitive.FAIR_LOCK) - wakeupsBefore, "one wake-up per release");
        } finally {
            opened.forEach(Session::close);
        }
    }

    @Test
    void timedOutInterruptedAndCancelledAcquisitionsLeaveNoEntry() throws Exception {
        String name = unique("timed");
        try (Session holder = coord.openSession(Duration.ofSeconds(2)); Session other = coord.openSession(Duration.ofSeconds(2))) {
            LockGrant held = holder.lock(name).acquire();
            assertEquals(Optional.empty(), other.lock(name).tryAcquire(Duration.ofMillis(200)));
            assertEquals(1, entries(Primitive.LOCK, name).size());
            assertEquals(Optional.empty(), other.lock(name).tryAcquire(Duration.ZERO));
            assertEquals(1, entries(Primitive.LOCK, name).size());

            CompletableFuture<LockGrant> cancelled = other.lock(name).acquireAsync();
            await().atMost(PATIENCE).until(() -> entries(Primitive.LOCK, name).size() == 2);
            cancelled.cancel(true);
            await().atMost(PATIENCE).until(() -> entries(Primitive.LOCK, name).size() == 1);

            CompletableFuture<Throwable> interrupted = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                try {
                    other.lock(name).acquire();
                    interrupted.complete(null);
                } catch (Throwable e) {
                    interrupted.complete(e);
                }
            });
            t.start();
            await().atMost(PATIENCE).until(() -> entries(Primitive.LOCK, name).size() == 2);
            t.interrupt();
            assertTrue(interrupted.get(30, TimeUnit.SECONDS) instanceof InterruptedException);
            assertEquals(1, entries(Primitive.LOCK, name).size(), "interrupted acquire removed its entry before returning");
            held.release();
            assertEquals(List.of(), entries(Primitive.LOCK, name));
            LockGrant again = other.lock(name).tryAcquire(Duration.ZERO).orElseThrow();
            assertTrue(again.fencingToken() > held.fencingToken());
            again.release();
            assertThrows(CancellationException.class, cancelled::join);
        }
    }

    @Test
    void closingASessionFreesItsLockAtOnce() throws Exception {
        String name = unique("close");
        Session holder = coord.openSession(Duration.ofSeconds(4));
        LockGrant g = holder.lock(name).acquire();
        holder.close();
        assertEquals(List.of(), entries(Primitive.LOCK, name));
        try (Session next = coord.openSession(Duration.ofSeconds(2))) {
            LockGrant n = next.lock(name).tryAcquire(Duration.ZERO).orElseThrow();
            assertTrue(n.fencingToken() > g.fencingToken());
            n.release();
        }
        assertEquals(LossReason.SESSION_CLOSED, g.whenLost().get(10, TimeUnit.SECONDS));
        assertThrows(LockLostException.class, g::release);
    }

    @Test
    void grantedTtlIsTheNegotiatedOne() {
        try (Session tiny = coord.openSession(Duration.ofMillis(100));
             Session exact = coord.openSession(Duration.ofSeconds(1));
             Session huge = coord.openSession(Duration.ofSeconds(30))) {
            assertEquals(Duration.ofMillis(400), tiny.grantedTtl());
            assertEquals(Duration.ofSeconds(1), exact.grantedTtl());
            assertEquals(Duration.ofSeconds(4), huge.grantedTtl());
            assertTrue(tiny.validUntilNanos() - System.nanoTime() <= tiny.grantedTtl().toNanos());
            assertTrue(tiny.id().startsWith("0x"));
        }
    }

    @Test
    void aHealthySessionSurvivesSeveralTtls() throws Exception {
        try (Session s = coord.openSession(Duration.ofMillis(400))) {
            LockGrant g = s.lock("keep").acquire();
            long first = s.validUntilNanos();
            await().during(Duration.ofMillis(1500)).atMost(PATIENCE).until(() -> s.state() == SessionState.ACTIVE && g.isHeld());
            assertTrue(s.validUntilNanos() > first);
            g.release();
        }
    }

    @Test
    void electionCampaignObserveProclaimResign() throws Exception {
        String name = unique("elect");
        List<Optional<Leader>> seen = new CopyOnWriteArrayList<>();
        var subscription = coord.election(name).observe(seen::add);
        await().atMost(PATIENCE).until(() -> seen.size() == 1);
        assertEquals(Optional.empty(), seen.get(0), "first event: no leader");
        try (Session a = coord.openSession(Duration.ofSeconds(2)); Session b = coord.openSession(Duration.ofSeconds(2))) {
            Election ea = a.election(name);
            Leadership la = ea.campaign("alpha");
            await().atMost(PATIENCE).until(() -> seen.size() == 2);
            assertEquals(Optional.of(new Leader(a.id(), "alpha", la.term())), seen.get(1));
            assertEquals(Optional.of(new Leader(a.id(), "alpha", la.term())), coord.election(name).leader());

            CompletableFuture<Leadership> lb = b.election(name).campaignAsync("beta");
            await().atMost(PATIENCE).until(() -> entries(Primitive.ELECTION, name).size() == 2);
            la.proclaim("alpha2");
            await().atMost(PATIENCE).until(() -> seen.size() == 3);
            assertEquals("alpha2", seen.get(2).orElseThrow().value());
            assertFalse(lb.isDone());

            la.resign();
            assertThrows(NotLeaderException.class, () -> la.proclaim("x"));
            Leadership leaderB = lb.get(30, TimeUnit.SECONDS);
            assertTrue(leaderB.term() > la.term());
            await().atMost(PATIENCE).until(() -> seen.size() == 4);
            assertEquals(Optional.of(new Leader(b.id(), "beta", leaderB.term())), seen.get(3));
            leaderB.resign();
            await().atMost(PATIENCE).until(() -> seen.size() == 5);
            assertEquals(Optional.empty(), seen.get(4));
            assertEquals(Optional.empty(), coord.election(name).leader());
        } finally {
            subscription.close();
        }
    }

    @Test
    void opensFromAUriThroughTheServiceLoader() {
        try (Coordinator c = Coordinator.open("zookeeper://" + server.connectString() + "/" + namespace + "?connectTimeout=5s")) {
            assertEquals("zookeeper", c.backend());
            assertEquals(namespace, c.namespace());
            assertEquals(ZooKeeperCoordinator.CAPABILITIES, c.capabilities());
            try (Session s = c.openSession(Duration.ofSeconds(1))) {
                s.lock("x").acquire().release();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Coordinator.open("zookeeper://" + server.connectString() + "/ns?bogus=1"));
    }

    @Test
    void anExpiryDecidedByTheServerIsReportedAndFreesTheLock() throws Exception {
        String name = unique("server-expiry");
        Session s = coord.openSession(Duration.ofSeconds(4));
        List<SessionState> changes = new CopyOnWriteArrayList<>();
        s.addListener((x, from, to) -> changes.add(to));
        LockGrant g = s.lock(name).acquire();
        ZooKeeper own = ((ZkSession) s).zk();
        // A second handle on the same ZooKeeper session closes it: the server ends the session now.
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper intruder = new ZooKeeper(server.connectString(), 4000, e -> {
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        }, own.getSessionId(), own.getSessionPasswd());
        assertTrue(connected.await(10, TimeUnit.SECONDS));
        intruder.close();
        assertEquals(LossReason.SESSION_EXPIRED, g.whenLost().get(30, TimeUnit.SECONDS));
        await().atMost(PATIENCE).until(() -> s.state() == SessionState.EXPIRED);
        await().atMost(PATIENCE).until(() -> changes.contains(SessionState.EXPIRED));
        assertEquals(List.of(), entries(Primitive.LOCK, name));
        try (Session next = coord.openSession(Duration.ofSeconds(2))) {
            LockGrant n = next.lock(name).tryAcquire(Duration.ZERO).orElseThrow();
            assertTrue(n.fencingToken() > g.fencingToken());
            n.release();
        }
        assertThrows(io.coord.SessionExpiredException.class, () -> s.lock(name).acquire());
        s.close();
    }

    @Test
    void noClientThreadOutlivesTheCoordinator() throws Exception {
        java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
        // The coordinator reaches the server through a proxy that is cut mid-way: a dead handle's threads must stop too.
        try (CrashableClient cut = CrashableClient.throughProxies(List.of(server.connectString().split(",")),
                proxies -> ZooKeeperCoordinator.builder().connectString(String.join(",", proxies)).namespace(namespace).build())) {
            Coordinator c = cut.coordinator();
            Session a = c.openSession(Duration.ofSeconds(1));
            Session b = c.openSessionAsync(Duration.ofSeconds(1)).get(30, TimeUnit.SECONDS);
            a.lock("t").acquire();
            b.lock("t").acquireAsync();
            c.election("t").observe(l -> { });
            cut.crash();
        }
        await().atMost(PATIENCE).until(() -> Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive).filter(t -> !before.contains(t)).noneMatch(t -> t.getName().startsWith("coord-")));
    }
}
