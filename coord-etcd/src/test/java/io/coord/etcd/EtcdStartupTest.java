package io.coord.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coord.BackendUnavailableException;
import io.coord.Coordinator;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.testservers.EtcdCluster;
import io.coord.testservers.EtcdMember;
import io.coord.testservers.FreePorts;
import io.coord.testservers.TcpFaultProxy;
import io.coord.testservers.TestCertificates;
import io.coord.testservers.TestServerPolicy;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator's life before it ever reached etcd: its first request rides out an etcd that is still starting
 * (fail-fast attempts spread over the retry budget), and a {@code build()} that fails leaves no thread behind.
 */
class EtcdStartupTest {

    @TempDir
    static Path dir;

    private static EtcdCluster etcd;

    @BeforeAll
    static void startServer() {
        TestServerPolicy.Decision d = TestServerPolicy.fromEnvironment().decide(TestServerPolicy.Kind.ETCD);
        if (d.binary().isEmpty()) { // not a skip: CI must never count this class as passed without running it
            throw new IllegalStateException("EtcdStartupTest needs the etcd binary (it stops and starts its own server); run scripts/install-test-servers.sh");
        }
        etcd = EtcdCluster.start(d.binary().orElseThrow(), 1);
    }

    @AfterAll
    static void stopServer() {
        if (etcd != null) {
            etcd.close();
        }
    }

    @Test
    void theFirstSessionWaitsForAnEtcdThatStartsWithinTheRetryBudget() throws Exception {
        EtcdMember member = etcd.members().get(0);
        member.stop();
        // retry budget: 3 request timeouts = 15 s; nothing listens on the port until the member is started again
        try (Coordinator coord = EtcdCoordinator.builder().endpoints(etcd.endpoints()).namespace("startup")
                .operationTimeout(Duration.ofSeconds(5)).build()) {
            CompletableFuture<Session> opening = CompletableFuture.supplyAsync(() -> coord.openSession(Duration.ofSeconds(5)),
                    r -> new Thread(r, "test-cold-open").start());
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> coord.stats().roundTrips(Primitive.SESSION) >= 2);
            assertThat(opening).as("still waiting after a refused attempt").isNotDone();
            member.restart();
            member.awaitHealthy(EtcdCluster.START_TIMEOUT);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(opening::isDone);
            try (Session session = opening.join()) {
                session.lock("l").acquire().release();
            }
        } finally {
            if (!member.isAlive()) {
                member.restart();
            }
            member.awaitHealthy(EtcdCluster.START_TIMEOUT);
        }
    }

    @Test
    void aProxyWhoseBackendIsDownIsAnOutageRetriedNotATlsMismatch() throws Exception {
        // the proxy accepts, fails to reach its target and closes: "Network closed for unknown reason" to gRPC
        try (TcpFaultProxy proxy = TcpFaultProxy.start("127.0.0.1", FreePorts.allocate());
             Coordinator coord = EtcdCoordinator.builder().endpoints(proxy.hostPort()).namespace("proxy")
                     .operationTimeout(Duration.ofSeconds(5)).build()) {
            CompletableFuture<Session> opening = CompletableFuture.supplyAsync(() -> coord.openSession(Duration.ofSeconds(5)),
                    r -> new Thread(r, "test-proxy-open").start());
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> coord.stats().roundTrips(Primitive.SESSION) >= 2);
            URI target = URI.create(etcd.endpoints().get(0));
            proxy.retarget(target.getHost(), target.getPort());
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(opening::isDone);
            try (Session session = opening.join()) {
                session.lock("l").acquire().release();
            }
        }
    }

    @Test
    void aClosedConnectionNamesTlsOnlyAsAPossibility() {
        // 5 s request timeouts: with shorter ones every attempt ends at its deadline, inside jetcd's own retries
        try (TcpFaultProxy proxy = TcpFaultProxy.start("127.0.0.1", FreePorts.allocate());
             Coordinator plain = EtcdCoordinator.builder().endpoints(proxy.hostPort()).namespace("closed")
                     .operationTimeout(Duration.ofSeconds(5)).build();
             Coordinator tls = EtcdCoordinator.builder().endpoints(proxy.hostPort()).namespace("closed-tls")
                     .trustedCertificates(TestCertificates.create(dir.resolve("closed-certs")).caCertificate())
                     .operationTimeout(Duration.ofSeconds(5)).build()) {
            CompletableFuture<Session> plainOpen = CompletableFuture.supplyAsync(() -> plain.openSession(Duration.ofSeconds(5)));
            CompletableFuture<Session> tlsOpen = CompletableFuture.supplyAsync(() -> tls.openSession(Duration.ofSeconds(5)));
            // an outage: retried over the budget, then unavailable, never "turn TLS off" (nor a definite TLS verdict)
            assertThatThrownBy(plainOpen::join).hasCauseInstanceOf(BackendUnavailableException.class)
                    .hasMessageNotContaining("tls=false").hasMessageNotContaining("answered without TLS");
            assertThatThrownBy(tlsOpen::join).hasCauseInstanceOf(BackendUnavailableException.class)
                    .hasMessageNotContaining("tls=false").hasMessageNotContaining("answered without TLS")
                    .hasMessageContaining("during the TLS handshake").hasMessageContaining("went away");
            assertThat(plain.stats().roundTrips(Primitive.SESSION)).as("plain text: retried").isGreaterThan(1);
            assertThat(tls.stats().roundTrips(Primitive.SESSION)).as("TLS: retried").isGreaterThan(1);
        }
    }

    @Test
    void aKeyFileNettyRefusesFailsBuildNamingTheFileAndLeavesNoThread() throws Exception {
        TestCertificates certs = TestCertificates.create(dir.resolve("certs"));
        TestCertificates.Pair client = certs.client("anyone");
        Path badKey = dir.resolve("corrupt-key.pem"); // the header TlsSettings checks, a body that is no key
        Files.writeString(badKey, "-----BEGIN PRIVATE KEY-----\nTm90IGEga2V5IGF0IGFsbA==\n-----END PRIVATE KEY-----\n");
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> EtcdCoordinator.builder().endpoints("127.0.0.1:2379").namespace("bad-key")
                    .trustedCertificates(certs.caCertificate()).clientCertificate(client.certificate(), badKey).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(badKey.toString());
        }
        Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(newClientThreads(before))
                .as("threads left by the failed builds").isEmpty());
    }

    private static List<String> newClientThreads(Set<Thread> before) {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).filter(t -> !before.contains(t))
                .map(Thread::getName)
                .filter(n -> n.startsWith("coord-") || n.contains("grpc") || n.startsWith("vert.x") || n.startsWith("vertx"))
                .collect(Collectors.toList());
    }
}
