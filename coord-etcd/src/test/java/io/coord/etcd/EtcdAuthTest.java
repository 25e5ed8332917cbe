package io.coord.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coord.AuthenticationException;
import io.coord.BackendUnavailableException;
import io.coord.Coordinator;
import io.coord.Session;
import io.coord.SessionState;
import io.coord.election.Leader;
import io.coord.election.Leadership;
import io.coord.lock.LockGrant;
import io.coord.spi.NameEncoding;
import io.coord.testkit.CapturedStderr;
import io.coord.testservers.EtcdCluster;
import io.coord.testservers.TestServerPolicy;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * coord-etcd against an etcd with authentication enabled and a 2 s auth token TTL ({@code --auth-token-ttl=2}),
 * its RBAC set up with exactly the etcdctl commands of coord-etcd's README: the least-privileged namespace
 * user runs every primitive and keeps a session over several token expiries; wrong or missing credentials
 * and another namespace are refused with {@link AuthenticationException}; no password reaches stderr, an
 * exception message or a {@code toString}. The server is this class's own and is closed at the end.
 */
class EtcdAuthTest {

    private static CapturedStderr stderr;
    private static final List<String> PASSWORDS = new CopyOnWriteArrayList<>();
    private static EtcdCluster server;
    private static String endpoint;
    private static String rootPassword;

    private final List<Coordinator> opened = new ArrayList<>();

    @BeforeAll
    static void startAuthEnabledEtcd() throws Exception {
        TestServerPolicy.Decision d = TestServerPolicy.fromEnvironment().decide(TestServerPolicy.Kind.ETCD);
        if (d.binary().isEmpty()) { // not a skip: CI must never count this class as passed without running it
            throw new IllegalStateException("EtcdAuthTest needs the etcd binary (it starts its own server with --auth-token-ttl=2);"
                    + " run scripts/install-test-servers.sh");
        }
        stderr = CapturedStderr.install();
        server = EtcdCluster.start(d.binary().orElseThrow(), 1, List.of("--auth-token-ttl=2"));
        endpoint = server.endpoints().get(0).replace("http://", "");
        rootPassword = password();
        // the README's "once per cluster" part
        etcdctl(null, "user", "add", "root:" + rootPassword, "--interactive=false");
        etcdctl(null, "role", "add", "root");
        etcdctl(null, "user", "grant-role", "root", "root");
        etcdctl(null, "auth", "enable");
    }

    @AfterAll
    static void disableAuthAndStop() throws Exception {
        try {
            if (server != null) {
                etcdctl("root:" + rootPassword, "auth", "disable");
                server.close();
            }
        } finally {
            if (stderr != null) {
                stderr.close();
            }
        }
        String output = stderr.text();
        for (String p : PASSWORDS) {
            assertThat(output).doesNotContain(p);
        }
    }

    @AfterEach
    void closeAll() {
        opened.forEach(Coordinator::close);
        await().untilAsserted(() -> assertThat(clientThreads()).isEmpty());
    }

    // ---- the least RBAC user ------------------------------------------------------------------------

    @Test
    void theReadmesLeastRbacUserRunsLocksFairLocksAndElectionsWithHandOffs() throws Exception {
        String ns = "app-" + UUID.randomUUID().toString().substring(0, 8);
        String user = "coord-" + ns;
        String password = namespaceUser(user, ns);
        Coordinator coord = open("etcd://" + user + ":" + password + "@" + endpoint + "/" + ns);
        List<Optional<Leader>> seen = new CopyOnWriteArrayList<>();
        try (Session a = coord.openSession(Duration.ofSeconds(3)); Session b = coord.openSession(Duration.ofSeconds(3));
             var sub = coord.election("e").observe(seen::add)) {
            assertThat(sub).isNotNull();
            for (boolean fair : new boolean[] {false, true}) {
                LockGrant ga = fair ? a.fairLock("l").acquire() : a.lock("l").acquire();
                CompletableFuture<LockGrant> gb = fair ? b.fairLock("l").acquireAsync() : b.lock("l").acquireAsync();
                await().during(Duration.ofMillis(200)).until(() -> !gb.isDone()); // queued, not granted
                ga.release();
                LockGrant handedOff = gb.get(10, TimeUnit.SECONDS);
                assertThat(handedOff.fencingToken()).isGreaterThan(ga.fencingToken());
                handedOff.release();
            }
            Leadership la = a.election("e").campaign("A");
            CompletableFuture<Leadership> lb = b.election("e").campaignAsync("B");
            await().during(Duration.ofMillis(300)).until(() -> !lb.isDone()); // B queued behind A
            la.resign();
            Leadership leaderB = lb.get(10, TimeUnit.SECONDS);
            leaderB.resign();
            await().untilAsserted(() -> assertThat(seen.stream().map(o -> o.map(Leader::value).orElse("none")).toList())
                    .containsExactly("none", "A", "B", "none"));
        }
        assertThat(coord.toString()).doesNotContain(password);
    }

    @Test
    void aSessionAndItsLockSurviveSeveralAuthTokenExpiries() throws Exception {
        String ns = "ttl-" + UUID.randomUUID().toString().substring(0, 8);
        String user = "coord-" + ns;
        String password = namespaceUser(user, ns);
        Coordinator coord = open(EtcdCoordinator.builder().endpoints(endpoint).namespace(ns).credentials(user, password.toCharArray()));
        // TTL 12 s: renewed every 4 s, twice the 2 s token TTL (etcd extends a simple token on every use and drops
        // idle ones on a 1 s tick; jetcd re-authenticates when its token is refused). etcd's log counts the expiries.
        long expiredBefore = tokensExpiredOf(user);
        try (Session s = coord.openSession(Duration.ofSeconds(12))) {
            LockGrant g = s.lock("held").acquire();
            // 3 renewals: active and held throughout
            Awaitility.await().during(Duration.ofSeconds(13)).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250))
                    .until(() -> s.state() == SessionState.ACTIVE && g.isHeld());
            for (int i = 0; i < 2; i++) {
                long renewedBy = s.validUntilNanos();
                // idle (no request of ours) until the session has renewed on its own, past the 2 s token TTL
                Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                        .until(() -> s.validUntilNanos() > renewedBy);
                LockGrant afterIdle = s.fairLock("after-idle").acquire();
                assertThat(afterIdle.fencingToken()).isPositive();
                afterIdle.release();
            }
            g.release();
            assertThat(s.state()).isEqualTo(SessionState.ACTIVE);
        }
        awaitTokenExpiry(user); // the fault injected: the token expires again, now with no session renewing
        try (Session again = coord.openSession(Duration.ofSeconds(2))) { // a new lease after an idle token expiry
            again.lock("held").acquire().release();
        }
        assertThat(tokensExpiredOf(user) - expiredBefore).as("simple tokens of " + user + " etcd deleted").isGreaterThanOrEqualTo(2);
    }

    /** Waits (no fixed sleep) until etcd has deleted one more simple token of {@code user}: its 2 s TTL passed unused. */
    private static void awaitTokenExpiry(String user) throws IOException {
        long before = tokensExpiredOf(user);
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> tokensExpiredOf(user) > before);
    }

    /** etcd logs "deleted a simple token" with the user name when a token's TTL passes unused. */
    private static long tokensExpiredOf(String user) throws IOException {
        return java.nio.file.Files.readAllLines(server.members().get(0).logFile()).stream()
                .filter(l -> l.contains("deleted a simple token") && l.contains("\"" + user + "\"")).count();
    }

    // ---- refused ---------------------------------------------------------------------------------

    @Test
    void wrongPasswordFailsFastWithAuthenticationExceptionAndLeavesNoThread() {
        String ns = "wrong-" + UUID.randomUUID().toString().substring(0, 8);
        String user = "coord-" + ns;
        String right = namespaceUser(user, ns);
        String wrong = password();
        Coordinator coord = open("etcd://" + user + ":" + wrong + "@" + endpoint + "/" + ns);
        long start = System.nanoTime();
        assertThatThrownBy(() -> coord.openSession(Duration.ofSeconds(5)))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageContaining("etcd").hasMessageContaining(endpoint).hasMessageContaining(user)
                .hasMessageContaining("UNAUTHENTICATED").hasMessageContaining("invalid user ID or password")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(wrong).doesNotContain(right));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(coord.toString()).doesNotContain(wrong);
        coord.close(); // @AfterEach: no coord/jetcd/vert.x thread left
    }

    @Test
    void noCredentialsAgainstAnAuthEnabledEtcdIsAnAuthenticationException() {
        Coordinator coord = open("etcd://" + endpoint + "/anonymous");
        assertThatThrownBy(() -> coord.openSession(Duration.ofSeconds(5)))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageContaining(endpoint).hasMessageContaining("without credentials");
    }

    @Test
    void aNamespaceUserCannotTouchAnotherNamespace() throws Exception {
        String nsA = "iso-a-" + UUID.randomUUID().toString().substring(0, 8);
        String nsB = "iso-b-" + UUID.randomUUID().toString().substring(0, 8);
        String userA = "coord-" + nsA;
        String passwordA = namespaceUser(userA, nsA);
        String passwordB = namespaceUser("coord-" + nsB, nsB);
        Coordinator b = open(EtcdCoordinator.builder().endpoints(endpoint).namespace(nsB).credentials("coord-" + nsB, passwordB.toCharArray()));
        try (Session sb = b.openSession(Duration.ofSeconds(5))) {
            LockGrant held = sb.lock("x").acquire();
            ByteSequence keyB = ByteSequence.from(EtcdCoordinator.lockPrefix(nsB, "x") + "/" + sb.id(), StandardCharsets.UTF_8);
            try (Client raw = Client.builder().endpoints("http://" + endpoint)
                    .user(ByteSequence.from(userA, StandardCharsets.UTF_8))
                    .password(ByteSequence.from(passwordA, StandardCharsets.UTF_8)).build()) {
                assertThat(raw.getKVClient().get(ByteSequence.from("coord/" + NameEncoding.encode(nsA) + "/", StandardCharsets.UTF_8))
                        .get(10, TimeUnit.SECONDS).getCount()).isZero();
                assertPermissionDenied(raw.getKVClient().get(keyB));
                assertPermissionDenied(raw.getKVClient().put(keyB, ByteSequence.from("stolen", StandardCharsets.UTF_8)));
                assertPermissionDenied(raw.getKVClient().delete(keyB));
            }
            assertThat(held.isHeld()).isTrue();
            held.release();
        }
        Coordinator aOnB = open(EtcdCoordinator.builder().endpoints(endpoint).namespace(nsB).credentials(userA, passwordA.toCharArray()));
        assertThatThrownBy(() -> aOnB.openSession(Duration.ofSeconds(5)))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageContaining(userA).hasMessageContaining("permission denied")
                .hasMessageContaining("coord/" + NameEncoding.encode(nsB) + "/")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(passwordA));
    }

    @Test
    void aPermissionRevokedMidSessionFailsOperationsClearlyWhileTheLeaseLives() throws Exception {
        String ns = "rev-" + UUID.randomUUID().toString().substring(0, 8);
        String user = "coord-" + ns;
        String password = namespaceUser(user, ns);
        Coordinator coord = open(EtcdCoordinator.builder().endpoints(endpoint).namespace(ns).credentials(user, password.toCharArray()));
        Session s = coord.openSession(Duration.ofSeconds(2));
        s.lock("before").acquire().release();
        etcdctl("root:" + rootPassword, "user", "revoke-role", user, user);
        long start = System.nanoTime();
        assertThatThrownBy(() -> s.lock("after").acquire())
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("permission denied").hasMessageContaining(user)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(password));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        // etcd 3.4 does not check RBAC on lease renewals: the session (and what it holds) stays alive, even
        // with the user deleted, and closing it is bounded
        etcdctl("root:" + rootPassword, "user", "delete", user);
        Awaitility.await().during(Duration.ofMillis(4_500)).atMost(Duration.ofSeconds(15))
                .until(() -> s.state() == SessionState.ACTIVE); // more than two TTLs: still active
        long closing = System.nanoTime();
        try {
            s.close();
        } catch (RuntimeException e) {
            assertThat(e.getMessage()).doesNotContain(password);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - closing)).isLessThan(Duration.ofSeconds(25));
        assertThat(s.state()).isIn(SessionState.CLOSED, SessionState.EXPIRED);
    }

    // ---- configuration ---------------------------------------------------------------------------

    @Test
    void aPasswordOnlyUserInfoIsRefusedWithoutEchoingIt() {
        String secret = password();
        assertThatThrownBy(() -> EtcdCoordinator.builder().uri("etcd://:" + secret + "@" + endpoint + "/ns"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("user name")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret));
        assertThatThrownBy(() -> EtcdCoordinator.builder().credentials(null, secret.toCharArray()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("user name");
        var builder = EtcdCoordinator.builder().uri(URI.create("etcd://u:" + secret + "@" + endpoint + "/ns"));
        assertThat(builder.toString()).contains("u").doesNotContain(secret);
        assertThatThrownBy(() -> EtcdCoordinator.builder().uri("etcd://u:" + secret + "@" + endpoint + "/ns?nope=1"))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret));
    }

    // ---- helpers -----------------------------------------------------------------------------------

    /** The README's per-namespace part: a role with READWRITE on coord/<encoded ns>/ and a user holding it. */
    private static String namespaceUser(String user, String namespace) {
        String password = password();
        String root = "root:" + rootPassword;
        String prefix = "coord/" + NameEncoding.encode(namespace) + "/";
        etcdctl(root, "role", "add", user);
        etcdctl(root, "role", "grant-permission", user, "--prefix=true", "readwrite", prefix);
        etcdctl(root, "user", "add", user + ":" + password, "--interactive=false");
        etcdctl(root, "user", "grant-role", user, user);
        return password;
    }

    private static void etcdctl(String credentials, String... args) {
        List<String> cmd = new ArrayList<>(List.of("etcdctl", "--endpoints=" + server.endpoints().get(0)));
        if (credentials != null) {
            cmd.add("--user=" + credentials);
        }
        cmd.addAll(List.of(args));
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("ETCDCTL_API", "3");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError("etcdctl " + args[0] + " " + args[1] + " failed: " + out);
            }
        } catch (IOException e) {
            throw new AssertionError("etcdctl not runnable", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static void assertPermissionDenied(CompletableFuture<?> request) {
        assertThatThrownBy(() -> request.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .satisfies(e -> assertThat(EtcdConnection.isPermissionDenied(e)).as(e.toString()).isTrue());
    }

    private Coordinator open(String uri) {
        Coordinator c = Coordinator.open(URI.create(uri));
        opened.add(c);
        return c;
    }

    private Coordinator open(EtcdCoordinatorBuilder b) {
        Coordinator c = b.build();
        opened.add(c);
        return c;
    }

    private static String password() {
        String p = "pw" + UUID.randomUUID().toString().replace("-", "");
        PASSWORDS.add(p);
        return p;
    }

    private static List<String> clientThreads() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith("coord-") || n.startsWith("vert.x-") || n.contains("jetcd")).toList();
    }

    private static ConditionFactory await() {
        return Awaitility.await().pollInterval(Duration.ofMillis(20)).atMost(Duration.ofSeconds(10));
    }
}
