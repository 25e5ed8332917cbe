package io.coord.testservers;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class EtcdLaunchersTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration CALL = Duration.ofSeconds(5);

    @Test
    void singleNodePausesResumesAndRestartsOnItsData() {
        try (EtcdServer etcd = TestServers.etcd()) {
            etcd.requireFaults();
            assertEquals(1, etcd.endpoints().size());
            String ep = etcd.endpoints().get(0);
            assertTrue(ep.startsWith("http://127.0.0.1:"), ep);
            assertTrue(etcd.coordUri("ns").startsWith("etcd://127.0.0.1:"), etcd.coordUri("ns"));
            assertTrue(EtcdHttp.isHealthy(ep, CALL));
            assertEquals(OptionalInt.of(0), etcd.leaderIndex());

            EtcdHttp.put(ep, "coord/key", "v1", CALL);
            assertEquals(Optional.of("v1"), EtcdHttp.get(ep, "coord/key", CALL));
            assertEquals(1, EtcdHttp.countPrefix(ep, "coord/", CALL));
            assertEquals(0, EtcdHttp.countPrefix(ep, "other/", CALL));

            TestServerPolicy externalPolicy = new TestServerPolicy(
                    Map.of("COORD_ETCD_ENDPOINTS", ep, "PATH", "/usr/bin")::get, k -> null, () -> false);
            try (EtcdServer external = TestServers.etcd(3, externalPolicy)) {
                assertEquals(ServerSource.EXTERNAL, external.source());
                assertEquals(etcd.endpoints(), external.endpoints());
                assertFalse(external.supportsFaults());
                assertEquals(OptionalInt.of(0), external.leaderIndex());
            }
            assertTrue(EtcdHttp.isHealthy(ep, CALL), "closing an external server must not stop it");

            EtcdMember m = etcd.member(0);
            m.pause();
            assertTrue(m.isPaused());
            assertFalse(EtcdHttp.isHealthy(ep, Duration.ofMillis(300)), "a SIGSTOPped etcd must not answer");
            m.resume();
            await().atMost(WAIT).until(() -> EtcdHttp.isHealthy(ep, Duration.ofSeconds(1)));

            m.kill();
            assertFalse(m.isAlive());
            assertFalse(EtcdHttp.isHealthy(ep, Duration.ofMillis(300)));
            m.restart();
            m.awaitHealthy(WAIT);
            assertEquals(Optional.of("v1"), EtcdHttp.get(ep, "coord/key", CALL), "data survives kill + restart");
        }
    }

    @Test
    void unreachableExternalEndpointFailsWithAClearMessage() {
        int deadPort = FreePorts.allocate();
        TestServerPolicy policy = new TestServerPolicy(
                Map.of("COORD_ETCD_ENDPOINTS", "127.0.0.1:" + deadPort)::get, k -> null, () -> false);
        TestServerUnavailableException e = assertThrows(TestServerUnavailableException.class, () -> TestServers.etcd(1, policy));
        assertTrue(e.getMessage().contains("COORD_ETCD_ENDPOINTS names http://127.0.0.1:" + deadPort), e.getMessage());
    }

    @Test
    void threeNodeClusterElectsANewLeaderWhenTheLeaderIsKilled() {
        try (EtcdServer etcd = TestServers.etcdCluster()) {
            etcd.requireFaults();
            assertEquals(3, etcd.endpoints().size());
            assertTrue(etcd.allHealthy(CALL));
            int leader = etcd.awaitLeader(WAIT);
            EtcdHttp.put(etcd.endpoints().get(leader), "k", "before", CALL);

            etcd.member(leader).kill();
            await().atMost(WAIT).until(() -> {
                OptionalInt l = etcd.leaderIndex();
                return l.isPresent() && l.getAsInt() != leader;
            });
            int newLeader = etcd.awaitLeader(WAIT);
            assertNotEquals(leader, newLeader);
            String ep = etcd.endpoints().get(newLeader);
            assertEquals(Optional.of("before"), EtcdHttp.get(ep, "k", CALL));
            EtcdHttp.put(ep, "k", "after", CALL);

            etcd.member(leader).restart();
            etcd.member(leader).awaitHealthy(WAIT);
            String restarted = etcd.endpoints().get(leader);
            await().atMost(WAIT).ignoreExceptions()
                    .until(() -> EtcdHttp.get(restarted, "k", CALL).equals(Optional.of("after")));
            assertTrue(etcd.allHealthy(CALL));
        }
    }
}
