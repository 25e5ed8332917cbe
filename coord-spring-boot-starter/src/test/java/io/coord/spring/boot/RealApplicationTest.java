package io.coord.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;

import io.coord.Coordinator;
import io.coord.Session;
import io.coord.election.Leadership;
import io.coord.lock.LockGrant;
import io.coord.testservers.EtcdServer;
import io.coord.testservers.RedisServer;
import io.coord.testservers.TestServers;
import io.coord.testservers.ZooKeeperTestServer;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * One real Spring Boot application (auto-configuration from {@code @EnableAutoConfiguration}, properties as an
 * application would give them) per backend: an in-process ZooKeeper, a real etcd and a real Redis. Each locks,
 * campaigns, reports health, shuts down, and leaves nothing in its namespace.
 */
class RealApplicationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(20);

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
    }

    @Test
    void zookeeper() throws Exception {
        try (ZooKeeperTestServer zk = TestServers.zookeeper()) {
            String ns = namespace();
            runApplication("zookeeper", "zookeeper://" + zk.connectString() + "/" + ns, ns, "2s",
                    () -> Keyspace.zookeeperEphemerals(zk.connectString(), ns, null));
        }
    }

    @Test
    void etcd() throws Exception {
        try (EtcdServer etcd = TestServers.etcd()) {
            String ns = namespace();
            runApplication("etcd", etcd.coordUri(ns), ns, "5s", () -> Keyspace.etcdKeys(etcd.endpoints(), ns));
        }
    }

    @Test
    void redis() throws Exception {
        try (RedisServer redis = TestServers.redis()) {
            String ns = namespace();
            runApplication("redis", "redis://" + redis.host() + ":" + redis.port() + "/" + ns, ns, "3s",
                    () -> Keyspace.redisKeys(redis.host(), redis.port(), ns));
        }
    }

    private static String namespace() {
        return "app-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static void runApplication(String backend, String uri, String ns, String ttl, Callable<List<String>> leftOnServer)
            throws Exception {
        LockGrant grant;
        Leadership leadership;
        try (ConfigurableApplicationContext app = new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
                .properties("coord.uri=" + uri, "coord.session-ttl=" + ttl, "spring.main.banner-mode=off").run()) {
            Session session = app.getBean(Session.class);
            Coordinator coordinator = app.getBean(Coordinator.class);
            assertThat(coordinator.backend()).isEqualTo(backend);
            Health health = app.getBean(CoordHealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("backend", backend).containsEntry("namespace", ns)
                    .containsEntry("sessionState", "ACTIVE");
            grant = session.lock("report").acquire();
            leadership = session.election("scheduler").campaign("instance-1");
            assertThat(coordinator.election("scheduler").leader()).hasValueSatisfying(l ->
                    assertThat(l.value()).isEqualTo("instance-1"));
            assertThat(leftOnServer.call()).as("the lock and the campaign are on the server").isNotEmpty();
            // held at shutdown: the context's close releases both
        }
        assertThat(grant.isHeld()).isFalse();
        assertThat(leadership.isLeader()).isFalse();
        try (Coordinator other = Coordinator.open(uri); Session second = other.openSession(Duration.ofSeconds(5))) {
            Optional<LockGrant> again = second.lock("report").tryAcquire(Duration.ZERO);
            assertThat(again).as("free right after the context closed").isPresent();
            again.get().close();
        }
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(leftOnServer.call()).isEmpty());
    }
}
