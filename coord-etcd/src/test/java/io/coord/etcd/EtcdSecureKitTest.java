package io.coord.etcd;

import io.coord.testkit.SecureCoordinatorKit;
import io.coord.testkit.SecureKitBackend;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole conformance kit plus the security rules against one etcd node with TLS, client certificates required and
 * auth enabled: every namespace runs as its own least-privileged RBAC user, logged in by its client certificate's
 * common name ({@link EtcdSecureKitBackend}).
 */
@DisplayName("etcd single node, TLS + client certificates + RBAC: secure conformance kit")
class EtcdSecureKitTest extends SecureCoordinatorKit {

    @TempDir
    static Path certificates;

    private static EtcdSecureKitBackend backend;

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

    @Override
    protected SecureKitBackend backend() {
        return backend;
    }
}
