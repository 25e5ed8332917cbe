package io.coord.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coord.Primitive;
import io.coord.Session;
import io.coord.election.Leader;
import io.coord.election.Leadership;
import io.coord.lock.FencedLock;
import io.coord.lock.LockGrant;
import io.coord.testservers.ChildProcess;
import io.coord.testservers.TestServers;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.LeaseOption;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The declared compatibility with etcd's Go {@code concurrency} recipes: coord's locks, fair locks and
 * elections queue together with {@code etcdctl lock} / {@code etcdctl elect} (Go's {@code concurrency.Mutex} /
 * {@code Election}, Debian package etcd-client) on the prefixes {@link EtcdCoordinator#lockPrefix},
 * {@link EtcdCoordinator#fairLockPrefix} and {@link EtcdCoordinator#electionPrefix} give. etcdctl runs as a
 * child process; this test reads the keyspace with its own jetcd client.
 */
class EtcdGoInteropTest {

    /** A name that needs encoding, so the prefix helpers are checked to encode exactly as the coordinator does. */
    private static final String NAME = "orders/eu west";
    private static final Duration QUIET = Duration.ofMillis(500);

    private static EtcdKitBackend backend;
    private static String etcdctl;

    @TempDir
    Path tmp;
    private String namespace;
    private EtcdCoordinator coord;
    private final List<Session> sessions = new ArrayList<>();
    private final List<ChildProcess> children = new ArrayList<>();

    @BeforeAll
    static void startServer() {
        backend = new EtcdKitBackend("etcd (single node)", TestServers.etcd());
        etcdctl = findEtcdctl();
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
        namespace = "interop-" + UUID.randomUUID().toString().substring(0, 8);
        coord = EtcdCoordinator.builder().endpoints(backend.server().endpoints()).namespace(namespace).build();
    }

    @AfterEach
    void stopEverythingAndCheckKeyspace() {
        try {
            children.forEach(c -> c.stop(Duration.ofSeconds(5))); // SIGTERM: etcdctl unlocks / resigns
            children.forEach(ChildProcess::close);
            sessions.forEach(Session::close);
            coord.close();
        } finally {
            children.forEach(ChildProcess::close);
        }
        await().untilAsserted(() -> assertThat(backend.keys(namespace)).as("keys left in namespace " + namespace).isEmpty());
    }

    // ---- the prefixes ------------------------------------------------------------------------------

    @Test
    void prefixesAreTheQueueKeysWithoutTheTrailingSlash() throws Exception {
        assertThat(EtcdCoordinator.lockPrefix("a/b", NAME)).isEqualTo("coord/a%2Fb/lock/orders%2Feu%20west");
        assertThat(EtcdCoordinator.fairLockPrefix("a/b", NAME)).isEqualTo("coord/a%2Fb/fairlock/orders%2Feu%20west");
        assertThat(EtcdCoordinator.electionPrefix("a/b", NAME)).isEqualTo("coord/a%2Fb/election/orders%2Feu%20west");
        Session s = session();
        try (Leadership l = s.election(NAME).campaign("v")) {
            LockGrant lock = s.lock(NAME).acquire();
            LockGrant fair = s.fairLock(NAME).acquire();
            assertThat(backend.keys(namespace)).containsExactlyInAnyOrder(
                    EtcdCoordinator.lockPrefix(namespace, NAME) + "/" + s.id(),
                    EtcdCoordinator.fairLockPrefix(namespace, NAME) + "/" + s.id(),
                    EtcdCoordinator.electionPrefix(namespace, NAME) + "/" + s.id());
            lock.release();
            fair.release();
            assertThat(l.term()).isPositive();
        }
        assertThatThrownBy(() -> EtcdCoordinator.lockPrefix("../x", NAME)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("namespace");
        assertThatThrownBy(() -> EtcdCoordinator.fairLockPrefix(namespace, " ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fair lock name");
    }

    // ---- locks -------------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = Primitive.class, names = {"LOCK", "FAIR_LOCK"})
    void etcdctlWaitsWhileCoordHoldsAndGetsTheLockAfterTheRelease(Primitive kind) throws Exception {
        LockGrant held = lock(session(), kind).acquire();
        Etcdctl go = lock("go", kind, 10);
        await().until(() -> entries(kind).size() == 2);
        String goKey = entries(kind).get(1).key;
        assertThat(goKey).startsWith(prefix(kind) + "/");
        go.staysWithout(goKey);

        held.release();
        go.awaitOutput(goKey);
        assertThat(entries(kind).get(0).createRevision()).as("etcdctl's key, now the holder's").isGreaterThan(held.fencingToken());
        assertThat(lock(session(), kind).tryAcquire(Duration.ZERO)).as("coord while etcdctl holds").isEmpty();
        go.release();
        await().until(() -> entries(kind).isEmpty());
    }

    @ParameterizedTest
    @EnumSource(value = Primitive.class, names = {"LOCK", "FAIR_LOCK"})
    void coordWaitsWhileEtcdctlHoldsAndGetsAGreaterToken(Primitive kind) throws Exception {
        Etcdctl go = lock("go", kind, 10);
        String goKey = go.awaitKey();
        long goRevision = revisionOf(goKey);

        FencedLock mine = lock(session(), kind);
        assertThat(mine.tryAcquire(Duration.ZERO)).as("coord while etcdctl holds").isEmpty();
        assertThat(entries(kind)).as("the failed try left no key").hasSize(1);
        CompletableFuture<LockGrant> waiting = mine.acquireAsync();
        await().until(() -> entries(kind).size() == 2);
        stayPending(waiting);

        go.release();
        LockGrant g = waiting.get(30, TimeUnit.SECONDS);
        assertThat(g.fencingToken()).isGreaterThan(goRevision);
        assertThat(entries(kind)).singleElement().satisfies(e -> assertThat(e.createRevision()).isEqualTo(g.fencingToken()));
        g.release();
    }

    /** etcdctl1 holds; then coord A, etcdctl2, coord B queue: the lock passes in exactly that order. */
    @ParameterizedTest
    @EnumSource(value = Primitive.class, names = {"LOCK", "FAIR_LOCK"})
    void handOffsFollowCreateRevisionOrderAcrossBothClients(Primitive kind) throws Exception {
        Etcdctl go1 = lock("go1", kind, 10);
        long rev1 = revisionOf(go1.awaitKey());
        CompletableFuture<LockGrant> a = lock(session(), kind).acquireAsync();
        await().until(() -> entries(kind).size() == 2);
        Etcdctl go2 = lock("go2", kind, 10);
        await().until(() -> entries(kind).size() == 3);
        String go2Key = entries(kind).get(2).key;
        CompletableFuture<LockGrant> b = lock(session(), kind).acquireAsync();
        await().until(() -> entries(kind).size() == 4);

        go1.release();
        LockGrant ga = a.get(30, TimeUnit.SECONDS);
        assertThat(ga.fencingToken()).isGreaterThan(rev1);
        go2.staysWithout(go2Key);
        assertThat(b).isNotDone();

        ga.release();
        go2.awaitOutput(go2Key);
        long rev2 = revisionOf(go2Key);
        assertThat(rev2).isGreaterThan(ga.fencingToken());
        stayPending(b);

        go2.release();
        LockGrant gb = b.get(30, TimeUnit.SECONDS);
        assertThat(gb.fencingToken()).isGreaterThan(rev2);
        gb.release();
    }

    @Test
    void aKilledEtcdctlHoldersLockPassesOnlyWhenItsLeaseIsGone() throws Exception {
        Primitive kind = Primitive.FAIR_LOCK;
        Etcdctl go = lock("go", kind, 2);
        String goKey = go.awaitKey();
        long goRevision = revisionOf(goKey);
        CompletableFuture<LockGrant> waiting = lock(session(), kind).acquireAsync();
        await().until(() -> entries(kind).size() == 2);

        go.process.kill(); // SIGKILL: no unlock; only the lease expiry (TTL 2 s) frees the key
        AtomicBoolean grantedOnALiveLease = new AtomicBoolean();
        AtomicBoolean waitedOnALiveLease = new AtomicBoolean();
        await().until(() -> {
            boolean granted = waiting.isDone(); // first the grant, then the key: a deleted key never comes back
            boolean goKeyExists = revisionOf(goKey) != 0;
            grantedOnALiveLease.compareAndSet(false, granted && goKeyExists);
            waitedOnALiveLease.compareAndSet(false, !granted && goKeyExists);
            return granted;
        });
        assertThat(grantedOnALiveLease).as("granted while etcdctl's key (on its lease) still existed").isFalse();
        assertThat(waitedOnALiveLease).as("the waiter was seen waiting on the killed holder's live lease").isTrue();
        long goLease = Long.parseUnsignedLong(goKey.substring(goKey.lastIndexOf('/') + 1), 16);
        assertThat(backend.inspector().getLeaseClient().timeToLive(goLease, LeaseOption.DEFAULT)
                .get(10, TimeUnit.SECONDS).getTTL()).as("etcdctl's lease has expired").isLessThanOrEqualTo(0);
        LockGrant g = waiting.get();
        assertThat(g.fencingToken()).isGreaterThan(goRevision);
        g.release();
    }

    // ---- elections ---------------------------------------------------------------------------------

    @Test
    void coordSeesAnEtcdctlLeaderAndSucceedsItWhenItResigns() throws Exception {
        List<Optional<Leader>> seen = new CopyOnWriteArrayList<>();
        try (var sub = coord.election(NAME).observe(seen::add)) {
            await().until(() -> seen.size() == 1);
            assertThat(seen.get(0)).isEmpty();
            Etcdctl go = start("go", "elect", EtcdCoordinator.electionPrefix(namespace, NAME), "go-value");
            String goKey = go.awaitKey();
            go.awaitOutput("go-value");

            Leader leader = coord.election(NAME).leader().orElseThrow();
            assertThat(leader.value()).isEqualTo("go-value");
            assertThat(leader.term()).isEqualTo(revisionOf(goKey));
            assertThat(goKey).endsWith("/" + leader.sessionId());
            await().until(() -> seen.size() == 2);
            assertThat(seen.get(1)).contains(leader);

            Session s = session();
            CompletableFuture<Leadership> campaign = s.election(NAME).campaignAsync("coord-value");
            await().until(() -> entries(Primitive.ELECTION).size() == 2);
            stayPending(campaign);
            go.release(); // SIGTERM: etcdctl resigns
            Leadership mine = campaign.get(30, TimeUnit.SECONDS);
            assertThat(mine.term()).isGreaterThan(leader.term());
            await().until(() -> seen.size() >= 3);
            assertThat(seen.get(seen.size() - 1)).map(Leader::value).contains("coord-value");
            mine.resign();
            assertThat(sub).isNotNull();
        }
    }

    @Test
    void etcdctlListenPrintsTheCoordLeadersValues() throws Exception {
        Session s = session();
        Leadership l = s.election(NAME).campaign("coord-1");
        Etcdctl listener = start("listener", "elect", "-l", EtcdCoordinator.electionPrefix(namespace, NAME));
        String myKey = EtcdCoordinator.electionPrefix(namespace, NAME) + "/" + s.id();
        listener.awaitOutput(myKey + "\ncoord-1");
        l.proclaim("coord-2");
        listener.awaitOutput(myKey + "\ncoord-2");

        // etcdctl queued behind coord: it leads once coord resigns, and the listener reports it
        Etcdctl go = start("go", "elect", EtcdCoordinator.electionPrefix(namespace, NAME), "go-value");
        await().until(() -> entries(Primitive.ELECTION).size() == 2);
        String goKey = entries(Primitive.ELECTION).get(1).key;
        go.staysWithout(goKey);
        l.resign();
        go.awaitOutput(goKey + "\ngo-value");
        listener.awaitOutput(goKey + "\ngo-value");
        go.release();
    }

    // ---- helpers -----------------------------------------------------------------------------------

    private Session session() {
        Session s = coord.openSession(Duration.ofSeconds(20));
        sessions.add(s);
        return s;
    }

    private static FencedLock lock(Session s, Primitive kind) {
        return kind == Primitive.LOCK ? s.lock(NAME) : s.fairLock(NAME);
    }

    private String prefix(Primitive kind) {
        return kind == Primitive.LOCK ? EtcdCoordinator.lockPrefix(namespace, NAME) : EtcdCoordinator.fairLockPrefix(namespace, NAME);
    }

    /** {@code etcdctl lock --ttl=<ttl> <prefix>}: prints its key once it holds the lock, unlocks on SIGTERM. */
    private Etcdctl lock(String label, Primitive kind, int ttlSeconds) {
        return start(label, "lock", "--ttl=" + ttlSeconds, prefix(kind));
    }

    /** The queue's keys, oldest first. */
    private List<Entry> entries(Primitive kind) {
        String queue = (kind == Primitive.ELECTION ? EtcdCoordinator.electionPrefix(namespace, NAME) : prefix(kind)) + "/";
        return backend.list(EtcdKeys.bytes(queue)).stream().map(Entry::new).toList();
    }

    /** The create revision of {@code key}, 0 if it does not exist. */
    private static long revisionOf(String key) throws Exception {
        List<KeyValue> kvs = backend.inspector().getKVClient().get(EtcdKeys.bytes(key)).get(10, TimeUnit.SECONDS).getKvs();
        return kvs.isEmpty() ? 0 : kvs.get(0).getCreateRevision();
    }

    private static void stayPending(CompletableFuture<?> f) {
        Awaitility.await().during(QUIET).atMost(QUIET.multipliedBy(4)).pollInterval(Duration.ofMillis(50))
                .until(() -> !f.isDone());
    }

    private static ConditionFactory await() {
        return Awaitility.await().pollInterval(Duration.ofMillis(20)).atMost(Duration.ofSeconds(30));
    }

    private Etcdctl start(String label, String... args) {
        List<String> cmd = new ArrayList<>(List.of(etcdctl, "--endpoints=" + String.join(",", backend.server().endpoints())));
        cmd.addAll(List.of(args));
        ChildProcess p = ChildProcess.start("etcdctl-" + label, cmd, tmp, tmp.resolve("etcdctl-" + label + ".log"),
                Map.of("ETCDCTL_API", "3"));
        children.add(p);
        return new Etcdctl(p);
    }

    private static String findEtcdctl() {
        String configured = System.getProperty("coord.etcdctl.binary");
        if (configured != null) {
            return configured;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, "etcdctl");
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new IllegalStateException("etcdctl not found on PATH (Debian package etcd-client: run scripts/install-test-servers.sh,"
                + " or set -Dcoord.etcdctl.binary=/path/to/etcdctl)");
    }

    private record Entry(String key, long createRevision) {
        Entry(KeyValue kv) {
            this(EtcdKeys.text(kv.getKey()), kv.getCreateRevision());
        }
    }

    /** One etcdctl child process and what it printed (stdout and stderr, one log file). */
    private static final class Etcdctl {
        final ChildProcess process;

        Etcdctl(ChildProcess process) {
            this.process = process;
        }

        String output() {
            try {
                return Files.exists(process.logFile()) ? Files.readString(process.logFile(), StandardCharsets.UTF_8) : "";
            } catch (IOException e) {
                return "";
            }
        }

        void awaitOutput(String text) {
            await().alias(process.name() + " prints " + text).until(() -> {
                String out = output();
                if (!process.isAlive() && !out.contains(text)) {
                    throw new AssertionError(process.name() + " exited (" + process.exitCode() + "):\n" + out);
                }
                return out.contains(text);
            });
        }

        /** The key it printed once it held the lock / won the election: its first line. */
        String awaitKey() {
            awaitOutput("coord/");
            return output().lines().filter(l -> l.startsWith("coord/")).findFirst().orElseThrow();
        }

        /** It does not print {@code key} (does not get the lock / leadership) for a while, and keeps running. */
        void staysWithout(String key) {
            Awaitility.await().during(QUIET).atMost(QUIET.multipliedBy(4)).pollInterval(Duration.ofMillis(50))
                    .until(() -> process.isAlive() && !output().contains(key));
        }

        /** SIGTERM: etcdctl unlocks / resigns, then exits; returns once it has exited. */
        void release() {
            process.stop(Duration.ofSeconds(10));
            assertThat(process.exitCode()).as(process.name() + " exit code; output:\n" + output()).isZero();
        }
    }
}
