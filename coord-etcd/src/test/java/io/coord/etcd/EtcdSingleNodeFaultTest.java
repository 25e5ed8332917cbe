package io.coord.etcd;

import io.coord.testkit.faults.FaultBackend;
import io.coord.testkit.faults.SingleServerFaultKit;
import io.coord.testservers.TestServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** Fault scenarios against one etcd node that can be killed and restarted on its data directory. */
@DisplayName("etcd single node: faults")
class EtcdSingleNodeFaultTest extends SingleServerFaultKit {

    private static EtcdFaultBackend backend;

    @BeforeAll
    static void startServer() {
        backend = new EtcdFaultBackend("etcd (single node)", TestServers.etcd());
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
