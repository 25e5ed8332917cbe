package io.coord.zookeeper;

import io.coord.testkit.SecureCoordinatorKit;
import io.coord.testkit.SecureKitBackend;
import io.coord.testservers.TestCertificates;
import io.coord.testservers.ZooKeeperTestServer;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole conformance kit plus the security rules against one in-process ZooKeeper in secure mode: TLS with a
 * client certificate, enforced digest authentication, one least-privileged identity per namespace (its nodes'
 * ACLs grant it alone), the tree read by the super user.
 */
@DisplayName("zookeeper single server, TLS + digest ACLs: conformance kit + security")
class ZooKeeperSecureKitTest extends SecureCoordinatorKit {

    @TempDir
    static Path certificatesDir;

    private static ZooKeeperTestServer server;
    private static ZooKeeperSecureKitBackend backend;

    @BeforeAll
    static void startServer() {
        TestCertificates certificates = TestCertificates.create(certificatesDir);
        server = ZooKeeperTestServer.startSecure(certificates);
        backend = new ZooKeeperSecureKitBackend("zookeeper (single server, TLS + digest)", server.secureConnectString().orElseThrow(),
                certificates);
    }

    @AfterAll
    static void stopServer() {
        if (backend != null) {
            backend.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Override
    protected SecureKitBackend backend() {
        return backend;
    }
}
