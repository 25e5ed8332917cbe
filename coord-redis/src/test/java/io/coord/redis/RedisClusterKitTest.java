package io.coord.redis;

import io.coord.testkit.CoordinatorKit;
import io.coord.testkit.KitBackend;
import io.coord.testservers.RedisClusterServer;
import io.coord.testservers.TestServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

import java.net.URI;
import java.util.List;

/** The whole conformance kit against a real 3-master Redis Cluster (hash-tagged keys, cluster pub/sub). */
@DisplayName("redis (3-master cluster)")
class RedisClusterKitTest extends CoordinatorKit {

    private static RedisClusterServer cluster;
    private static KitBackend backend;

    @BeforeAll
    static void start() {
        cluster = TestServers.redisCluster();
        List<URI> masters = cluster.seedUris().stream().map(URI::create).toList();
        backend = new RedisKitBackend("redis (3-master cluster)", masters, cluster::coordUri);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Override
    protected KitBackend backend() {
        return backend;
    }
}
