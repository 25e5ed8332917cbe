package io.coord.testservers;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RedisLaunchersTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void singleServerAnswersPausesAndRestartsOnTheSamePort() {
        try (RedisServer redis = TestServers.redis()) {
            redis.requireFaults();
            assertTrue(redis.uri().startsWith("redis://127.0.0.1:"), redis.uri());
            try (RespConnection c = redis.connect()) {
                assertEquals("PONG", c.commandString("PING"));
                assertEquals("OK", c.commandString("SET", "k", "v"));
                assertEquals("v", c.commandString("GET", "k"));
                assertEquals(1L, c.command("INCR", "n"));
                assertEquals("", configValue(c, "save"));
                assertEquals("no", configValue(c, "appendonly"));
                assertThrows(RespConnection.RespError.class, () -> c.command("NOSUCHCOMMAND"));
            }
            TestServerPolicy externalPolicy = new TestServerPolicy(
                    Map.of("COORD_REDIS_URI", redis.uri())::get, k -> null, () -> false);
            try (RedisServer external = TestServers.redis(externalPolicy)) {
                assertEquals(ServerSource.EXTERNAL, external.source());
                assertEquals(redis.uri(), external.uri());
                assertFalse(external.supportsFaults());
            }
            RedisProcess p = redis.process();
            p.pause();
            assertFalse(p.ping(Duration.ofMillis(300)), "a SIGSTOPped redis must not answer");
            p.resume();
            await().atMost(WAIT).until(() -> p.ping(Duration.ofSeconds(1)));

            int port = p.port();
            p.kill();
            assertFalse(p.isAlive());
            assertFalse(p.ping(Duration.ofMillis(300)));
            p.restart();
            assertEquals(port, p.port());
            try (RespConnection c = redis.connect()) {
                assertNull(c.commandString("GET", "k"), "no persistence: data is gone after kill");
            }
        }
    }

    private static String configValue(RespConnection c, String name) {
        List<?> kv = (List<?>) c.command("CONFIG", "GET", name);
        return (String) kv.get(1);
    }

    @Test
    void clusterOfThreeMastersIsOkOnEveryNode() {
        try (RedisClusterServer cluster = TestServers.redisCluster()) {
            cluster.requireFaults();
            assertClusterWorks((RedisCluster) cluster);
        }
    }

    @Test
    void clusterCanBeCreatedWithoutRedisCli() {
        Path binary = TestServerPolicy.fromEnvironment().findBinary(TestServerPolicy.Kind.REDIS).orElseThrow(
                () -> new TestServerUnavailableException(TestServerPolicy.fromEnvironment()
                        .unavailableMessage(TestServerPolicy.Kind.REDIS)));
        try (RedisCluster cluster = RedisCluster.start(binary, Optional.empty(), 3)) {
            assertClusterWorks(cluster);
        }
    }

    private static void assertClusterWorks(RedisCluster cluster) {
        assertEquals(3, cluster.seedUris().size());
        for (RedisProcess node : cluster.nodes()) {
            try (RespConnection c = node.connect()) {
                String info = c.commandString("CLUSTER", "INFO");
                assertEquals("ok", RespConnection.field(info, "cluster_state"));
                assertEquals("3", RespConnection.field(info, "cluster_size"));
            }
        }
        String key = "{lock-a}:owner";
        int owner = cluster.nodeIndexForKey(key);
        try (RespConnection c = cluster.node(owner).connect()) {
            assertEquals("OK", c.commandString("SET", key, "x"));
        }
        int other = (owner + 1) % 3;
        try (RespConnection c = cluster.node(other).connect()) {
            RespConnection.RespError moved = assertThrows(RespConnection.RespError.class, () -> c.command("GET", key));
            assertTrue(moved.getMessage().startsWith("MOVED"), moved.getMessage());
        }
        assertTrue(cluster.coordUri("ns").startsWith("redis://127.0.0.1:"), cluster.coordUri("ns"));
    }

    @Test
    void replicaIsPromotedToPrimary() {
        try (RedisReplicaPair pair = TestServers.redisReplicaPair()) {
            try (RespConnection c = pair.primary().connect()) {
                assertEquals("OK", c.commandString("SET", "fence", "7"));
            }
            pair.awaitReplicated(WAIT);
            try (RespConnection c = pair.replica().connect()) {
                assertEquals("7", c.commandString("GET", "fence"));
                RespConnection.RespError ro = assertThrows(RespConnection.RespError.class, () -> c.command("SET", "x", "1"));
                assertTrue(ro.getMessage().startsWith("READONLY"), ro.getMessage());
            }
            pair.primary().kill();
            pair.promote();
            try (RespConnection c = pair.replica().connect()) {
                assertEquals("master", c.infoField("replication", "role"));
                assertEquals("OK", c.commandString("SET", "x", "1"));
                assertEquals("7", c.commandString("GET", "fence"));
            }
        }
    }
}
