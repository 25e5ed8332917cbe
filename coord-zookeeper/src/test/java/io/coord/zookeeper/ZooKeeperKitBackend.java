package io.coord.zookeeper;

import io.coord.Capability;
import io.coord.Coordinator;
import io.coord.Primitive;
import io.coord.testkit.CrashableClient;
import io.coord.testkit.KitBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.KeeperException;

/**
 * The kit's view of coord-zookeeper on an in-process server or ensemble with tickTime 200 ms
 * (session timeouts [0.4 s, 4 s]). Reads the tree with its own plain Curator client (not through
 * coord), after a {@code sync} so that a lagging ensemble member cannot show a stale tree.
 */
class ZooKeeperKitBackend implements KitBackend, AutoCloseable {

    private final String label;
    private final String connectString;
    private final CuratorFramework inspector;

    ZooKeeperKitBackend(String label, String connectString) {
        this(label, connectString, CuratorFrameworkFactory.newClient(connectString, 20_000, 10_000, new RetryNTimes(20, 200)));
    }

    /** With {@code inspector} (not yet started) as the client reading the tree (e.g. an authenticated admin over TLS). */
    ZooKeeperKitBackend(String label, String connectString, CuratorFramework inspector) {
        this.label = label;
        this.connectString = connectString;
        this.inspector = inspector;
        inspector.start();
    }

    /** The builder {@link #open} uses for {@code namespace} on {@code endpoints}: timeouts here, security in subclasses. */
    ZooKeeperCoordinatorBuilder builder(String namespace, String endpoints) {
        return ZooKeeperCoordinator.builder().connectString(endpoints).namespace(namespace)
                .connectTimeout(Duration.ofSeconds(10)).operationTimeout(Duration.ofSeconds(5));
    }

    String connectString() {
        return connectString;
    }

    CuratorFramework inspector() {
        return inspector;
    }

    @Override
    public String label() {
        return label;
    }

    @Override
    public Coordinator open(String namespace) {
        return builder(namespace, connectString).build();
    }

    /** A coordinator reaching every ensemble member through its own fault proxy (the handle connects only there). */
    @Override
    public CrashableClient openCrashable(String namespace) {
        return CrashableClient.throughProxies(List.of(connectString.split(",")),
                proxies -> builder(namespace, String.join(",", proxies)).build());
    }

    @Override
    public Set<String> keys(String namespace) {
        String root = new ZkPaths(namespace).root();
        Set<String> out = new TreeSet<>();
        try {
            sync(root);
            collect(root, out);
        } catch (Exception e) {
            throw new IllegalStateException("cannot list " + root + " on " + connectString, e);
        }
        return out;
    }

    private void collect(String path, Set<String> out) throws Exception {
        List<String> children;
        try {
            children = inspector.getChildren().forPath(path);
        } catch (KeeperException.NoNodeException e) {
            return;
        }
        out.add(path);
        for (String c : children) {
            collect(path + "/" + c, out);
        }
    }

    @Override
    public List<String> entries(String namespace, Primitive primitive, String name) {
        String queue = new ZkPaths(namespace).queue(primitive, name);
        try {
            sync(queue);
            List<String> children = new ArrayList<>(inspector.getChildren().forPath(queue));
            children.sort(ZkPaths.QUEUE_ORDER);
            return children;
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        } catch (Exception e) {
            throw new IllegalStateException("cannot list " + queue + " on " + connectString, e);
        }
    }

    /** Makes the inspector's server catch up with the leader before a read. */
    private void sync(String path) throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        inspector.getZookeeperClient().getZooKeeper().sync(path, (rc, p, ctx) -> done.countDown(), null);
        if (!done.await(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("sync of " + path + " did not complete");
        }
    }

    /** The containers {@link ZkPaths} documents (kit namespaces are one segment: the first one). */
    @Override
    public boolean isPermanent(String key) {
        int second = key.indexOf('/', 1);
        String namespace = second < 0 ? key.substring(1) : key.substring(1, second);
        return new ZkPaths(namespace).isPermanent(key);
    }

    @Override
    public Set<Capability> declaredCapabilities() {
        return Set.of(Capability.DURABLE_FENCING_TOKENS, Capability.FAILOVER_SAFE_EXCLUSION, Capability.SERVER_CLOCK_LEASES);
    }

    @Override
    public Duration shortTtl() {
        return Duration.ofSeconds(1);
    }

    @Override
    public Duration longTtl() {
        return Duration.ofSeconds(4);
    }

    @Override
    public Duration minimumGrantedTtl() {
        return Duration.ofMillis(400);
    }

    /** First use of a name on a coordinator: create the queue container + create + getChildren + delete. */
    @Override
    public int maxRoundTripsPerUncontendedCycle() {
        return 4;
    }

    /**
     * A read-write lock as a lock; a semaphore permit adds the slot create and, on a name's first use, the create
     * of its slot container: 6.
     */
    @Override
    public int maxRoundTripsPerUncontendedCycle(Primitive primitive) {
        return primitive == Primitive.SEMAPHORE ? 6 : maxRoundTripsPerUncontendedCycle();
    }

    /** A group's first use on a coordinator: its container create + the member create, then the update and the delete. */
    @Override
    public int maxRoundTripsPerMembershipCycle() {
        return 4;
    }

    @Override
    public void close() {
        inspector.close();
    }
}
