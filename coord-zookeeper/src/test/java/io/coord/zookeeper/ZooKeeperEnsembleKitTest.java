package io.coord.zookeeper;

import io.coord.testkit.CoordinatorKit;
import io.coord.testkit.KitBackend;
import io.coord.testservers.TestServers;
import io.coord.testservers.ZooKeeperTestEnsemble;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** The whole conformance kit against an in-process 3-node ZooKeeper ensemble (tickTime 200 ms). */
@DisplayName("zookeeper 3-node ensemble: conformance kit")
class ZooKeeperEnsembleKitTest extends CoordinatorKit {

    private static ZooKeeperTestEnsemble server;
    private static ZooKeeperKitBackend backend;

    @BeforeAll
    static void startServer() {
        server = TestServers.zookeeperEnsemble();
        backend = new ZooKeeperKitBackend("zookeeper (3-node ensemble)", server.connectString());
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
