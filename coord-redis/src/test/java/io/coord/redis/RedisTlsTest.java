package io.coord.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coord.AuthenticationException;
import io.coord.BackendUnavailableException;
import io.coord.Coordinator;
import io.coord.Session;
import io.coord.testkit.CapturedStderr;
import io.coord.testservers.RedisProcess;
import io.coord.testservers.RedisServer;
import io.coord.testservers.RedisTls;
import io.coord.testservers.TestCertificates;
import io.coord.testservers.TestServerPolicy;
import io.coord.testservers.TestServers;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * What each TLS failure says, on one redis-server serving TLS only with client certificates required (no
 * password: these are about certificates and protocols; also listening on 127.0.0.2, which its certificate does not
 * name), and a plain-text one: the message names the endpoint and
 * what was refused, the client's threads stop; the builder's TLS methods work like the URI parameters; credentials
 * sent over TLS to a server that needs none get the WARN.
 */
class RedisTlsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    @TempDir
    static Path dir;
    private static TestCertificates certs;
    private static RedisTls tls;
    private static RedisProcess server;
    private static RedisServer plain;

    @BeforeAll
    static void start() {
        certs = TestCertificates.create(dir.resolve("certs"));
        tls = RedisTls.of(certs);
        // also on 127.0.0.2, an address the server's certificate does not name (it names 127.0.0.1 and localhost)
        Path binary = TestServerPolicy.fromEnvironment().findBinary(TestServerPolicy.Kind.REDIS)
                .orElseThrow(() -> new AssertionError("RedisTlsTest needs the redis-server binary"));
        server = RedisProcess.start(binary, List.of("--bind", "127.0.0.1", "127.0.0.2"), tls);
        plain = TestServers.redis();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (plain != null) {
            plain.close();
        }
    }

    private static String endpoint() {
        return server.host() + ":" + server.port();
    }

    @Test
    void theBuildersTlsMethodsConnectAndVerify() throws Exception {
        TestCertificates.Pair client = tls.coordClient();
        try (Coordinator c = RedisCoordinator.builder().endpoints(endpoint()).namespace("tls-builder").operationTimeout(TIMEOUT)
                .tls(true).trustedCertificates(certs.caCertificate()).clientCertificate(client.certificate(), client.key()).build();
             Session s = c.openSession(Duration.ofSeconds(5))) {
            assertThat(s.lock("l").tryAcquire(Duration.ZERO)).isPresent();
        }
        await().untilAsserted(() -> assertThat(clientThreads()).isEmpty());
    }

    @Test
    void aServerCertificateFromAnotherCaIsNotTrusted() {
        TestCertificates.Pair client = tls.coordClient();
        assertThatThrownBy(() -> Coordinator.open("rediss://" + endpoint() + "/ns?caFile=" + certs.unrelatedCaCertificate()
                + "&certFile=" + client.certificate() + "&keyFile=" + client.key() + "&operationTimeout=5s"))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageContaining("Redis at " + endpoint())
                .hasMessageContaining("server certificate not trusted");
        await().untilAsserted(() -> assertThat(clientThreads()).isEmpty());
    }

    @Test
    void aServerCertificateThatDoesNotNameTheHostIsRefused() {
        TestCertificates.Pair client = tls.coordClient();
        assertThatThrownBy(() -> Coordinator.open("rediss://127.0.0.2:" + server.port() + "/ns?caFile=" + certs.caCertificate()
                + "&certFile=" + client.certificate() + "&keyFile=" + client.key() + "&operationTimeout=5s"))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageContaining("Redis at 127.0.0.2:" + server.port())
                .hasMessageContaining("server certificate does not name host 127.0.0.2");
        await().untilAsserted(() -> assertThat(clientThreads()).isEmpty());
    }

    @Test
    void anExpiredClientCertificateIsRefusedBeforeConnecting() {
        TestCertificates.Pair expired = certs.expiredClient("expired");
        assertThatThrownBy(() -> Coordinator.open("rediss://" + endpoint() + "/ns?caFile=" + certs.caCertificate()
                + "&certFile=" + expired.certificate() + "&keyFile=" + expired.key() + "&operationTimeout=5s"))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageContaining("Redis at " + endpoint())
                .hasMessageContaining("client certificate expired");
        await().untilAsserted(() -> assertThat(clientThreads()).isEmpty());
    }

    /**
     * The server's TLS 1.3 alert ({@code certificate_required}) can race with its close (lettuce's HELLO follows the
     * client's Finished at once): either the alert's text or the hint for a close right after the handshake.
     */
    @Test
    void noClientCertificateWhereTheServerRequiresOneIsRefused() {
        assertThatThrownBy(() -> Coordinator.open("rediss://" + endpoint() + "/ns?caFile=" + certs.caCertificate() + "&operationTimeout=5s"))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageContaining("Redis at " + endpoint())
                .satisfies(e -> assertThat(e.getMessage()).containsAnyOf("client certificate required by the server and none presented",
                        "the server closed the TLS connection after the handshake: client certificate missing or refused"));
        await().untilAsserted(() -> assertThat(clientThreads()).isEmpty());
    }

    @Test
    void plainTextToTheTlsPortPointsAtTls() {
        assertThatThrownBy(() -> Coordinator.open("redis://" + endpoint() + "/ns?operationTimeout=5s"))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining(endpoint())
                .hasMessageContaining("if the server requires TLS, use rediss:// or tls=true");
        await().untilAsserted(() -> assertThat(clientThreads()).isEmpty());
    }

    @Test
    void tlsToAPlainTextPortPointsAtTls() {
        assertThatThrownBy(() -> Coordinator.open("rediss://" + plain.host() + ":" + plain.port() + "/ns?caFile=" + certs.caCertificate()
                + "&operationTimeout=5s&connectTimeout=2s"))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining(plain.host() + ":" + plain.port())
                .hasMessageContaining("does not answer in TLS");
        await().untilAsserted(() -> assertThat(clientThreads()).isEmpty());
    }

    @Test
    void credentialsOverTlsToAServerThatNeedsNoneAreWarnedAbout() throws Exception {
        String password = UUID.randomUUID().toString();
        try (CapturedStderr stderr = CapturedStderr.install()) {
            try (Coordinator c = Coordinator.open(server.coordUri("warned").replace("rediss://", "rediss://:" + password + "@"))) {
                assertThat(c.toString()).doesNotContain(password);
            }
            assertThat(stderr.text()).contains("which does not require them").doesNotContain(password);
        }
    }

    private static List<String> clientThreads() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith("lettuce-") || n.startsWith("coord-")).toList();
    }

    private static ConditionFactory await() {
        return Awaitility.await().pollInterval(Duration.ofMillis(20)).atMost(Duration.ofSeconds(10));
    }
}
