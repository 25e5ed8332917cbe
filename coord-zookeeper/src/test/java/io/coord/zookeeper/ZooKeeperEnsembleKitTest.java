package io.coord.zookeeper;

import io.coord.testkit.CoordinatorKit;
import io.coord.testkit.KitBackend;
import io.coord.testservers.TestCertificates;
import io.coord.testservers.ZooKeeperTestEnsemble;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole conformance kit against an in-process 3-node ZooKeeper ensemble (tickTime 200 ms) in secure mode:
 * every client over TLS to the members' secure ports with a client certificate, one digest identity per
 * namespace (ACLs granting it alone), the tree read by the super user. The plain-text ensemble is covered by the
 * ensemble failover and fault tests; the security rules themselves run once, on a single server
 * ({@link ZooKeeperSecureKitTest}).
 */
@DisplayName("zookeeper 3-node ensemble, TLS + digest ACLs: conformance kit")
class ZooKeeperEnsembleKitTest extends CoordinatorKit {

    @TempDir
    static Path certificatesDir;

    private static ZooKeeperTestEnsemble server;
    private static ZooKeeperSecureKitBackend backend;

    @BeforeAll
    static void startServer() {
        TestCertificates certificates = TestCertificates.create(certificatesDir);
        server = ZooKeeperTestEnsemble.startSecure(certificates);
        backend = new ZooKeeperSecureKitBackend("zookeeper (3-node ensemble, TLS + digest)", server.secureConnectString().orElseThrow(),
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
    protected KitBackend backend() {
        return backend;
    }
}
