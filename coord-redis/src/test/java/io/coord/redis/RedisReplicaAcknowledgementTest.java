package io.coord.redis;

import io.coord.Capability;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.group.Member;
import io.coord.group.Membership;
import io.coord.lock.LockGrant;
import io.coord.testservers.RedisReplicaPair;
import io.coord.testservers.TestServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The durability knob: WAIT after each grant, acknowledgements reported as they are. */
class RedisReplicaAcknowledgementTest {

    private static RedisReplicaPair pair;

    @BeforeAll
    static void start() {
        pair = TestServers.redisReplicaPair();
        pair.awaitReplicated(Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    void aGrantIsFollowedByWaitAndTheReplicaCountIsReported() throws Exception {
        try (RedisCoordinator c = RedisCoordinator.builder().endpoints(pair.primary().host() + ":" + pair.primary().port())
                .namespace("acks").replicaAcknowledgement(1, Duration.ofMillis(1000)).build()) {
            assertThat(c.capabilities()).contains(Capability.REPLICA_ACKNOWLEDGEMENT, Capability.SERVER_CLOCK_LEASES)
                    .doesNotContain(Capability.DURABLE_FENCING_TOKENS, Capability.FAILOVER_SAFE_EXCLUSION);
            List<ReplicaAcknowledgement> seen = new CopyOnWriteArrayList<>();
            c.onReplicaAcknowledgement(seen::add);
            try (Session s = c.openSession(Duration.ofSeconds(5))) {
                LockGrant g = s.fairLock("durable").acquire();
                await().atMost(Duration.ofSeconds(20)).until(() -> seen.size() == 1);
                assertThat(seen.get(0)).isEqualTo(new ReplicaAcknowledgement(Primitive.FAIR_LOCK, "durable", g.fencingToken(), 1, 1));
                assertThat(seen.get(0).complete()).isTrue();
                g.release();
            }
        }
    }

    @Test
    void aGroupsJoinUpdateAndLeaveAreEachFollowedByWait() throws Exception {
        try (RedisCoordinator c = RedisCoordinator.builder().endpoints(pair.primary().host() + ":" + pair.primary().port())
                .namespace("acks3").replicaAcknowledgement(1, Duration.ofMillis(1000)).build()) {
            List<ReplicaAcknowledgement> seen = new CopyOnWriteArrayList<>();
            c.onReplicaAcknowledgement(seen::add);
            try (Session s = c.openSession(Duration.ofSeconds(5))) {
                Membership m = s.join("registry", "a", "1");
                Member updated = m.update("2");
                m.leave();
                await().atMost(Duration.ofSeconds(20)).until(() -> seen.size() == 3);
                assertThat(seen).extracting(ReplicaAcknowledgement::primitive).containsOnly(Primitive.GROUP);
                assertThat(seen).extracting(ReplicaAcknowledgement::name).containsOnly("registry");
                assertThat(seen.get(0).token()).as("the join's token").isEqualTo(m.member().joinToken());
                assertThat(seen.get(1).token()).as("the update's version").isEqualTo(updated.version());
                assertThat(seen.get(2).token()).as("the group's revision after the leave").isGreaterThan(updated.version());
                assertThat(seen).allMatch(ReplicaAcknowledgement::complete);
            }
        }
    }

    @Test
    void missingReplicasAreReportedNotHidden() throws Exception {
        try (RedisCoordinator c = RedisCoordinator.builder().endpoints(pair.primary().host() + ":" + pair.primary().port())
                .namespace("acks2").replicaAcknowledgement(2, Duration.ofMillis(50)).build();
             Session s = c.openSession(Duration.ofSeconds(5))) {
            LockGrant g = s.lock("short").acquire();
            ReplicaAcknowledgement ack = c.lastReplicaAcknowledgement();
            assertThat(ack.token()).isEqualTo(g.fencingToken());
            assertThat(ack.requested()).isEqualTo(2);
            assertThat(ack.acknowledged()).as("only one replica exists").isEqualTo(1);
            assertThat(ack.complete()).isFalse();
            assertThat(g.isHeld()).as("the grant stands; the report says how durable it is").isTrue();
            g.release();
        }
    }
}
