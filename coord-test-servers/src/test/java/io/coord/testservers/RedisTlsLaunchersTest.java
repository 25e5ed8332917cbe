package io.coord.testservers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Redis launchers' TLS mode: TLS-only ports, the kit's RESP client over TLS, replication and cluster bus over TLS. */
class RedisTlsLaunchersTest {

    @TempDir
    Path dir;

    @Test
    void aTlsServerAnswersOverTlsOnlyAndSurvivesARestart() {
        RedisTls tls = RedisTls.of(TestCertificates.create(dir.resolve("certs")));
        try (RedisProcess redis = TestServers.redis(tls)) {
            assertTrue(redis.uri().startsWith("rediss://127.0.0.1:"), redis.uri());
            assertTrue(redis.coordUri("ns").contains("/ns?caFile="), redis.coordUri("ns"));
            try (RespConnection c = redis.connect()) {
                assertEquals("PONG", c.commandString("PING"));
                assertEquals("yes", ((java.util.List<?>) c.command("CONFIG", "GET", "tls-auth-clients")).get(1));
            }
            try (RespConnection plain = RespConnection.open(redis.host(), redis.port(), Duration.ofSeconds(2))) {
                assertThrows(RuntimeException.class, () -> plain.command("PING"), "plain text to the TLS port is not served");
            }
            redis.restart();
            try (RespConnection c = redis.connect()) {
                assertEquals("PONG", c.commandString("PING"));
            }
        }
    }

    @Test
    void aTlsReplicaLinksUpAndATlsClusterConverges() {
        RedisTls tls = RedisTls.of(TestCertificates.create(dir.resolve("certs")));
        try (RedisReplicaPair pair = TestServers.redisReplicaPair(tls)) {
            try (RespConnection c = pair.primary().connect()) {
                c.command("SET", "k", "v");
            }
            pair.awaitReplicated(Duration.ofSeconds(30));
            try (RespConnection c = pair.replica().connect()) {
                assertEquals("v", c.commandString("GET", "k"));
            }
        }
        try (RedisCluster cluster = TestServers.redisCluster(tls)) {
            assertTrue(cluster.coordUri("ns").startsWith("rediss://127.0.0.1:"), cluster.coordUri("ns"));
            int i = cluster.nodeIndexForKey("{x}k");
            try (RespConnection c = cluster.node(i).connect()) {
                assertEquals("OK", c.commandString("SET", "{x}k", "v"));
            }
        }
    }
}
