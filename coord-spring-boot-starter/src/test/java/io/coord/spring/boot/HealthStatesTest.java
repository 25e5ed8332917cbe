package io.coord.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.UUID;

import io.coord.Session;
import io.coord.SessionState;
import io.coord.testservers.ZooKeeperTestServer;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The health indicator through a real outage: the ZooKeeper server stops, the session goes SUSPENDED (UNKNOWN, still
 * valid) and then EXPIRED (DOWN); after the server is back, nothing is left in the namespace.
 */
class HealthStatesTest {

    private static final Duration PATIENCE = Duration.ofSeconds(20);

    @Test
    void upWhileActiveUnknownWhileSuspendedDownOnceExpired() throws Exception {
        String namespace = "sbh-" + UUID.randomUUID().toString().substring(0, 8);
        try (ZooKeeperTestServer zk = ZooKeeperTestServer.start()) {
            new ApplicationContextRunner()
                    .withConfiguration(AutoConfigurations.of(CoordAutoConfiguration.class, CoordHealthAutoConfiguration.class))
                    .withPropertyValues("coord.uri=zookeeper://" + zk.connectString() + "/" + namespace, "coord.session-ttl=2s",
                            "coord.operation-timeout=500ms")
                    .run(ctx -> {
                        CoordHealthIndicator indicator = ctx.getBean(CoordHealthIndicator.class);
                        Session session = ctx.getBean(Session.class);
                        assertThat(indicator.health().getStatus()).isEqualTo(Status.UP);

                        // Read the health as each change is announced (on the coordinator's event thread).
                        List<Health> seen = new CopyOnWriteArrayList<>();
                        session.addListener((s, previous, current) -> seen.add(indicator.health()));
                        zk.stop();
                        await().atMost(PATIENCE).until(() -> session.state() == SessionState.EXPIRED);
                        // SUSPENDED (renewals failing, still valid for most of the 2 s TTL) was read as UNKNOWN.
                        assertThat(seen).anySatisfy(h -> {
                            assertThat(h.getDetails()).containsEntry("sessionState", "SUSPENDED");
                            assertThat(h.getStatus()).isEqualTo(Status.UNKNOWN);
                        });
                        assertThat(seen).allSatisfy(h -> assertThat(h.getStatus()).isEqualTo(
                                h.getDetails().get("sessionState").equals("SUSPENDED") ? Status.UNKNOWN : Status.DOWN));
                        Health health = indicator.health();
                        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
                        assertThat(health.getDetails()).containsEntry("sessionState", "EXPIRED")
                                .containsEntry("remainingValidity", "PT0S");
                        zk.restart();
                    });
            await().atMost(PATIENCE).untilAsserted(() ->
                    assertThat(Keyspace.zookeeperEphemerals(zk.connectString(), namespace, null)).isEmpty());
        }
    }
}
