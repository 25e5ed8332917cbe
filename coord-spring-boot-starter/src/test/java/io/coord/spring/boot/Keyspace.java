package io.coord.spring.boot;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/** Reads what a namespace left on each real server, with the raw clients (not through coord). */
final class Keyspace {

    /** Redis keys coord documents as permanent: the per-name counters (coord-redis RedisKeys). */
    static final Pattern REDIS_PERMANENT = Pattern.compile("coord:[^:]+:(lock|fair|election):\\{[^}]*\\}:c");

    private Keyspace() {
    }

    /** The ephemeral nodes (queue entries, session marks) at or below {@code /namespace}; {@code digest} may be null. */
    static List<String> zookeeperEphemerals(String connectString, String namespace, String digest) throws Exception {
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(connectString, 10_000, e -> {
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        try {
            if (!connected.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("raw ZooKeeper client did not connect to " + connectString);
            }
            if (digest != null) {
                zk.addAuthInfo("digest", digest.getBytes(StandardCharsets.UTF_8));
            }
            List<String> out = new ArrayList<>();
            collect(zk, "/" + namespace, out);
            return out;
        } finally {
            zk.close();
        }
    }

    private static void collect(ZooKeeper zk, String path, List<String> out) throws Exception {
        Stat stat = new Stat();
        List<String> children;
        try {
            zk.getData(path, false, stat);
            children = zk.getChildren(path, false);
        } catch (KeeperException.NoNodeException gone) {
            return;
        }
        if (stat.getEphemeralOwner() != 0) {
            out.add(path);
        }
        for (String c : children) {
            collect(zk, path + "/" + c, out);
        }
    }

    /** Every etcd key under {@code coord/<namespace>/} (coord-etcd keeps nothing permanent). */
    static List<String> etcdKeys(List<String> endpoints, String namespace) throws Exception {
        try (Client client = Client.builder().endpoints(endpoints.toArray(String[]::new)).build()) {
            ByteSequence prefix = ByteSequence.from("coord/" + namespace + "/", StandardCharsets.UTF_8);
            List<String> out = new ArrayList<>();
            client.getKVClient().get(prefix, GetOption.builder().isPrefix(true).withKeysOnly(true).build())
                    .get(10, TimeUnit.SECONDS).getKvs()
                    .forEach(kv -> out.add(kv.getKey().toString(StandardCharsets.UTF_8)));
            return out;
        }
    }

    /** Redis keys of {@code namespace} that are not documented as permanent. */
    static List<String> redisKeys(String host, int port, String namespace) {
        RedisClient client = RedisClient.create("redis://" + host + ":" + port);
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            List<String> out = new ArrayList<>(c.sync().keys("coord:" + namespace + ":*"));
            out.removeIf(k -> REDIS_PERMANENT.matcher(k).matches());
            return out;
        } finally {
            client.shutdown();
        }
    }
}
