package io.coord.redis;

import io.coord.testkit.CoordinatorKit;
import io.coord.testkit.KitBackend;
import io.coord.testservers.RedisCluster;
import io.coord.testservers.RedisTls;
import io.coord.testservers.TestCertificates;
import io.coord.testservers.TestServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/**
 * The whole conformance kit against a real 3-master Redis Cluster (hash-tagged keys, cluster pub/sub) serving TLS
 * only, its cluster bus over TLS, client certificates required; every coordinator logs in as the README's least
 * ACL user of its namespace plus the README's cluster line, and follows redirects to the nodes over TLS with
 * host-name verification. The kit's keyspace checks use an authenticated admin connection to every master.
 */
@DisplayName("redis (3-master cluster, TLS + least ACL user)")
class RedisClusterKitTest extends CoordinatorKit {

    @TempDir
    static Path dir;
    private static RedisCluster cluster;
    private static KitBackend backend;

    @BeforeAll
    static void start() {
        RedisTls tls = RedisTls.of(TestCertificates.create(dir.resolve("certs")));
        cluster = TestServers.redisCluster(tls);
        backend = RedisSecureBackend.on("redis (3-master cluster, TLS + least ACL user)", cluster.nodes(), tls, true);
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
