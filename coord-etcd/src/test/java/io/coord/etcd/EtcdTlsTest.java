package io.coord.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coord.AuthenticationException;
import io.coord.BackendUnavailableException;
import io.coord.Coordinator;
import io.coord.Session;
import io.coord.lock.LockGrant;
import io.coord.testkit.CapturedStderr;
import io.coord.testservers.EtcdCluster;
import io.coord.testservers.TestCertificates;
import io.coord.testservers.TestServerPolicy;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * coord-etcd's own TLS options against a TLS etcd whose authentication is off (and one plain-text etcd): the URI
 * form, {@code https://} endpoints, host-name verification, an {@code http://} endpoint with TLS on, TLS towards a
 * plain-text server, and credentials sent to an etcd that does not check them (a WARN, and coord works on without
 * them). The refusals of a TLS + RBAC etcd are {@link EtcdSecureKitTest}'s security rules.
 */
class EtcdTlsTest {

    @TempDir
    static Path dir;

    private static TestCertificates certs;
    private static EtcdCluster tls;
    private static EtcdCluster plain;
    private static TestCertificates.Pair client;

    private final List<Coordinator> opened = new ArrayList<>();

    @BeforeAll
    static void startServers() {
        TestServerPolicy.Decision d = TestServerPolicy.fromEnvironment().decide(TestServerPolicy.Kind.ETCD);
        if (d.binary().isEmpty()) { // not a skip: CI must never count this class as passed without running it
            throw new IllegalStateException("EtcdTlsTest needs the etcd binary (it starts its own TLS server); run scripts/install-test-servers.sh");
        }
        certs = TestCertificates.create(dir);
        client = certs.client("anyone");
        tls = EtcdCluster.start(d.binary().orElseThrow(), 1, List.of(),
                new EtcdCluster.Tls(certs.caCertificate(), certs.server().certificate(), certs.server().key()));
        plain = EtcdCluster.start(d.binary().orElseThrow(), 1);
    }

    @AfterAll
    static void stopServers() {
        if (tls != null) {
            tls.close();
        }
        if (plain != null) {
            plain.close();
        }
    }

    @AfterEach
    void closeAll() {
        opened.forEach(Coordinator::close);
    }

    @Test
    void theUriFormTurnsTlsOnAndPresentsTheClientCertificate() throws Exception {
        Coordinator coord = open(Coordinator.open(URI.create("etcd://" + hostPort(tls) + "/uri?caFile=" + certs.caCertificate()
                + "&certFile=" + client.certificate() + "&keyFile=" + client.key())));
        try (Session s = coord.openSession(Duration.ofSeconds(5))) {
            LockGrant g = s.lock("l").acquire();
            assertThat(g.fencingToken()).isPositive();
            g.release();
        }
    }

    @Test
    void httpsEndpointsWorkWithTheBuilderAndHttpEndpointsAreRefusedWithTlsOn() throws Exception {
        Coordinator coord = open(EtcdCoordinator.builder().endpoints(tls.endpoints()).namespace("https")
                .trustedCertificates(certs.caCertificate()).clientCertificate(client.certificate(), client.key()).build());
        try (Session s = coord.openSession(Duration.ofSeconds(5))) {
            s.lock("l").acquire().release();
        }
        String http = "http://" + hostPort(tls);
        assertThatThrownBy(() -> EtcdCoordinator.builder().endpoints(http).trustedCertificates(certs.caCertificate()).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(http).hasMessageContaining("TLS");
        assertThatThrownBy(() -> EtcdCoordinator.builder().uri("etcd://" + hostPort(tls) + "/ns?tls=maybe"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tls");
    }

    @Test
    void anHttpsEndpointAloneMeansTlsWithTheJvmsDefaultTrust() {
        Coordinator coord = open(EtcdCoordinator.builder().endpoints(tls.endpoints()).namespace("default-trust").build());
        assertThatThrownBy(() -> coord.openSession(Duration.ofSeconds(5)))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageContaining(hostPort(tls)).hasMessageContaining("server certificate not trusted")
                .hasMessageContaining("default trust store");
    }

    @Test
    void theServerCertificateMustNameTheHostTheClientAsksFor() {
        // the certificate names 127.0.0.1 and localhost; jetcd's authority override makes the client expect another name
        Coordinator coord = open(EtcdCoordinator.builder().endpoints(tls.endpoints()).namespace("host-name")
                .trustedCertificates(certs.caCertificate()).clientCertificate(client.certificate(), client.key())
                .configureClient(cb -> cb.authority("etcd.invalid")).build());
        assertThatThrownBy(() -> coord.openSession(Duration.ofSeconds(5)))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageContaining("server certificate not trusted").hasMessageContaining("does not name");
    }

    @Test
    void tlsTowardsAPlainTextEtcdFailsClearly() {
        Coordinator coord = open(EtcdCoordinator.builder().endpoints(hostPort(plain)).namespace("tls-to-plain")
                .trustedCertificates(certs.caCertificate()).build());
        assertThatThrownBy(() -> coord.openSession(Duration.ofSeconds(5)))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining(hostPort(plain)).hasMessageContaining("does the server speak TLS");
    }

    @Test
    void credentialsSentToAnEtcdWithoutAuthAreWarnedAboutAndNotNeeded() throws Exception {
        String password = "pw" + UUID.randomUUID().toString().replace("-", "");
        String text;
        try (CapturedStderr stderr = CapturedStderr.install()) {
            Coordinator coord = open(EtcdCoordinator.builder().endpoints(tls.endpoints()).namespace("needless")
                    .trustedCertificates(certs.caCertificate()).clientCertificate(client.certificate(), client.key())
                    .credentials("someone", password.toCharArray()).build());
            // two cold sessions at once: both first requests meet the refusal, one switches, one WARN
            CompletableFuture<Session> first = CompletableFuture.supplyAsync(() -> coord.openSession(Duration.ofSeconds(5)));
            CompletableFuture<Session> second = CompletableFuture.supplyAsync(() -> coord.openSession(Duration.ofSeconds(5)));
            try (Session s = first.join(); Session t = second.join()) {
                LockGrant g = s.lock("l").acquire();
                assertThat(t.lock("l").tryAcquire(Duration.ZERO)).isEmpty();
                g.release();
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> stderr.text().contains("authentication disabled"));
            text = stderr.text();
        }
        assertThat(text).contains("WARN").contains("someone").contains(hostPort(tls)).doesNotContain(password);
        assertThat(text.split("authentication disabled", -1)).as("warned once").hasSize(2);
    }

    @Test
    void anElectionViewIsTheFirstCallOfACoordinatorWithNeedlessCredentials() throws Exception {
        Coordinator coord = open(EtcdCoordinator.builder().endpoints(tls.endpoints()).namespace("needless-view")
                .trustedCertificates(certs.caCertificate()).clientCertificate(client.certificate(), client.key())
                .credentials("someone", "pw".toCharArray()).build());
        assertThat(coord.election("e").leader()).isEmpty();
    }

    @Test
    void httpAndHttpsEndpointsTogetherAreRefused() {
        assertThatThrownBy(() -> EtcdCoordinator.builder().endpoints("http://127.0.0.1:1", "https://127.0.0.1:2").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("http://127.0.0.1:1").hasMessageContaining("TLS");
    }

    private Coordinator open(Coordinator c) {
        opened.add(c);
        return c;
    }

    private static String hostPort(EtcdCluster server) {
        return server.endpoints().get(0).replaceFirst("^https?://", "");
    }
}
