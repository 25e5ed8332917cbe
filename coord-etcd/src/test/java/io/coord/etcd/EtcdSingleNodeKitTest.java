package io.coord.etcd;

import io.coord.testkit.CoordinatorKit;
import io.coord.testkit.KitBackend;
import io.coord.testservers.TestServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** The whole conformance kit against one etcd node (etcd binary on PATH, or COORD_ETCD_ENDPOINTS). */
@DisplayName("etcd single node: conformance kit")
class EtcdSingleNodeKitTest extends CoordinatorKit {

    private static EtcdKitBackend backend;

    @BeforeAll
    static void startServer() {
        backend = new EtcdKitBackend("etcd (single node)", TestServers.etcd());
    }

    @AfterAll
    static void stopServer() {
        if (backend != null) {
            backend.close();
            backend.server().close();
        }
    }

    @Override
    protected KitBackend backend() {
        return backend;
    }
}
