package io.coord.redis;

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
import io.coord.testkit.CapturedStderr;
import io.coord.testservers.RedisServer;
import io.coord.testservers.RespConnection;
import io.coord.testservers.TestServers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Authentication and the least ACL of the README, on a redis-server of this class's own: refused
 * credentials, credentials a server does not need, every primitive run as the restricted user,
 * namespace isolation, permissions revoked mid-session, and no password in any log line,
 * exception or {@code toString()}.
 */
class RedisAclTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    /** Every password this class hands out; none may appear in the captured output. */
    private static final List<String> PASSWORDS = new CopyOnWriteArrayList<>();
    private static CapturedStderr stderr;
    private static RedisServer server;
    /** The default user's password: this server requires authentication (but for one test). */
    private static String adminPassword;

    private final List<Coordinator> opened = new ArrayList<>();
    private final List<String> users = new ArrayList<>();

    @BeforeAll
    static void start() {
        stderr = CapturedStderr.install(); // slf4j-simple logs there
        server = TestServers.redis();
        adminPassword = password();
        try (RespConnection c = server.connect()) {
            c.command("ACL", "SETUSER", "default", "resetpass", ">" + adminPassword);
        }
    }

    @AfterAll
    static void stopAndCheckOutput() {
        try {
            if (server != null) {
                admin("ACL", "SETUSER", "default", "nopass");
                server.close();
            }
        } finally {
            stderr.close();
        }
        String output = stderr.text();
        assertThat(PASSWORDS).isNotEmpty();
        for (String p : PASSWORDS) {
            assertThat(output).doesNotContain(p);
        }
    }

    @AfterEach
    void closeAll() {
        opened.forEach(Coordinator::close);
        for (String u : users) {
            admin("ACL", "DELUSER", u);
        }
        await().untilAsserted(() -> assertThat(clientThreads()).isEmpty());
    }

    // ---- refused credentials -----------------------------------------------------------------------

    @Test
    void wrongPasswordFailsFastWithAuthenticationExceptionAndStopsItsThreads() {
        String ns = namespace();
        createLeastUser(ns);
        String wrong = password();
        long start = System.nanoTime();
        assertThatThrownBy(() -> Coordinator.open(uri("coord-" + ns, wrong, ns)))
                .isInstanceOf(AuthenticationException.class)
                .satisfies(e -> assertNoSecret(e, wrong))
                .hasMessageContaining(server.host() + ":" + server.port())
                .hasMessageContaining("coord-" + ns)
                .hasMessageContaining("WRONGPASS");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TIMEOUT);
        await().untilAsserted(() -> assertThat(clientThreads()).isEmpty());
    }

    @Test
    void builderCredentialsOfAnUnknownUserAreRefused() {
        String wrong = password();
        RedisCoordinatorBuilder builder = RedisCoordinator.builder().endpoints(List.of(server.host() + ":" + server.port()))
                .operationTimeout(TIMEOUT).credentials("nobody-" + namespace(), wrong.toCharArray());
        assertThat(builder.toString()).doesNotContain(wrong);
        assertThatThrownBy(builder::build).isInstanceOf(AuthenticationException.class).satisfies(e -> assertNoSecret(e, wrong));
        await().untilAsserted(() -> assertThat(clientThreads()).isEmpty());
    }

    @Test
    void missingCredentialsWhereTheServerRequiresThemAreRefused() {
        assertThatThrownBy(() -> Coordinator.open(server.coordUri(namespace()) + "?operationTimeout=2s"))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageContaining(server.host() + ":" + server.port())
                .hasMessageContaining("NOAUTH");
        await().untilAsserted(() -> assertThat(clientThreads()).isEmpty());
    }

    @Test
    void aUserOfOneNamespaceCannotOpenAnother() {
        String a = namespace();
        String b = namespace();
        String pa = createLeastUser(a);
        assertThatThrownBy(() -> Coordinator.open(uri("coord-" + a, pa, b)))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageContaining("NOPERM")
                .satisfies(e -> assertNoSecret(e, pa));
        await().untilAsserted(() -> assertThat(clientThreads()).isEmpty());
    }

    // ---- credentials sent to a server that does not need them ---------------------------------------

    @Test
    void credentialsToAServerWithoutAuthWarnOnceAndWork() throws Exception {
        String secret = password();
        admin("ACL", "SETUSER", "default", "nopass");
        try {
            int before = countWarnings();
            Coordinator c = track(Coordinator.open("redis://:" + secret + "@" + server.host() + ":" + server.port() + "/" + namespace()));
            assertThat(countWarnings()).isEqualTo(before + 1);
            try (Session s = c.openSession(Duration.ofSeconds(5)); LockGrant g = s.lock("l").acquire()) {
                assertThat(g.isHeld()).isTrue();
                assertNoSecret(c, secret);
                assertNoSecret(s, secret);
            }
            assertThat(stderr.text()).doesNotContain(secret);
        } finally {
            admin("ACL", "SETUSER", "default", "resetpass", ">" + adminPassword);
        }
    }

    // ---- the least ACL -------------------------------------------------------------------------------

    @Test
    void everyPrimitiveWorksAsTheLeastUser() throws Exception {
        String ns = namespace();
        String p = createLeastUser(ns);
        int warnings = countWarnings();
        Coordinator c1 = track(Coordinator.open(uri("coord-" + ns, p, ns)));
        Coordinator c2 = track(Coordinator.open(uri("coord-" + ns, p, ns)));
        assertThat(countWarnings()).as("no warning: this server requires the password").isEqualTo(warnings);
        try (Session s1 = c1.openSession(Duration.ofSeconds(1)); Session s2 = c2.openSession(Duration.ofSeconds(1))) {
            // lock and fair lock: acquire, contend, hand off on release
            for (boolean fair : new boolean[] {false, true}) {
                LockGrant g1 = (fair ? s1.fairLock("f") : s1.lock("l")).acquire();
                var waiting = (fair ? s2.fairLock("f") : s2.lock("l")).acquireAsync();
                await().during(Duration.ofMillis(100)).until(() -> !waiting.isDone()); // queued, not granted
                g1.release();
                LockGrant g2 = waiting.get(5, TimeUnit.SECONDS);
                assertThat(g2.fencingToken()).isGreaterThan(g1.fencingToken());
                g2.release();
            }
            // election with an observer, handed off on resign
            List<Optional<Leader>> seen = new CopyOnWriteArrayList<>();
            var observing = c2.election("e").observe(seen::add);
            Leadership first = s1.election("e").campaign("one");
            var second = s2.election("e").campaignAsync("two");
            await().untilAsserted(() -> assertThat(seen).anyMatch(l -> l.isPresent() && l.get().value().equals("one")));
            first.resign();
            Leadership next = second.get(5, TimeUnit.SECONDS);
            assertThat(next.term()).isGreaterThan(first.term());
            await().untilAsserted(() -> assertThat(seen).anyMatch(l -> l.isPresent() && l.get().value().equals("two")));
            assertThat(c1.election("e").leader()).map(Leader::value).contains("two");
            next.resign();
            observing.close();
            // renewal: several TTLs later the session is still active
            await().during(Duration.ofMillis(2_500)).until(() -> s1.state() == SessionState.ACTIVE);
            assertNoSecret(s1, p);
        }
        assertNoSecret(c1, p);
    }

    @Test
    void aUserOfOneNamespaceCannotTouchAnothersKeys() throws Exception {
        String a = namespace();
        String b = namespace();
        String pa = createLeastUser(a);
        String pb = createLeastUser(b);
        Coordinator ca = track(Coordinator.open(uri("coord-" + a, pa, a)));
        Coordinator cb = track(Coordinator.open(uri("coord-" + b, pb, b)));
        try (Session sb = cb.openSession(Duration.ofSeconds(5)); LockGrant held = sb.lock("x").acquire();
             Session sa = ca.openSession(Duration.ofSeconds(5))) {
            RedisKeys keysOfB = new RedisKeys(b);
            String queue = keysOfB.queue(RedisKeys.Kind.LOCK, "x").queue();
            String session = keysOfB.session(sb.id());
            try (RespConnection raw = server.connect()) {
                raw.command("AUTH", "coord-" + a, pa);
                for (String[] cmd : List.of(new String[] {"ZRANGE", queue, "0", "-1"}, new String[] {"GET", session},
                        new String[] {"PTTL", session}, new String[] {"SET", session, "1"}, new String[] {"DEL", queue},
                        new String[] {"DEL", session}, new String[] {"PEXPIRE", session, "1"})) {
                    assertThatThrownBy(() -> raw.command(cmd)).as(String.join(" ", cmd)).hasMessageContaining("NOPERM");
                }
                assertThatThrownBy(() -> raw.command("SUBSCRIBE", keysOfB.inbox("0"))).hasMessageContaining("NOPERM");
            }
            // A's lock "x" is another lock: granted at once while B holds its own
            try (LockGrant mine = sa.lock("x").tryAcquire(Duration.ZERO).orElseThrow()) {
                assertThat(mine.isHeld()).isTrue();
                assertThat(held.isHeld()).isTrue();
            }
            assertThat(ca.election("x").leader()).isEmpty();
        }
    }

    // ---- permissions revoked mid-session --------------------------------------------------------------

    @Test
    void revokedPermissionsSuspendThenExpireTheSessionAndFailCallsClearly() throws Exception {
        String ns = namespace();
        String p = createLeastUser(ns);
        Coordinator c = track(Coordinator.open(uri("coord-" + ns, p, ns)));
        Session s = c.openSession(Duration.ofSeconds(1));
        LockGrant g = s.lock("l").acquire();
        List<SessionState> states = new CopyOnWriteArrayList<>();
        s.addListener((session, previous, current) -> states.add(current));
        admin("ACL", "SETUSER", "coord-" + ns, "resetkeys", "-@all");
        assertThat(g.whenLost().get(5, TimeUnit.SECONDS)).isNotNull();
        assertThat(s.whenEnded().get(5, TimeUnit.SECONDS)).isEqualTo(SessionState.EXPIRED);
        assertThat(states).containsSubsequence(SessionState.SUSPENDED, SessionState.EXPIRED);
        assertThat(g.isHeld()).isFalse();
        assertThatThrownBy(() -> c.openSession(Duration.ofSeconds(1)))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("NOPERM")
                .satisfies(e -> assertNoSecret(e, p));
        s.close();
    }

    /**
     * An ACL that denies the scripts when the session ends: its lock entry cannot be removed, and the coordinator
     * retries it in the background; once the ACL is restored the entry goes, and nothing but the counter is left.
     */
    @Test
    void anEntryWhoseRemovalWasDeniedAtTheSessionsEndIsRemovedOnceAllowedAgain() throws Exception {
        String ns = namespace();
        String p = createLeastUser(ns);
        Coordinator c = track(Coordinator.open(uri("coord-" + ns, p, ns)));
        Session s = c.openSession(Duration.ofSeconds(5));
        s.lock("l").acquire();
        String queue = new RedisKeys(ns).queue(RedisKeys.Kind.LOCK, "l").queue();
        admin("ACL", "SETUSER", "coord-" + ns, "-evalsha", "-eval");
        s.close();
        assertThat(admin("EXISTS", queue)).as("the denied removal left the entry").isEqualTo(1L);
        admin("ACL", "SETUSER", "coord-" + ns, "+evalsha", "+eval");
        await().untilAsserted(() -> assertThat(admin("EXISTS", queue)).isEqualTo(0L));
        List<?> left = (List<?>) admin("KEYS", "coord:" + ns + ":*");
        assertThat(left).singleElement().asString().endsWith(":c");
    }

    // ---- helpers ---------------------------------------------------------------------------------------

    /** The README's {@code ACL SETUSER} line for {@code ns}, with a fresh password (returned). */
    private String createLeastUser(String ns) {
        String password = password();
        String line = leastAclLine().replace("<ns>", ns).replace("<password>", password);
        admin(line.split(" "));
        users.add("coord-" + ns);
        return password;
    }

    static String leastAclLine() {
        try {
            return Files.readAllLines(Path.of("README.md")).stream().filter(l -> l.startsWith("ACL SETUSER coord-<ns> ")).findFirst()
                    .orElseThrow(() -> new AssertionError("README.md states no 'ACL SETUSER coord-<ns> …' line"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static Object admin(String... command) {
        try (RespConnection c = server.connect()) {
            c.command("AUTH", "default", adminPassword);
            return c.command(command);
        }
    }

    private static String password() {
        String p = "pw-" + UUID.randomUUID();
        PASSWORDS.add(p);
        return p;
    }

    private static String namespace() {
        return "acl-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static String uri(String user, String password, String ns) {
        return "redis://" + user + ":" + password + "@" + server.host() + ":" + server.port() + "/" + ns + "?operationTimeout=2s";
    }

    private Coordinator track(Coordinator c) {
        opened.add(c);
        return c;
    }

    private static void assertNoSecret(Object o, String secret) {
        assertThat(o.toString()).doesNotContain(secret);
        if (o instanceof Throwable t) {
            for (Throwable x = t; x != null; x = x.getCause()) {
                assertThat(String.valueOf(x.getMessage())).doesNotContain(secret);
                assertThat(x.toString()).doesNotContain(secret);
            }
        }
    }

    private static int countWarnings() {
        return (int) stderr.text().lines().filter(l -> l.contains("which does not require them")).count();
    }

    private static List<String> clientThreads() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith("lettuce-") || n.startsWith("coord-")).toList();
    }

    private static ConditionFactory await() {
        return Awaitility.await().pollInterval(Duration.ofMillis(20)).atMost(Duration.ofSeconds(10));
    }
}
