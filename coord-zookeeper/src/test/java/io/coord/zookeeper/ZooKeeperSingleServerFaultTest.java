package io.coord.zookeeper;

import io.coord.testkit.faults.FaultBackend;
import io.coord.testkit.faults.SingleServerFaultKit;
import io.coord.testkit.faults.ServerFaults;
import io.coord.testservers.TestServers;
import io.coord.testservers.ZooKeeperTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** Fault scenarios against one in-process ZooKeeper server, which can be stopped and restarted on its data. */
@DisplayName("zookeeper single server: faults")
class ZooKeeperSingleServerFaultTest extends SingleServerFaultKit {

    private static ZooKeeperTestServer server;
    private static ZooKeeperFaultBackend backend;

    @BeforeAll
    static void startServer() {
        server = TestServers.zookeeper();
        backend = new ZooKeeperFaultBackend("zookeeper (single server)", server.connectString(), new ServerFaults() {
            @Override
            public Topology topology() {
                return Topology.SINGLE;
            }

            @Override
            public void killAndRestart() {
                server.stop();
                server.restart();
            }
        });
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
    protected FaultBackend backend() {
        return backend;
    }
}
