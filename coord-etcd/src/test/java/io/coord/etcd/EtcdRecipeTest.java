package io.coord.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coord.Coordinator;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.SessionExpiredException;
import io.coord.election.Election;
import io.coord.election.Leader;
import io.coord.election.Leadership;
import io.coord.lock.FencedLock;
import io.coord.lock.LockGrant;
import io.coord.spi.NameEncoding;
import io.coord.testservers.TestServers;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * etcd-specific claims of coord-etcd, checked against a real etcd node: the key layout, the round trips
 * and wake-ups the recipes promise, the fixes to etcd's own recipes, and the fenced write.
 */
class EtcdRecipeTest {

    private static EtcdKitBackend backend;
    private String namespace;
    private EtcdCoordinator coord;
    private final List<Coordinator> opened = new ArrayList<>();

    @BeforeAll
    static void startServer() {
        backend = new EtcdKitBackend("etcd (single node)", TestServers.etcd());
    }

    @AfterAll
    static void stopServer() {
        if (backend != null) {
            backend.close();
            backend.server().close();
        }
    }

    @BeforeEach
    void open() {
        namespace = "recipe-" + UUID.randomUUID().toString().substring(0, 8);
        coord = open(namespace);
    }

    private EtcdCoordinator open(String ns) {
        // A long re-check interval: round-trip and wake-up counts below must come from watches only.
        EtcdCoordinator c = EtcdCoordinator.builder().endpoints(backend.server().endpoints()).namespace(ns)
                .recheckInterval(Duration.ofMinutes(10)).build();
        opened.add(c);
        return c;
    }

    @AfterEach
    void closeAndCheckKeyspace() {
        opened.forEach(Coordinator::close);
        assertThat(backend.keys(namespace)).as("keys left in namespace " + namespace).isEmpty();
    }

    private static ConditionFactory await() {
        return Awaitility.await().pollInterval(Duration.ofMillis(20)).atMost(Duration.ofSeconds(60));
    }

    private static <T> T join(CompletableFuture<T> f) throws Exception {
        return f.get(60, TimeUnit.SECONDS);
    }

    private Session session() {
        return coord.openSession(Duration.ofSeconds(20));
    }

    @Test
    void keyLayoutTokenAndLease() throws Exception {
        try (Session s = session()) {
            String name = "a/b c*{x}%é";
            LockGrant g = s.lock(name).acquire();
            String expected = "coord/" + namespace + "/lock/" + NameEncoding.encode(name) + "/" + s.id();
            List<KeyValue> kvs = backend.list(EtcdKeys.bytes("coord/" + namespace + "/"));
            assertThat(kvs).hasSize(1);
            KeyValue kv = kvs.get(0);
            assertThat(EtcdKeys.text(kv.getKey())).isEqualTo(expected);
            assertThat(kv.getCreateRevision()).as("the fencing token is the key's create revision").isEqualTo(g.fencingToken());
            assertThat(EtcdKeys.leaseHex(kv.getLease())).as("the key lives on the session's lease").isEqualTo(s.id());
            g.release();

            LockGrant f = s.fairLock(name).acquire();
            assertThat(backend.keys(namespace)).containsExactly("coord/" + namespace + "/fairlock/" + NameEncoding.encode(name) + "/" + s.id());
            f.release();
            Leadership l = s.election(name).campaign("v1");
            List<KeyValue> e = backend.list(EtcdKeys.bytes("coord/" + namespace + "/election/"));
            assertThat(e).hasSize(1);
            assertThat(EtcdKeys.text(e.get(0).getValue())).isEqualTo("v1");
            assertThat(e.get(0).getCreateRevision()).isEqualTo(l.term());
            l.resign();
        }
    }

    @Test
    void grantedTtlIsWhatEtcdGranted() {
        try (Session s = coord.openSession(Duration.ofMillis(1500))) {
            assertThat(s.grantedTtl()).as("etcd counts whole seconds: 1.5 s is asked as 2 s").isEqualTo(Duration.ofSeconds(2));
        }
        try (Session s = coord.openSession(Duration.ofMillis(100))) {
            assertThat(s.grantedTtl()).as("the minimum on the test server (election timeout 500 ms)").isEqualTo(Duration.ofSeconds(1));
        }
    }

    @Test
    void oneTransactionPerUncontendedAcquireAndPerRelease() throws Exception {
        try (Session s = session()) {
            for (Primitive p : List.of(Primitive.LOCK, Primitive.FAIR_LOCK)) {
                FencedLock lock = p == Primitive.LOCK ? s.lock("rt") : s.fairLock("rt");
                long before = coord.stats().roundTrips(p);
                LockGrant g = lock.acquire();
                assertThat(coord.stats().roundTrips(p) - before).as(p + " uncontended acquire").isEqualTo(1);
                g.release();
                assertThat(coord.stats().roundTrips(p) - before).as(p + " acquire + release").isEqualTo(2);
            }
            long before = coord.stats().roundTrips(Primitive.ELECTION);
            Leadership l = s.election("rt").campaign("x");
            l.resign();
            assertThat(coord.stats().roundTrips(Primitive.ELECTION) - before).as("uncontended campaign + resign").isEqualTo(2);
        }
    }

    @Test
    void eachReleaseWakesExactlyOneWaiter() throws Exception {
        for (int waiters : new int[] {1, 20}) {
            String name = "herd-" + waiters;
            List<Session> sessions = new ArrayList<>();
            try {
                Session holder = session();
                sessions.add(holder);
                LockGrant first = holder.fairLock(name).acquire();
                List<CompletableFuture<LockGrant>> pending = new ArrayList<>();
                for (int i = 0; i < waiters; i++) {
                    Session s = session();
                    sessions.add(s);
                    pending.add(s.fairLock(name).acquireAsync());
                    int queued = i + 2;
                    await().until(() -> backend.entries(namespace, Primitive.FAIR_LOCK, name).size() == queued);
                }
                long wakeupsBefore = coord.stats().wakeups(Primitive.FAIR_LOCK);
                long tripsBefore = coord.stats().roundTrips(Primitive.FAIR_LOCK);
                first.release();
                long last = first.fencingToken();
                for (CompletableFuture<LockGrant> f : pending) { // enqueued in this order, so granted in this order
                    LockGrant g = join(f);
                    assertThat(g.fencingToken()).isGreaterThan(last);
                    last = g.fencingToken();
                    g.release();
                }
                long wakeups = coord.stats().wakeups(Primitive.FAIR_LOCK) - wakeupsBefore;
                long trips = coord.stats().roundTrips(Primitive.FAIR_LOCK) - tripsBefore;
                System.out.printf("etcd fair lock, %d waiter(s): %d releases -> %d wake-ups, %d round trips%n",
                        waiters, waiters + 1, wakeups, trips);
                assertThat(wakeups).as("one wake-up per release that had a waiter").isEqualTo(waiters);
                assertThat(trips).as("per release: the release txn + the woken waiter's one re-read")
                        .isEqualTo(2L * waiters + 1);
            } finally {
                sessions.forEach(Session::close);
            }
        }
    }

    @Test
    void aWaiterWhoseKeyVanishedNeverWinsButFailsWithSessionExpired() throws Exception {
        try (Session holder = session(); Session waiter = session()) {
            LockGrant held = holder.lock("vanish").acquire();
            CompletableFuture<LockGrant> waiting = waiter.lock("vanish").acquireAsync();
            await().until(() -> backend.entries(namespace, Primitive.LOCK, "vanish").size() == 2);
            // What a lease expiry does to the waiter's key, done by hand so the session itself stays alive.
            String waiterKey = backend.entries(namespace, Primitive.LOCK, "vanish").get(1);
            backend.inspector().getKVClient().delete(EtcdKeys.bytes(waiterKey)).get(10, TimeUnit.SECONDS);
            held.release();
            assertThatThrownBy(() -> join(waiting)).isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(SessionExpiredException.class);
            assertThat(backend.entries(namespace, Primitive.LOCK, "vanish")).isEmpty();
        }
    }

    @Test
    void aCampaignNeverWinsOnADeadLeaseAndLeavesNoKey() throws Exception {
        try (Session leader = session(); Session doomed = session()) {
            Leadership l = leader.election("dead").campaign("L");
            CompletableFuture<Leadership> campaign = doomed.election("dead").campaignAsync("D");
            await().until(() -> backend.entries(namespace, Primitive.ELECTION, "dead").size() == 2);
            // The server drops the doomed lease (as an expiry would); the client has not noticed yet.
            backend.inspector().getLeaseClient().revoke(Long.parseUnsignedLong(doomed.id(), 16)).get(10, TimeUnit.SECONDS);
            l.resign();
            assertThatThrownBy(() -> join(campaign)).hasCauseInstanceOf(SessionExpiredException.class);
            assertThat(backend.entries(namespace, Primitive.ELECTION, "dead")).isEmpty();
        }
    }

    @Test
    void observersSeeNoLeaderAndEveryChangeInOrder() throws Exception {
        List<Optional<Leader>> seen = new CopyOnWriteArrayList<>();
        try (Session a = session(); Session b = session(); var sub = coord.election("obs").observe(seen::add)) {
            await().until(() -> seen.size() == 1);
            assertThat(sub).isNotNull();
            assertThat(seen.get(0)).as("first event: the current state").isEmpty();
            Election ea = a.election("obs");
            Leadership la = ea.campaign("A");
            CompletableFuture<Leadership> lb = b.election("obs").campaignAsync("B");
            await().until(() -> backend.entries(namespace, Primitive.ELECTION, "obs").size() == 2);
            la.proclaim("A2");
            la.resign();
            Leadership leaderB = join(lb);
            leaderB.resign();
            await().until(() -> seen.size() == 5);
            List<String> states = seen.stream().map(o -> o.map(x -> x.value() + "@" + x.term()).orElse("none"))
                    .collect(Collectors.toList());
            assertThat(states).containsExactly("none", "A@" + la.term(), "A2@" + la.term(), "B@" + leaderB.term(), "none");
            assertThat(seen.get(3).orElseThrow().sessionId()).isEqualTo(b.id());
        }
    }

    @Test
    void aDeposedLeaderCanNeitherProclaimNorResignTheNewLeadersKey() throws Exception {
        try (Session a = session(); Session b = session()) {
            Leadership la = a.election("depose").campaign("A");
            // a's key is removed behind its back (its lease is still alive): b becomes leader
            String aKey = backend.entries(namespace, Primitive.ELECTION, "depose").get(0);
            backend.inspector().getKVClient().delete(EtcdKeys.bytes(aKey)).get(10, TimeUnit.SECONDS);
            Leadership lb = b.election("depose").campaign("B", Duration.ofSeconds(30)).orElseThrow();
            assertThatThrownBy(() -> la.proclaim("stale")).isInstanceOf(io.coord.NotLeaderException.class);
            assertThat(a.election("depose").leader()).map(Leader::value).contains("B");
            assertThat(lb.term()).isGreaterThan(la.term());
            lb.resign();
        }
    }

    @Test
    void fencedPutIsGuardedByTheLockKeysCreateRevision() throws Exception {
        ByteSequence data = EtcdKeys.bytes("coord-test-data/" + namespace);
        try (Session s1 = session(); Session s2 = session()) {
            FencedLock l1 = s1.lock("fence");
            LockGrant g1 = l1.acquire();
            assertThat(coord.fencedPut(l1, g1, data, EtcdKeys.bytes("one"))).isTrue();
            g1.release();
            FencedLock l2 = s2.lock("fence");
            LockGrant g2 = l2.acquire();
            assertThat(coord.fencedPut(l1, g1, data, EtcdKeys.bytes("stale"))).as("a released grant writes nothing").isFalse();
            assertThat(coord.fencedPut(l2, g2, data, EtcdKeys.bytes("two"))).isTrue();
            // the same session re-acquiring gets a new key revision: its old grant stays fenced out
            g2.release();
            LockGrant g3 = l2.acquire();
            assertThat(coord.fencedPut(l2, g2, data, EtcdKeys.bytes("stale2"))).isFalse();
            g3.release();
            var kvs = backend.inspector().getKVClient().get(data).get(10, TimeUnit.SECONDS).getKvs();
            assertThat(EtcdKeys.text(kvs.get(0).getValue())).isEqualTo("two");
        } finally {
            backend.inspector().getKVClient().delete(data).get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void namespacesNeverOverlap() throws Exception {
        EtcdCoordinator nested = open(namespace + "/lock");
        try (Session outer = session(); Session inner = nested.openSession(Duration.ofSeconds(20))) {
            LockGrant a = inner.lock("x").acquire();
            assertThat(outer.lock("x").tryAcquire(Duration.ZERO)).as("different namespaces, different locks").isPresent()
                    .get().satisfies(LockGrant::release);
            assertThat(backend.keys(namespace)).isEmpty();
            a.release();
        }
    }

    @Test
    void openedFromAUriThroughTheServiceLoader() throws Exception {
        String uri = backend.server().coordUri(namespace) + "?operationTimeout=3s";
        try (Coordinator c = Coordinator.open(uri); Session s = c.openSession(Duration.ofSeconds(5))) {
            assertThat(c.backend()).isEqualTo("etcd");
            assertThat(c.namespace()).isEqualTo(namespace);
            s.lock("uri").acquire().release();
        }
        assertThatThrownBy(() -> Coordinator.open(backend.server().coordUri(namespace) + "?bogus=1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bogus").hasMessageContaining("allowed");
    }

    @Test
    void anUnreachableEtcdFailsWithBackendUnavailableInsteadOfHanging() {
        int port = io.coord.testservers.FreePorts.allocate(); // nothing listens there
        try (EtcdCoordinator dead = EtcdCoordinator.builder().endpoints("127.0.0.1:" + port).namespace(namespace)
                .operationTimeout(Duration.ofMillis(500)).build()) {
            assertThatThrownBy(() -> dead.openSession(Duration.ofSeconds(5)))
                    .isInstanceOf(io.coord.BackendUnavailableException.class).hasMessageContaining("127.0.0.1:" + port);
            assertThatThrownBy(() -> dead.election("e").leader()).isInstanceOf(io.coord.BackendUnavailableException.class);
        }
    }

    @Test
    void closingTheCoordinatorStopsEveryThreadItStarted() throws Exception {
        backend.keys(namespace); // the inspector's own client threads exist before the snapshot
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        EtcdCoordinator c = (EtcdCoordinator) backend.open(namespace);
        try (Session s = c.openSession(Duration.ofSeconds(5))) {
            LockGrant g = s.lock("threads").acquire();
            try (var sub = c.election("threads").observe(x -> { })) {
                assertThat(sub).isNotNull();
                Session other = c.openSession(Duration.ofSeconds(5));
                CompletableFuture<LockGrant> waiting = other.lock("threads").acquireAsync();
                await().until(() -> backend.entries(namespace, Primitive.LOCK, "threads").size() == 2);
                g.release();
                join(waiting).release();
            }
        }
        c.close();
        await().untilAsserted(() -> assertThat(Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive).filter(t -> !before.contains(t))
                .map(Thread::getName).filter(n -> !n.startsWith("Cleaner-") && !n.startsWith("process reaper") && !n.startsWith("jetcd-pool") && !n.startsWith("awaitility"))
                .sorted(Comparator.naturalOrder()).collect(Collectors.toList()))
                .as("threads left after close").isEmpty());
    }
}
