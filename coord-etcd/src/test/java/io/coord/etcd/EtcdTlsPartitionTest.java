package io.coord.etcd;

import io.coord.testkit.faults.PartitionRules;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client-partition scenario alone ({@link PartitionRules}), once over TLS: one etcd node with TLS, client
 * certificates required and RBAC ({@link EtcdSecureKitBackend}); the partitioned coordinator is opened from a URI
 * with {@code caFile}, {@code certFile} and {@code keyFile} through byte-forwarding proxies (the server certificate
 * names 127.0.0.1, the proxies' address).
 */
@DisplayName("etcd single node, TLS + RBAC: client partition")
class EtcdTlsPartitionTest extends PartitionRules {

    @TempDir
    static Path certificates;

    private static EtcdSecureKitBackend backend;

    EtcdTlsPartitionTest() {
        super(() -> backend);
    }

    @BeforeAll
    static void startServer() {
        backend = EtcdSecureKitBackend.start("etcd (single node, TLS + RBAC)", 1, certificates);
    }

    @AfterAll
    static void stopServer() {
        if (backend != null) {
            backend.close(); // and its cluster
        }
    }
}
