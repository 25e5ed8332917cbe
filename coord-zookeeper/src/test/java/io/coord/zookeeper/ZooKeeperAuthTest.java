package io.coord.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coord.BackendUnavailableException;
import io.coord.Session;
import io.coord.lock.LockGrant;
import io.coord.testkit.CapturedStderr;
import io.coord.testservers.TestCertificates;
import io.coord.testservers.ZooKeeperTestServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Digest credentials and TLS settings of coord-zookeeper outside the kit: bad input on the builder and in URIs
 * (never echoing the password), the copy of the password array, the ACLs coord puts on its nodes, the WARN when
 * credentials go to a server that does not require authentication (and none when it does), and the owner-only
 * temporary PEM key store. Each test starts its own in-process server: a plain and a secure one cannot be open
 * together in one JVM (ZooKeeper's server settings are System properties).
 */
class ZooKeeperAuthTest {

    private static final String SECRET = "s3cret-Pa55word";

    @TempDir
    Path dir;

    @Test
    void badCredentialsOnTheBuilderAreRefusedWithoutEchoingThePassword() {
        ZooKeeperCoordinatorBuilder b = ZooKeeperCoordinator.builder();
        assertThatThrownBy(() -> b.credentials(null, SECRET.toCharArray())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("user name").hasMessageNotContaining(SECRET);
        assertThatThrownBy(() -> b.credentials("", SECRET.toCharArray())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining(SECRET);
        assertThatThrownBy(() -> b.credentials("a:b", SECRET.toCharArray())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("':'").hasMessageNotContaining(SECRET);
        assertThatThrownBy(() -> b.credentials("app", null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("password must not be null");
        assertThatThrownBy(() -> b.credentials("app", new char[0])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("non-empty password");
    }

    @Test
    void uriCredentialsNeedAUserAndAreNeverShown() {
        assertThatThrownBy(() -> ZooKeeperCoordinator.builder().uri("zookeeper://" + SECRET + "@127.0.0.1:2181/app"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("user name").hasMessageNotContaining(SECRET);
        assertThatThrownBy(() -> ZooKeeperCoordinator.builder().uri("zookeeper://app:" + SECRET + "@127.0.0.1:2181/app?bogus=1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bogus").hasMessageNotContaining(SECRET);
        assertThatThrownBy(() -> ZooKeeperCoordinator.builder().uri("zookeeper://app:" + SECRET + "@127.0.0.1:2181/app?tls=maybe"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining(SECRET);
        ZooKeeperCoordinatorBuilder ok = ZooKeeperCoordinator.builder().uri("zookeeper://app:" + SECRET + "@127.0.0.1:2181/app");
        assertThat(ok.toString()).contains("user=app").doesNotContain(SECRET);
    }

    /** Without enforced auth the server still applies coord's ACLs: only the namespace's identity (and the super user) gets in. */
    @Test
    void credentialsToAServerWithoutEnforcedAuthWarnAndTheAclsStillHold() throws Exception {
        try (ZooKeeperTestServer server = ZooKeeperTestServer.start();
             CapturedStderr stderr = CapturedStderr.install()) {
            char[] password = SECRET.toCharArray();
            ZooKeeperCoordinatorBuilder b = ZooKeeperCoordinator.builder().connectString(server.connectString())
                    .namespace("warned").credentials("app", password);
            Arrays.fill(password, 'x'); // the builder keeps its own copy
            try (ZooKeeperCoordinator coordinator = b.build();
                 Session session = coordinator.openSession(Duration.ofSeconds(4))) {
                LockGrant grant = session.lock("l").acquire();
                assertThat(stderr.text()).contains("WARN").contains("serves clients without credentials")
                        .contains("'app'").doesNotContain(SECRET);

                String digest = ZkSecurity.digest(("app:" + SECRET).getBytes(StandardCharsets.UTF_8));
                List<ACL> expected = Collections.singletonList(new ACL(ZooDefs.Perms.ALL, new Id("digest", "app:" + digest)));
                ZooKeeper anonymous = connect(server.connectString(), new ZKClientConfig(), null);
                ZooKeeper admin = connect(server.connectString(), new ZKClientConfig(), (ZooKeeperTestServer.superUser() + ":"
                        + new String(ZooKeeperTestServer.superPassword())).getBytes(StandardCharsets.UTF_8));
                try {
                    for (String path : List.of("/warned", "/warned/locks", ZooKeeperCoordinator.lockPath("warned", "l"))) {
                        assertThat(admin.getACL(path, null)).as("ACL of %s", path).isEqualTo(expected);
                    }
                    String queue = ZooKeeperCoordinator.lockPath("warned", "l");
                    assertThatThrownBy(() -> anonymous.getChildren(queue, false)).isInstanceOf(KeeperException.NoAuthException.class);
                    assertThatThrownBy(() -> anonymous.create("/warned/locks/x", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE,
                            CreateMode.PERSISTENT)).isInstanceOf(KeeperException.NoAuthException.class);
                } finally {
                    anonymous.close(5_000);
                    admin.close(5_000);
                }
                grant.release();
            }
        }
    }

    @Test
    void noWarnWhenTheServerRequiresAuthentication() throws Exception {
        TestCertificates certs = TestCertificates.create(dir);
        try (ZooKeeperTestServer server = ZooKeeperTestServer.startSecure(certs);
             CapturedStderr stderr = CapturedStderr.install()) {
            TestCertificates.Pair client = certs.client("auth-test");
            try (ZooKeeperCoordinator coordinator = ZooKeeperCoordinator.builder()
                    .connectString(server.secureConnectString().orElseThrow()).namespace("required")
                    .trustedCertificates(certs.caCertificate()).clientCertificate(client.certificate(), client.key())
                    .credentials("app", SECRET.toCharArray()).build();
                 Session session = coordinator.openSession(Duration.ofSeconds(4))) {
                session.lock("l").acquire().release();
            }
            assertThat(stderr.text()).doesNotContain("serves clients without credentials").doesNotContain(SECRET);
        }
    }

    /** ZooKeeper's PEM key store wants key and certificate in one file: coord writes it owner-only and deletes it on close. */
    @Test
    void theCombinedKeyStoreIsOwnerOnlyAndDeletedOnClose() throws Exception {
        TestCertificates certs = TestCertificates.create(dir);
        Set<Path> before = keyStoreDirs();
        try (ZooKeeperTestServer server = ZooKeeperTestServer.startSecure(certs)) {
            TestCertificates.Pair client = certs.client("auth-test");
            ZooKeeperCoordinator coordinator = ZooKeeperCoordinator.builder()
                    .uri("zookeeper://app:" + SECRET + "@" + server.secureConnectString().orElseThrow() + "/keystore?caFile="
                            + certs.caCertificate() + "&certFile=" + client.certificate() + "&keyFile=" + client.key())
                    .build();
            try {
                Set<Path> made = keyStoreDirs();
                made.removeAll(before);
                assertThat(made).hasSize(1);
                Path d = made.iterator().next();
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d))).isEqualTo("rwx------");
                Path pem = d.resolve("client.pem");
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pem))).isEqualTo("rw-------");
                assertThat(Files.readString(pem)).contains("BEGIN PRIVATE KEY").contains("BEGIN CERTIFICATE");
            } finally {
                coordinator.close();
            }
            Set<Path> after = keyStoreDirs();
            after.removeAll(before);
            assertThat(after).as("deleted on close").isEmpty();
        }
    }

    /**
     * An operator pre-created the namespace node (persistent, with coord's digest ACL) and locked {@code /} down:
     * coord finds the node instead of creating it (ZooKeeper would refuse the create for want of CREATE on
     * {@code /}, even for an existing node) and works below it.
     */
    @Test
    void aPreCreatedNamespaceUnderALockedDownRootWorks() throws Exception {
        try (ZooKeeperTestServer server = ZooKeeperTestServer.start()) {
            String digest = ZkSecurity.digest(("app:" + SECRET).getBytes(StandardCharsets.UTF_8));
            ZooKeeper admin = connect(server.connectString(), new ZKClientConfig(), (ZooKeeperTestServer.superUser() + ":"
                    + new String(ZooKeeperTestServer.superPassword())).getBytes(StandardCharsets.UTF_8));
            try {
                admin.create("/pinned", new byte[0], Collections.singletonList(new ACL(ZooDefs.Perms.ALL, new Id("digest", "app:" + digest))),
                        CreateMode.PERSISTENT);
                admin.setACL("/", Collections.singletonList(new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE)), -1);
                try (ZooKeeperCoordinator coordinator = ZooKeeperCoordinator.builder().connectString(server.connectString())
                        .namespace("pinned").credentials("app", SECRET.toCharArray()).build();
                     Session session = coordinator.openSession(Duration.ofSeconds(4))) {
                    LockGrant grant = session.lock("l").acquire();
                    assertThat(coordinator.election("e").leader()).isEmpty();
                    grant.release();
                }
            } finally {
                admin.setACL("/", ZooDefs.Ids.OPEN_ACL_UNSAFE, -1);
                admin.close(5_000);
            }
        }
    }

    /** A namespace node that exists with an open ACL is not changed by coord, but reported (once, no secret). */
    @Test
    void anUnprotectedExistingNamespaceIsReported() throws Exception {
        try (ZooKeeperTestServer server = ZooKeeperTestServer.start();
             CapturedStderr stderr = CapturedStderr.install()) {
            try (ZooKeeperCoordinator open = ZooKeeperCoordinator.builder().connectString(server.connectString())
                    .namespace("opened").build();
                 Session session = open.openSession(Duration.ofSeconds(4))) {
                session.lock("l").acquire().release();
                try (ZooKeeperCoordinator secured = ZooKeeperCoordinator.builder().connectString(server.connectString())
                        .namespace("opened").credentials("app", SECRET.toCharArray()).build()) {
                    assertThat(stderr.text()).contains("WARN").contains("/opened").contains("not protected")
                            .doesNotContain(SECRET);
                }
            }
        }
    }

    /**
     * A TLS endpoint that accepts and closes at once — what ZooKeeper's Netty server does while the member is not
     * serving (electing a leader, restarting) — is no verdict: coord waits out the connect timeout and then names
     * the possibilities, never "does not speak TLS"; nor does a definite verdict from one endpoint (a port that
     * answers in plain text) end the connect while another endpoint may still come up.
     */
    @Test
    void anEndpointThatClosesBeforeTheHandshakeIsWaitedFor() throws Exception {
        TestCertificates certs = TestCertificates.create(dir);
        try (ServerSocket closer = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             ServerSocket talker = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             CapturedStderr stderr = CapturedStderr.install()) {
            serve(closer, new byte[0]); // closed at once, before any TLS byte
            serve(talker, "HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII)); // "Unrecognized SSL message"
            String closing = "127.0.0.1:" + closer.getLocalPort();
            String plainText = "127.0.0.1:" + talker.getLocalPort();
            for (String endpoints : List.of(closing, plainText + "," + closing)) {
                ZooKeeperCoordinatorBuilder b = ZooKeeperCoordinator.builder().connectString(endpoints).namespace("closing")
                        .connectTimeout(Duration.ofSeconds(3)).trustedCertificates(certs.caCertificate());
                assertThatThrownBy(b::build).as("endpoints %s", endpoints).isInstanceOf(BackendUnavailableException.class)
                        .hasMessageContaining("within 3000 ms").hasMessageContaining("secureClientPort")
                        .hasMessageNotContaining("does not speak TLS");
            }
            assertThat(stderr.text()).doesNotContain("did not stop in time");
        }
    }

    /** Answers every connection to {@code server} with {@code reply}, then closes it. */
    private static void serve(ServerSocket server, byte[] reply) {
        Thread acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    s.getOutputStream().write(reply);
                } catch (IOException e) {
                    if (server.isClosed()) {
                        return;
                    }
                }
            }
        }, "accept-and-answer-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private static Set<Path> keyStoreDirs() throws IOException {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("coord-zookeeper-tls-")).collect(Collectors.toSet());
        }
    }

    private static ZooKeeper connect(String connectString, ZKClientConfig config, byte[] auth) throws Exception {
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(connectString, 10_000, e -> {
            if (e.getState() == org.apache.zookeeper.Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        }, config);
        if (auth != null) {
            zk.addAuthInfo("digest", auth);
        }
        assertThat(connected.await(10, TimeUnit.SECONDS)).as("connected to %s", connectString).isTrue();
        return zk;
    }
}
