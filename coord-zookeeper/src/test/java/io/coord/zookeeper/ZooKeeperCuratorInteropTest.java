package io.coord.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coord.Session;
import io.coord.election.Leader;
import io.coord.election.Leadership;
import io.coord.lock.FencedLock;
import io.coord.lock.LockGrant;
import io.coord.testservers.ZooKeeperTestServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderSelector;
import org.apache.curator.framework.recipes.leader.LeaderSelectorListenerAdapter;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The declared compatibility with Curator's recipes: Curator's {@code InterProcessMutex} on
 * {@link ZooKeeperCoordinator#lockPath} / {@link ZooKeeperCoordinator#fairLockPath} and its
 * {@code LeaderSelector} on {@link ZooKeeperCoordinator#electionPath} queue together with coord's lock,
 * fair lock and election, in one sequence order, both ways, against a real (in-process) ZooKeeper.
 * Curator's mutex is owned by a thread, so each Curator holder acquires and releases on its own thread.
 */
class ZooKeeperCuratorInteropTest {

    /** A name that needs encoding, so the path helpers are checked to encode exactly as the coordinator does. */
    private static final String NAME = "orders/eu west";
    private static final Duration QUIET = Duration.ofMillis(300);

    private static ZooKeeperTestServer server;
    private String namespace;
    private ZooKeeperCoordinator coord;
    private final List<CuratorFramework> curators = new ArrayList<>();
    private final List<ExecutorService> threads = new ArrayList<>();

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
        namespace = "interop-" + UUID.randomUUID().toString().substring(0, 8);
        coord = ZooKeeperCoordinator.builder().connectString(server.connectString()).namespace(namespace).build();
    }

    @AfterEach
    void close() throws Exception {
        threads.forEach(ExecutorService::shutdownNow);
        curators.forEach(CuratorFramework::close);
        coord.close();
        try (ZooKeeperCoordinator probe = ZooKeeperCoordinator.builder().connectString(server.connectString()).namespace(namespace).build()) {
            await().untilAsserted(() -> {
                List<String> left = new ArrayList<>();
                collect(probe, "/" + namespace, left);
                left.removeIf(probe.paths()::isPermanent);
                assertThat(left).as("nodes left under /%s", namespace).isEmpty();
            });
        }
    }

    @ParameterizedTest(name = "fair={0}")
    @ValueSource(booleans = {false, true})
    void aCuratorMutexAndACoordLockExcludeEachOtherBothWays(boolean fair) throws Exception {
        String path = fair ? ZooKeeperCoordinator.fairLockPath(namespace, NAME) : ZooKeeperCoordinator.lockPath(namespace, NAME);
        try (Session s = coord.openSession(Duration.ofSeconds(4))) {
            FencedLock lock = fair ? s.fairLock(NAME) : s.lock(NAME);
            CuratorHolder curator = new CuratorHolder(new InterProcessMutex(curator(4000), path));

            LockGrant first = lock.acquire();
            assertThat(curator.tryOnce()).as("Curator cannot take a lock coord holds").isFalse();
            Future<Boolean> curatorWaits = curator.acquire();
            await().until(() -> children(path).size() == 2);
            await().during(QUIET).atMost(QUIET.multipliedBy(10)).until(() -> !curatorWaits.isDone());
            first.release();
            assertThat(curatorWaits.get(30, TimeUnit.SECONDS)).isTrue();

            assertThat(lock.tryAcquire(Duration.ZERO)).as("coord cannot take a lock Curator holds").isEmpty();
            long curatorToken = czxid(path, children(path).get(0));
            CompletableFuture<LockGrant> coordWaits = lock.acquireAsync();
            await().until(() -> children(path).size() == 2);
            await().during(QUIET).atMost(QUIET.multipliedBy(10)).until(() -> !coordWaits.isDone());
            curator.release();
            LockGrant second = coordWaits.get(30, TimeUnit.SECONDS);
            assertThat(second.fencingToken()).isGreaterThan(curatorToken).isGreaterThan(first.fencingToken());
            assertThat(children(path)).hasSize(1);
            second.release();
        }
    }

    @Test
    void handOffsFollowTheQueueOrderAcrossBothClients() throws Exception {
        String path = ZooKeeperCoordinator.fairLockPath(namespace, NAME);
        List<String> order = new CopyOnWriteArrayList<>();
        try (Session b = coord.openSession(Duration.ofSeconds(4)); Session d = coord.openSession(Duration.ofSeconds(4))) {
            CuratorHolder a = new CuratorHolder(new InterProcessMutex(curator(4000), path));
            CuratorHolder c = new CuratorHolder(new InterProcessMutex(curator(4000), path));
            assertThat(a.acquire().get(30, TimeUnit.SECONDS)).isTrue();
            order.add("curator A");
            CompletableFuture<LockGrant> gb = b.fairLock(NAME).acquireAsync().whenComplete((g, e) -> order.add("coord B"));
            await().until(() -> children(path).size() == 2);
            Future<Boolean> gc = c.acquire();
            await().until(() -> children(path).size() == 3);
            CompletableFuture<LockGrant> gd = d.fairLock(NAME).acquireAsync().whenComplete((g, e) -> order.add("coord D"));
            await().until(() -> children(path).size() == 4);

            a.release();
            LockGrant grantB = gb.get(30, TimeUnit.SECONDS);
            await().during(QUIET).atMost(QUIET.multipliedBy(10)).until(() -> !gc.isDone() && !gd.isDone());
            grantB.release();
            assertThat(gc.get(30, TimeUnit.SECONDS)).isTrue();
            order.add("curator C");
            await().during(QUIET).atMost(QUIET.multipliedBy(10)).until(() -> !gd.isDone());
            c.release();
            LockGrant grantD = gd.get(30, TimeUnit.SECONDS);
            assertThat(grantD.fencingToken()).isGreaterThan(grantB.fencingToken());
            grantD.release();
        }
        assertThat(order).containsExactly("curator A", "coord B", "curator C", "coord D");
    }

    @Test
    void aCuratorHolderWhoseSessionExpiresHandsTheLockToCoord() throws Exception {
        String path = ZooKeeperCoordinator.lockPath(namespace, NAME);
        CuratorFramework client = curator(1000);
        CuratorHolder curator = new CuratorHolder(new InterProcessMutex(client, path));
        assertThat(curator.acquire().get(30, TimeUnit.SECONDS)).isTrue();
        String curatorNode = children(path).get(0);
        long curatorToken = czxid(path, curatorNode);
        try (Session s = coord.openSession(Duration.ofSeconds(4))) {
            CompletableFuture<LockGrant> waiting = s.lock(NAME).acquireAsync();
            await().until(() -> children(path).size() == 2);

            // A second handle on Curator's session, closed: the server ends that session now, as after a long pause.
            ZooKeeper own = client.getZookeeperClient().getZooKeeper();
            CountDownLatch connected = new CountDownLatch(1);
            ZooKeeper twin = new ZooKeeper(server.connectString(), 4000, e -> {
                if (e.getState() == org.apache.zookeeper.Watcher.Event.KeeperState.SyncConnected) {
                    connected.countDown();
                }
            }, own.getSessionId(), own.getSessionPasswd());
            assertThat(connected.await(10, TimeUnit.SECONDS)).isTrue();
            twin.close();

            LockGrant taken = waiting.get(30, TimeUnit.SECONDS);
            assertThat(children(path)).as("Curator's node went with its session before coord was granted").doesNotContain(curatorNode);
            assertThat(taken.fencingToken()).isGreaterThan(curatorToken);
            taken.release();
        }
    }

    @Test
    void aCuratorLeaderSelectorAndCoordCandidatesShareOneElection() throws Exception {
        String path = ZooKeeperCoordinator.electionPath(namespace, NAME);
        CountDownLatch curatorMayResign = new CountDownLatch(1);
        CountDownLatch secondCuratorLeads = new CountDownLatch(1);
        LeaderSelector first = selector(path, "curator-1", curatorMayResign, null);
        first.start();
        await().until(first::hasLeadership);
        await().untilAsserted(() -> assertThat(coord.election(NAME).leader().map(Leader::value)).contains("curator-1"));

        try (Session s = coord.openSession(Duration.ofSeconds(4))) {
            CompletableFuture<Leadership> campaign = s.election(NAME).campaignAsync("coord-1");
            await().until(() -> children(path).size() == 2);
            await().during(QUIET).atMost(QUIET.multipliedBy(10)).until(() -> !campaign.isDone());
            curatorMayResign.countDown();
            Leadership leading = campaign.get(30, TimeUnit.SECONDS);
            assertThat(first.getLeader().getId()).as("Curator sees coord's leader by its value").isEqualTo("coord-1");

            LeaderSelector second = selector(path, "curator-2", new CountDownLatch(1), secondCuratorLeads);
            second.start();
            await().until(() -> children(path).size() == 2);
            assertThat(second.hasLeadership()).isFalse();
            leading.resign();
            assertThat(secondCuratorLeads.await(30, TimeUnit.SECONDS)).isTrue();
            await().untilAsserted(() -> assertThat(coord.election(NAME).leader().map(Leader::value)).contains("curator-2"));
            second.close();
        }
        first.close();
    }

    @Test
    void theNodeLayoutIsTheDeclaredOne() throws Exception {
        try (Session s = coord.openSession(Duration.ofSeconds(4))) {
            LockGrant lock = s.lock(NAME).acquire();
            LockGrant fair = s.fairLock(NAME).acquire();
            Leadership lead = s.election(NAME).campaign("v");
            assertThat(ZooKeeperCoordinator.lockPath(namespace, NAME)).isEqualTo("/" + namespace + "/locks/orders%2Feu%20west");
            assertThat(ZooKeeperCoordinator.fairLockPath(namespace, NAME)).isEqualTo("/" + namespace + "/fair/orders%2Feu%20west");
            assertThat(ZooKeeperCoordinator.electionPath(namespace, NAME)).isEqualTo("/" + namespace + "/elections/orders%2Feu%20west");
            String entry = "[0-9a-f]{16}-[0-9a-f]{8}-lock-[0-9]{10}";
            assertThat(children(ZooKeeperCoordinator.lockPath(namespace, NAME))).singleElement().asString().matches(entry);
            assertThat(children(ZooKeeperCoordinator.fairLockPath(namespace, NAME))).singleElement().asString().matches(entry);
            String candidate = children(ZooKeeperCoordinator.electionPath(namespace, NAME)).get(0);
            assertThat(candidate).matches(entry);
            assertThat(coord.client().getData().forPath(ZooKeeperCoordinator.electionPath(namespace, NAME) + "/" + candidate))
                    .isEqualTo("v".getBytes(StandardCharsets.UTF_8));
            assertThat(czxid(ZooKeeperCoordinator.lockPath(namespace, NAME), children(ZooKeeperCoordinator.lockPath(namespace, NAME)).get(0)))
                    .as("the token is the node's czxid").isEqualTo(lock.fencingToken());
            lock.release();
            fair.release();
            lead.resign();
        }
        assertThatThrownBy(() -> ZooKeeperCoordinator.lockPath("zookeeper", NAME)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ZooKeeper's own tree");
        assertThatThrownBy(() -> ZooKeeperCoordinator.electionPath(namespace, " ")).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** A Curator mutex driven on its own thread (Curator ties the mutex's ownership to the acquiring thread). */
    private final class CuratorHolder {
        private final InterProcessMutex mutex;
        private final ExecutorService thread = Executors.newSingleThreadExecutor();

        CuratorHolder(InterProcessMutex mutex) {
            this.mutex = mutex;
            threads.add(thread);
        }

        boolean tryOnce() throws Exception {
            return thread.submit(() -> mutex.acquire(0, TimeUnit.MILLISECONDS)).get(30, TimeUnit.SECONDS);
        }

        Future<Boolean> acquire() {
            return thread.submit(() -> mutex.acquire(30, TimeUnit.SECONDS));
        }

        void release() throws Exception {
            thread.submit(() -> {
                mutex.release();
                return null;
            }).get(30, TimeUnit.SECONDS);
        }
    }

    private LeaderSelector selector(String path, String id, CountDownLatch mayResign, CountDownLatch leads) {
        LeaderSelector selector = new LeaderSelector(curator(4000), path, new LeaderSelectorListenerAdapter() {
            @Override
            public void takeLeadership(CuratorFramework client) throws Exception {
                if (leads != null) {
                    leads.countDown();
                }
                mayResign.await(); // leads until told; returning gives up leadership
            }
        });
        selector.setId(id);
        return selector;
    }

    private CuratorFramework curator(int sessionTimeoutMs) {
        CuratorFramework c = CuratorFrameworkFactory.newClient(server.connectString(), sessionTimeoutMs, 10_000, new RetryNTimes(20, 100));
        c.start();
        curators.add(c);
        return c;
    }

    /** The queue's children in queue order (the same order Curator uses), read directly. */
    private List<String> children(String path) throws Exception {
        try {
            List<String> c = new ArrayList<>(coord.client().getChildren().forPath(path));
            c.sort(ZkPaths.QUEUE_ORDER);
            return c;
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        }
    }

    private long czxid(String path, String child) throws Exception {
        Stat stat = coord.client().checkExists().forPath(path + "/" + child);
        return Optional.ofNullable(stat).orElseThrow(() -> new AssertionError(child + " is gone")).getCzxid();
    }

    private static void collect(ZooKeeperCoordinator c, String path, List<String> out) throws Exception {
        out.add(path);
        for (String child : c.client().getChildren().forPath(path)) {
            collect(c, path + "/" + child, out);
        }
    }

    private static ConditionFactory await() {
        return Awaitility.await().pollInterval(Duration.ofMillis(20)).atMost(Duration.ofSeconds(30));
    }
}
