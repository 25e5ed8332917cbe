package io.coord.testservers;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ZooKeeperLaunchersTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private static ZooKeeper connect(String connectString, int sessionTimeoutMs) throws Exception {
        ZooKeeper zk = new ZooKeeper(connectString, sessionTimeoutMs, event -> { });
        await().atMost(WAIT).until(() -> zk.getState().isConnected());
        return zk;
    }

    private static ZooKeeper connectTls(String connectString, TestCertificates certs, TestCertificates.Pair client, String auth)
            throws Exception {
        ZooKeeper zk = new ZooKeeper(connectString, 4000, event -> { }, ZooKeeperTestServer.tlsClientConfig(certs, client));
        if (auth != null) {
            zk.addAuthInfo("digest", auth.getBytes(StandardCharsets.UTF_8));
        }
        await().atMost(WAIT).until(() -> zk.getState().isConnected());
        return zk;
    }

    @Test
    void secureServerServesTlsEnforcesDigestAuthAndHasASuperUser(@TempDir Path dir) throws Exception {
        TestCertificates certs = TestCertificates.create(dir);
        TestCertificates.Pair client = certs.client("launcher-test");
        String superAuth = ZooKeeperTestServer.superUser() + ":" + new String(ZooKeeperTestServer.superPassword());
        try (ZooKeeperTestServer zk = ZooKeeperTestServer.startSecure(certs)) {
            String tls = zk.secureConnectString().orElseThrow();
            assertEquals(Optional.of("standalone"), zk.mode());
            assertThrows(IllegalStateException.class, TestServers::zookeeper, "no plain server beside a secure one");
            ZooKeeper app = connectTls(tls, certs, client, "app:pw");
            ZooKeeper anonymous = connectTls(tls, certs, client, null);
            ZooKeeper admin = connectTls(tls, certs, client, superAuth);
            try {
                app.create("/only-app", new byte[0], Collections.singletonList(new ACL(ZooDefs.Perms.ALL, new Id("auth", ""))), CreateMode.PERSISTENT);
                assertThrows(KeeperException.SessionClosedRequireAuthException.class, () -> anonymous.exists("/", false));
                assertEquals(0, admin.getChildren("/only-app", false).size(), "the super user reads anything");
                zk.stop();
                zk.restart();
                ZooKeeper again = connectTls(tls, certs, client, superAuth);
                try {
                    assertTrue(again.exists("/only-app", false) != null, "data kept across restart");
                } finally {
                    again.close();
                }
            } finally {
                app.close();
                anonymous.close();
                admin.close();
            }
        }
        TestServers.zookeeper().close(); // plain again once the secure one is closed
    }

    @Test
    void singleServerSurvivesStopAndRestartOnItsData() throws Exception {
        try (ZooKeeperTestServer zk = TestServers.zookeeper()) {
            assertEquals(ServerSource.IN_PROCESS, zk.source());
            assertTrue(zk.supportsFaults());
            assertEquals(Duration.ofMillis(400), zk.minSessionTimeout());
            assertEquals(Duration.ofMillis(4000), zk.maxSessionTimeout());
            assertEquals(Optional.of("standalone"), zk.mode());
            assertTrue(zk.connectString().startsWith("127.0.0.1:"), zk.connectString());
            ZooKeeper client = connect(zk.connectString(), 2000);
            try {
                assertEquals(2000, client.getSessionTimeout());
                client.create("/k", "v1".getBytes(StandardCharsets.UTF_8), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
                zk.stop();
                assertTrue(!zk.isRunning());
                await().atMost(WAIT).until(() -> !client.getState().isConnected());
                zk.restart();
                assertTrue(zk.isRunning());
                ZooKeeper fresh = connect(zk.connectString(), 2000);
                try {
                    assertArrayEquals("v1".getBytes(StandardCharsets.UTF_8), fresh.getData("/k", false, null));
                } finally {
                    fresh.close();
                }
            } finally {
                client.close();
            }
        }
    }

    @Test
    void sessionTimeoutIsClampedToTwoAndTwentyTicks() throws Exception {
        try (ZooKeeperTestServer zk = ZooKeeperTestServer.start(100)) {
            ZooKeeper high = connect(zk.connectString(), 60_000);
            ZooKeeper low = connect(zk.connectString(), 150);
            try {
                assertEquals(2000, high.getSessionTimeout());
                assertEquals(200, low.getSessionTimeout());
            } finally {
                high.close();
                low.close();
            }
        }
    }

    @Test
    void ensembleKillsAndRestartsMembersAndReportsItsLeader() throws Exception {
        try (ZooKeeperTestEnsemble ensemble = TestServers.zookeeperEnsemble()) {
            assertEquals(3, ensemble.size());
            int leader = ensemble.awaitLeader(WAIT);
            ZooKeeper client = connect(ensemble.connectString(), 4000);
            try {
                client.create("/e", "x".getBytes(StandardCharsets.UTF_8), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
                ensemble.kill(leader);
                assertTrue(!ensemble.isRunning(leader));
                await().atMost(WAIT).until(() -> ensemble.leaderIndex().isPresent()
                        && ensemble.leaderIndex().getAsInt() != leader);
                assertNotEquals(leader, ensemble.awaitLeader(WAIT));
                await().atMost(WAIT).ignoreExceptions().until(() -> {
                    client.sync("/e", (rc, path, ctx) -> { }, null);
                    return client.exists("/e", false) != null;
                });
                ensemble.restart(leader);
                assertTrue(ensemble.isRunning(leader));
                assertTrue(ensemble.mode(leader).isPresent());
                ZooKeeper direct = connect(ensemble.connectString(leader), 4000);
                try {
                    direct.sync("/e", (rc, path, ctx) -> { }, null);
                    await().atMost(WAIT).ignoreExceptions()
                            .until(() -> direct.exists("/e", false) != null);
                } finally {
                    direct.close();
                }
            } finally {
                client.close();
            }
        }
    }
}
