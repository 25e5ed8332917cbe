package io.coord.redis;

import io.coord.Coordinator;
import io.coord.Session;
import io.coord.lock.LockGrant;
import io.coord.testservers.RedisClusterServer;
import io.coord.testservers.RespConnection;
import io.coord.testservers.TestServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Redis Cluster specifics: every key of one primitive (and of one group) in one slot, names spread over slots, detection. */
class RedisClusterLayoutTest {

    private static RedisClusterServer cluster;

    @BeforeAll
    static void start() {
        cluster = TestServers.redisCluster();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void theKeysOfOnePrimitiveShareOneSlotWhateverTheName() {
        RedisKeys keys = new RedisKeys("ns/app");
        URI seed = URI.create(cluster.seedUris().get(0));
        Set<Long> slots = new HashSet<>();
        try (RespConnection r = RespConnection.open(seed.getHost(), seed.getPort(), Duration.ofSeconds(2))) {
            for (String name : List.of("a", "{x}", "}{", "a}b{c", "100%", "ключ", "锁/🔒", "*", " ", "n".repeat(256))) {
                for (RedisKeys.Kind kind : RedisKeys.Kind.values()) {
                    RedisKeys.Queue q = keys.queue(kind, name);
                    long slot = (Long) r.command("CLUSTER", "KEYSLOT", q.queue());
                    assertThat((Long) r.command("CLUSTER", "KEYSLOT", q.counter())).as("%s %s counter", kind, name).isEqualTo(slot);
                    assertThat((Long) r.command("CLUSTER", "KEYSLOT", q.values())).as("%s %s values", kind, name).isEqualTo(slot);
                    slots.add(slot);
                }
                RedisKeys.Group g = keys.group(name);
                assertThat((Long) r.command("CLUSTER", "KEYSLOT", g.counter())).as("group %s counter", name)
                        .isEqualTo((Long) r.command("CLUSTER", "KEYSLOT", g.members()));
            }
        }
        assertThat(slots).as("different primitives spread over slots").hasSizeGreaterThan(10);
    }

    @Test
    void clusterModeIsDetectedAndLocksWorkAcrossNodes() throws Exception {
        String ns = "c-" + UUID.randomUUID().toString().substring(0, 8);
        try (Coordinator a = Coordinator.open(cluster.coordUri(ns)); Coordinator b = Coordinator.open(cluster.coordUri(ns))) {
            assertThat(((RedisCoordinator) a).isCluster()).isTrue();
            try (Session sa = a.openSession(Duration.ofSeconds(5)); Session sb = b.openSession(Duration.ofSeconds(5))) {
                for (int i = 0; i < 12; i++) {
                    LockGrant g = sa.fairLock("n" + i).acquire();
                    var waiting = sb.fairLock("n" + i).acquireAsync();
                    g.release();
                    waiting.get(30, java.util.concurrent.TimeUnit.SECONDS).release();
                }
            }
        }
    }
}
