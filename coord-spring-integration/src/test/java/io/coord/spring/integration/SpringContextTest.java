package io.coord.spring.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.coord.Coordinator;
import io.coord.Session;
import io.coord.testservers.TestServers;
import io.coord.testservers.ZooKeeperTestServer;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ApplicationListener;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.integration.leader.DefaultCandidate;
import org.springframework.integration.leader.event.AbstractLeaderEvent;
import org.springframework.integration.leader.event.OnGrantedEvent;
import org.springframework.integration.leader.event.OnRevokedEvent;

/**
 * The initiator and the registry as beans of a real application context (on ZooKeeper): the context starts the
 * initiator (SmartLifecycle), its events reach an {@link ApplicationListener} through the context's publisher, and
 * closing the context revokes the leadership before the session bean is closed.
 */
class SpringContextTest {

    private static ZooKeeperTestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServers.zookeeper();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void theContextStartsTheInitiatorAndClosingItRevokes() throws Exception {
        String namespace = "si-ctx-" + UUID.randomUUID().toString().substring(0, 8);
        List<AbstractLeaderEvent> events = new CopyOnWriteArrayList<>();
        try (Coordinator coordinator = Coordinator.open("zookeeper://" + server.connectString() + "/" + namespace)) {
            GenericApplicationContext context = new GenericApplicationContext();
            context.registerBean(Session.class, () -> coordinator.openSession(Duration.ofSeconds(4)));
            context.registerBean(CoordLockRegistry.class, () -> new CoordLockRegistry(context.getBean(Session.class)));
            context.registerBean(CoordLeaderInitiator.class, () -> new CoordLeaderInitiator(context.getBean(Session.class),
                    new DefaultCandidate("node-1", "reports")));
            context.registerBean("leaderEvents", ApplicationListener.class,
                    () -> (ApplicationListener<AbstractLeaderEvent>) events::add);
            context.refresh();

            CoordLeaderInitiator initiator = context.getBean(CoordLeaderInitiator.class);
            assertThat(initiator.isRunning()).as("auto-started by the context").isTrue();
            await().atMost(Duration.ofSeconds(30)).until(() -> events.size() == 1);
            assertThat(events.get(0)).isInstanceOf(OnGrantedEvent.class);
            assertThat(events.get(0).getRole()).isEqualTo("reports");
            assertThat(initiator.getElectionName()).isEqualTo("reports");
            long term = ((CoordLeaderInitiator.CoordContext) events.get(0).getContext()).fencingToken();
            assertThat(term).isPositive();

            CoordLockRegistry registry = context.getBean(CoordLockRegistry.class);
            long token = registry.executeLocked("daily", () -> registry.obtain("daily").fencingToken());
            assertThat(token).isPositive();

            Session session = context.getBean(Session.class);
            context.close();
            assertThat(events).hasSize(2);
            assertThat(events.get(1)).isInstanceOf(OnRevokedEvent.class);
            assertThat(initiator.isRunning()).isFalse();
            assertThat(session.state().isTerminal()).as("the context closed the session bean (AutoCloseable)").isTrue();
            assertThat(coordinator.election("reports").leader()).as("nobody leads after the context closed").isEmpty();
        }
    }
}
