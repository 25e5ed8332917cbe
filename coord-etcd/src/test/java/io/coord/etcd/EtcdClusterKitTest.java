package io.coord.etcd;

import io.coord.testkit.CoordinatorKit;
import io.coord.testkit.KitBackend;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole conformance kit against a 3-node etcd cluster with TLS between clients and members and between members,
 * client certificates required and auth enabled: each namespace runs as its own least-privileged RBAC user, logged
 * in by its client certificate ({@link EtcdSecureKitBackend}). Needs the etcd binary on PATH.
 */
@DisplayName("etcd 3-node cluster, TLS + RBAC: conformance kit")
class EtcdClusterKitTest extends CoordinatorKit {

    @TempDir
    static Path certificates;

    private static EtcdSecureKitBackend backend;

    @BeforeAll
    static void startServer() {
        backend = EtcdSecureKitBackend.start("etcd (3-node cluster, TLS + RBAC)", 3, certificates);
    }

    @AfterAll
    static void stopServer() {
        if (backend != null) {
            backend.close(); // and its cluster
        }
    }

    @Override
    protected KitBackend backend() {
        return backend;
    }
}
