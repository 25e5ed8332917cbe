package io.coord.zookeeper;

import io.coord.testkit.CoordinatorKit;
import io.coord.testkit.KitBackend;
import io.coord.testservers.TestServers;
import io.coord.testservers.ZooKeeperTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** The whole conformance kit against one in-process ZooKeeper server (tickTime 200 ms). */
@DisplayName("zookeeper single server: conformance kit")
class ZooKeeperSingleServerKitTest extends CoordinatorKit {

    private static ZooKeeperTestServer server;
    private static ZooKeeperKitBackend backend;

    @BeforeAll
    static void startServer() {
        server = TestServers.zookeeper();
        backend = new ZooKeeperKitBackend("zookeeper (single server)", server.connectString());
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
