package io.coord.micrometer;

import io.coord.Coordinator;
import io.coord.testkit.CrashableClient;
import io.coord.testservers.TestServers;
import io.coord.testservers.ZooKeeperTestServer;
import io.coord.zookeeper.ZooKeeperCoordinator;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** {@link CoordMetrics} on one in-process ZooKeeper server (tickTime 200 ms). */
@DisplayName("coord metrics on zookeeper")
class ZooKeeperCoordMetricsTest extends CoordMetricsContract {

    private static ZooKeeperTestServer server;
    private static CuratorFramework inspector;

    @BeforeAll
    static void startServer() throws InterruptedException {
        server = TestServers.zookeeper();
        inspector = CuratorFrameworkFactory.newClient(server.connectString(), new RetryOneTime(100));
        inspector.start();
        inspector.blockUntilConnected();
    }

    @AfterAll
    static void stopServer() {
        if (inspector != null) {
            inspector.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static Coordinator open(String namespace, String connectString) {
        return ZooKeeperCoordinator.builder().connectString(connectString).namespace(namespace)
                .connectTimeout(Duration.ofSeconds(10)).operationTimeout(Duration.ofSeconds(5)).build();
    }

    @Override
    Coordinator open(String namespace) {
        return open(namespace, server.connectString());
    }

    @Override
    CrashableClient openCrashable(String namespace) {
        return CrashableClient.throughProxies(List.of(server.connectString().split(",")),
                proxies -> open(namespace, String.join(",", proxies)));
    }

    /** The ephemeral nodes under the namespace (the containers of names are persistent and reaped by the server). */
    @Override
    Set<String> leftovers(String namespace) {
        Set<String> out = new TreeSet<>();
        try {
            collect("/" + namespace, out);
        } catch (Exception e) {
            throw new IllegalStateException("cannot list /" + namespace, e);
        }
        return out;
    }

    private static void collect(String path, Set<String> out) throws Exception {
        List<String> children;
        try {
            Stat stat = inspector.checkExists().forPath(path);
            if (stat == null) {
                return;
            }
            if (stat.getEphemeralOwner() != 0) {
                out.add(path);
            }
            children = inspector.getChildren().forPath(path);
        } catch (KeeperException.NoNodeException gone) {
            return;
        }
        for (String c : children) {
            collect(path + "/" + c, out);
        }
    }

    @Override
    Duration shortTtl() {
        return Duration.ofSeconds(1);
    }

    @Override
    String backend() {
        return "zookeeper";
    }
}
