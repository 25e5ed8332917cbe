package io.coord.zookeeper;

import io.coord.testkit.faults.FaultBackend;
import io.coord.testkit.faults.PartitionRules;
import io.coord.testkit.faults.ServerFaults;
import io.coord.testservers.TestCertificates;
import io.coord.testservers.ZooKeeperTestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client-partition scenario once over TLS + digest (single in-process server in secure mode): the fault
 * proxy forwards the TLS bytes (the server certificate names 127.0.0.1, which is where the proxy listens), and
 * the coordinator is opened from a URI carrying the credentials and the TLS files.
 */
@DisplayName("zookeeper single server, TLS + digest: client partition")
class ZooKeeperTlsPartitionTest extends PartitionRules {

    @TempDir
    static Path certificatesDir;

    private static ZooKeeperTestServer server;
    private static TlsFaultBackend backend;

    ZooKeeperTlsPartitionTest() {
        super(() -> backend);
    }

    @BeforeAll
    static void startServer() {
        TestCertificates certificates = TestCertificates.create(certificatesDir);
        server = ZooKeeperTestServer.startSecure(certificates);
        backend = new TlsFaultBackend(server.secureConnectString().orElseThrow(), certificates);
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

    /** The secure kit backend plus URIs with credentials and TLS parameters. */
    static final class TlsFaultBackend extends ZooKeeperSecureKitBackend implements FaultBackend {

        TlsFaultBackend(String secureConnectString, TestCertificates certificates) {
            super("zookeeper (single server, TLS + digest)", secureConnectString, certificates);
        }

        @Override
        public List<String> endpoints() {
            return Arrays.asList(connectString().split(","));
        }

        @Override
        public String uri(String namespace, List<String> hostPorts) {
            return "zookeeper://" + user(namespace) + ":" + password(namespace) + "@" + String.join(",", hostPorts) + "/" + namespace
                    + "?connectTimeout=10s&operationTimeout=5s&caFile=" + certificates().caCertificate()
                    + "&certFile=" + clientCertificate().certificate() + "&keyFile=" + clientCertificate().key();
        }

        /** As {@link ZooKeeperFaultBackend#expiryBound}. */
        @Override
        public Duration expiryBound(Duration ttl) {
            return ZooKeeperFaultBackend.zooKeeperExpiryBound(ttl);
        }

        @Override
        public ServerFaults serverFaults() {
            return new ServerFaults() {
                @Override
                public Topology topology() {
                    return Topology.SINGLE;
                }

                @Override
                public void killAndRestart() {
                    server.stop();
                    server.restart();
                }
            };
        }
    }
}
