package io.coord.etcd;

import io.coord.testkit.faults.FaultBackend;
import io.coord.testkit.faults.ClusterFaultKit;
import io.coord.testservers.TestServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** Fault scenarios against a 3-node etcd cluster whose raft leader can be killed. */
@DisplayName("etcd 3-node cluster: faults")
class EtcdClusterFaultKitTest extends ClusterFaultKit {

    private static EtcdFaultBackend backend;

    @BeforeAll
    static void startServer() {
        backend = new EtcdFaultBackend("etcd (3-node cluster)", TestServers.etcdCluster());
    }

    @AfterAll
    static void stopServer() {
        if (backend != null) {
            backend.close();
            backend.server().close();
        }
    }

    @Override
    protected FaultBackend backend() {
        return backend;
    }
}
