package io.coord.fencing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.coord.Coordinator;
import io.coord.Session;
import io.coord.election.Leadership;
import io.coord.lock.LockGrant;
import io.coord.testservers.TestServers;
import io.coord.testservers.ZooKeeperTestServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link ZooKeeperFence} on the in-process ZooKeeper server of coord-test-servers. */
class ZooKeeperFenceTest extends FenceContractTest {
    private static ZooKeeperTestServer server;
    private static ZooKeeper zk;
    private static ZooKeeperFence fence;

    @BeforeAll
    static void start() throws Exception {
        server = TestServers.zookeeper();
        zk = new ZooKeeper(server.connectString(), 4000, event -> { });
        await().atMost(Duration.ofSeconds(20)).until(() -> zk.getState().isConnected());
        fence = ZooKeeperFence.of(zk);
    }

    @AfterAll
    static void stop() throws Exception {
        closeAll(zk, server);
    }

    @Override
    Sink sink() {
        return Sink.ofBytes(fence, ZooKeeperFenceTest::valueOrNull);
    }

    private static byte[] valueOrNull(String resource) {
        try {
            return zk.getData(fence.valueNode(resource), false, null);
        } catch (KeeperException.NoNodeException e) {
            return null;
        } catch (KeeperException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void nodesLiveUnderTheRootWithEncodedNamesAndOneVersionPerAcceptedWrite() throws Exception {
        ZooKeeperFence deep = ZooKeeperFence.of(zk, "/apps/billing/fences", ZooDefs.Ids.OPEN_ACL_UNSAFE);
        assertThat(deep.write("a/b c", 1, new byte[] {1}).accepted()).isTrue();
        assertThat(deep.tokenNode("a/b c")).isEqualTo("/apps/billing/fences/a%2Fb%20c");
        assertThat(deep.write("a/b c", 2, new byte[] {2}).accepted()).isTrue();
        assertThat(deep.write("a/b c", 1, new byte[] {3}).isStale()).isTrue();
        Stat stat = new Stat();
        byte[] token = zk.getData(deep.tokenNode("a/b c"), false, stat);
        assertThat(new String(token, StandardCharsets.US_ASCII)).isEqualTo("0000000000000000002");
        assertThat(stat.getVersion()).as("created, then set once").isEqualTo(1);
        assertThat(zk.getData(deep.valueNode("a/b c"), false, null)).containsExactly(2);
    }

    /** The tokens of a real coord lock and election, fed to the fence: the first holder, late, is refused. */
    @Test
    void aLockGrantsTokenAndALeadershipsTermFenceTheirWrites() throws Exception {
        try (Coordinator coord = Coordinator.open("zookeeper://" + server.connectString() + "/fencing-e2e");
             Session first = coord.openSession(Duration.ofSeconds(5));
             Session second = coord.openSession(Duration.ofSeconds(5))) {
            LockGrant old = first.lock("ledger").acquire();
            assertThat(fence.write(old, "old".getBytes(StandardCharsets.UTF_8)).accepted()).isTrue();
            old.release();
            try (LockGrant current = second.lock("ledger").acquire()) {
                assertThat(current.fencingToken()).isGreaterThan(old.fencingToken());
                assertThat(fence.write(current, "current".getBytes(StandardCharsets.UTF_8)).accepted()).isTrue();
                FenceResult late = fence.write(old, "late".getBytes(StandardCharsets.UTF_8));
                assertThat(late).isEqualTo(FenceResult.stale("ledger", old.fencingToken(), current.fencingToken()));
            }
            assertThat(sink().value("ledger")).contains("current");

            try (Leadership leader = first.election("scheduler").campaign("node-1")) {
                assertThat(fence.write(leader, "leading".getBytes(StandardCharsets.UTF_8)))
                        .isEqualTo(FenceResult.accepted("scheduler", leader.term()));
            }
            assertThat(fence.highestToken("scheduler")).isPresent();
        }
    }

    @Test
    void aRootMustBeAnAbsolutePath() {
        assertThatThrownBy(() -> ZooKeeperFence.of(zk, "relative", ZooDefs.Ids.OPEN_ACL_UNSAFE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("absolute ZooKeeper path");
        assertThatThrownBy(() -> ZooKeeperFence.of(zk, "/trailing/", ZooDefs.Ids.OPEN_ACL_UNSAFE))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
