package io.coord.shedlock;

import io.coord.testservers.TestServers;
import io.coord.testservers.ZooKeeperTestServer;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.awaitility.Awaitility;

/** The in-process ZooKeeper of coord-test-servers, read with a raw ZooKeeper client. */
final class ZooKeeperBackend implements Backend {
    private final ZooKeeperTestServer server;
    private final ZooKeeper inspector;

    ZooKeeperBackend() {
        server = TestServers.zookeeper();
        try {
            inspector = new ZooKeeper(server.connectString(), 4000, event -> { });
        } catch (java.io.IOException e) {
            server.close();
            throw new IllegalStateException("cannot connect to " + server.connectString(), e);
        }
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> inspector.getState().isConnected());
    }

    @Override
    public String label() {
        return "zookeeper";
    }

    @Override
    public String uri(List<String> hostPorts, String namespace) {
        return "zookeeper://" + String.join(",", hostPorts) + "/" + namespace;
    }

    /** The in-process server's tickTime is 200 ms: session timeouts are clamped to [0.4 s, 4 s]. */
    @Override
    public Duration longTtl() {
        return Duration.ofSeconds(4);
    }

    /** 1 s: with sessions of at most 4 s, a 2 s outage plus the client's reconnect can outlast the session. */
    @Override
    public Duration outageOperationTimeout() {
        return Duration.ofSeconds(1);
    }

    @Override
    public List<String> hostPorts() {
        return List.of(server.connectString());
    }

    /** Every node under {@code /<namespace>} that is not an empty container: the lock entries are ephemeral. */
    @Override
    public Set<String> leftovers(String namespace) throws Exception {
        Set<String> out = new TreeSet<>();
        collect("/" + namespace, out);
        return out;
    }

    private void collect(String path, Set<String> out) throws Exception {
        Stat stat = new Stat();
        List<String> children;
        try {
            inspector.getData(path, false, stat);
            children = inspector.getChildren(path, false);
        } catch (KeeperException.NoNodeException gone) {
            return;
        }
        if (stat.getEphemeralOwner() != 0) {
            out.add(path);
        }
        for (String c : children) {
            collect(path + "/" + c, out);
        }
    }

    @Override
    public void close() {
        try {
            inspector.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            server.close();
        }
    }
}
