package io.coord.etcd;

import io.coord.testkit.CoordinatorKit;
import io.coord.testkit.KitBackend;
import io.coord.testservers.TestServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** The whole conformance kit against a 3-node etcd cluster (etcd binary on PATH, or COORD_ETCD_ENDPOINTS). */
@DisplayName("etcd 3-node cluster: conformance kit")
class EtcdClusterKitTest extends CoordinatorKit {

    private static EtcdKitBackend backend;

    @BeforeAll
    static void startServer() {
        backend = new EtcdKitBackend("etcd (3-node cluster)", TestServers.etcdCluster());
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
