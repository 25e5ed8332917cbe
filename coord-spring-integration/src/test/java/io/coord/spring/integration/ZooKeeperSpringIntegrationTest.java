package io.coord.spring.integration;

import io.coord.Coordinator;
import io.coord.testkit.CrashableClient;
import io.coord.testservers.TestServers;
import io.coord.testservers.ZooKeeperTestServer;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The Spring Integration mapping on an in-process ZooKeeper (tickTime 200 ms: session TTLs 0.4 s – 4 s). */
class ZooKeeperSpringIntegrationTest extends SpringIntegrationContract {

    private static ZooKeeperTestServer server;
    private static ZooKeeper inspector;

    @BeforeAll
    static void startServer() throws Exception {
        server = TestServers.zookeeper();
        CountDownLatch connected = new CountDownLatch(1);
        inspector = new ZooKeeper(server.connectString(), 10_000, e -> {
            if (e.getState() == org.apache.zookeeper.Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        if (!connected.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("inspector did not connect to " + server.connectString());
        }
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (inspector != null) {
            inspector.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Override
    Coordinator open(String namespace) {
        return Coordinator.open("zookeeper://" + server.connectString() + "/" + namespace);
    }

    @Override
    CrashableClient openCrashable(String namespace) {
        return CrashableClient.throughProxies(List.of(server.connectString()),
                proxies -> Coordinator.open("zookeeper://" + proxies.get(0) + "/" + namespace));
    }

    /** Every ephemeral node (a session's entry) under the namespace; the containers are permanent by design. */
    @Override
    Set<String> leftovers(String namespace) {
        Set<String> out = new TreeSet<>();
        try {
            collectEphemerals("/" + namespace, out);
        } catch (Exception e) {
            throw new IllegalStateException("cannot list /" + namespace, e);
        }
        return out;
    }

    private void collectEphemerals(String path, Set<String> out) throws Exception {
        Stat stat = new Stat();
        List<String> children;
        try {
            children = inspector.getChildren(path, false, stat);
        } catch (KeeperException.NoNodeException e) {
            return;
        }
        if (stat.getEphemeralOwner() != 0) {
            out.add(path);
        }
        for (String c : children) {
            collectEphemerals(path + "/" + c, out);
        }
    }

    @Override
    int candidates(String namespace, String name) {
        try {
            return inspector.getChildren("/" + namespace + "/elections/" + name, false).size();
        } catch (KeeperException.NoNodeException e) {
            return 0;
        } catch (Exception e) {
            throw new IllegalStateException("cannot list the candidates of " + name, e);
        }
    }

    @Override
    int lockEntries(String namespace, String name) {
        return children("/" + namespace + "/locks/" + name);
    }

    @Override
    int fairEntries(String namespace, String name) {
        return children("/" + namespace + "/fair/" + name);
    }

    private int children(String path) {
        try {
            return inspector.getChildren(path, false).size();
        } catch (KeeperException.NoNodeException e) {
            return 0;
        } catch (Exception e) {
            throw new IllegalStateException("cannot list " + path, e);
        }
    }

    @Override
    String serverHostPort() {
        return server.connectString();
    }

    @Override
    Coordinator openAt(String hostPort, String namespace, Duration operationTimeout) {
        return Coordinator.open("zookeeper://" + hostPort + "/" + namespace + "?operationTimeout="
                + operationTimeout.toMillis() + "ms");
    }

    @Override
    Duration shortTtl() {
        return Duration.ofSeconds(1);
    }
}
