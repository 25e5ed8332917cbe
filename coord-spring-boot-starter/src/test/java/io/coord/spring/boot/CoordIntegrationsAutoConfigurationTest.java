package io.coord.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.Lock;

import io.coord.Session;
import io.coord.micrometer.CoordMetrics;
import io.coord.shedlock.CoordLockProvider;
import io.coord.spring.integration.CoordLeaderInitiator;
import io.coord.spring.integration.CoordLockRegistry;
import io.coord.testservers.ZooKeeperTestServer;
import io.micrometer.core.instrument.MeterRegistry;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.LockProvider;
import net.javacrumbs.shedlock.core.SimpleLock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.boot.health.contributor.Status;
import io.coord.Coordinator;
import io.coord.SessionState;
import org.springframework.integration.leader.Candidate;
import org.springframework.integration.leader.DefaultCandidate;
import org.springframework.integration.leader.event.AbstractLeaderEvent;
import org.springframework.integration.leader.event.OnGrantedEvent;
import org.springframework.integration.support.locks.DefaultLockRegistry;
import org.springframework.integration.support.locks.LockRegistry;

/**
 * The integrations the starter configures when their modules are on the class path: Spring Integration's lock
 * registry and leader initiator, the Micrometer binder, the ShedLock provider; each present, working on a real
 * in-process ZooKeeper, and backing off (an application bean, the module absent, the property or bean it needs absent).
 */
class CoordIntegrationsAutoConfigurationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private static ZooKeeperTestServer zk;

    private final String namespace = "sbi-" + UUID.randomUUID().toString().substring(0, 8);
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(CoordAutoConfiguration.class, CoordHealthAutoConfiguration.class,
                    CoordIntegrationAutoConfiguration.class, CoordMetricsAutoConfiguration.class,
                    CoordShedLockAutoConfiguration.class))
            .withPropertyValues("coord.uri=zookeeper://" + zk.connectString() + "/" + namespace, "coord.session-ttl=2s");

    @BeforeAll
    static void startServer() {
        zk = ZooKeeperTestServer.start();
    }

    @AfterAll
    static void stopServer() {
        zk.close();
    }

    @AfterEach
    void nothingLeftOnTheServer() {
        await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(Keyspace.zookeeperEphemerals(zk.connectString(), namespace, null)).isEmpty());
    }

    private static String messages(Throwable t) {
        StringBuilder all = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            all.append(c.getMessage()).append('\n');
        }
        return all.toString();
    }

    // ---- Spring Integration: LockRegistry --------------------------------------------------

    @Test
    void aLockRegistryOfTheDefaultSession() {
        runner.run(ctx -> {
            assertThat(ctx).hasNotFailed().hasSingleBean(LockRegistry.class).hasBean("coordLockRegistry");
            LockRegistry<?> registry = ctx.getBean(LockRegistry.class);
            assertThat(registry).isInstanceOf(CoordLockRegistry.class);
            Lock lock = registry.obtain("orders");
            assertThat(lock.tryLock()).isTrue();
            try (Session other = ctx.getBean(io.coord.Coordinator.class).openSession(Duration.ofSeconds(2))) {
                assertThat(other.lock("orders").tryAcquire(Duration.ZERO)).as("held cluster-wide").isEmpty();
            }
            lock.unlock();
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnLockRegistry {
        @Bean
        LockRegistry<?> myLockRegistry() {
            return new DefaultLockRegistry();
        }
    }

    @Test
    void theLockRegistryBacksOff() {
        runner.withUserConfiguration(OwnLockRegistry.class).run(ctx -> {
            assertThat(ctx).hasNotFailed().hasSingleBean(LockRegistry.class).doesNotHaveBean("coordLockRegistry");
        });
        runner.withClassLoader(new FilteredClassLoader(CoordLockRegistry.class)).run(ctx -> {
            assertThat(ctx).hasNotFailed().hasSingleBean(Session.class).doesNotHaveBean(LockRegistry.class)
                    .doesNotHaveBean(CoordLeaderInitiator.class);
        });
    }

    // ---- Spring Integration: leader initiator ----------------------------------------------

    /** Records the leader events published to the context. */
    static class Events implements ApplicationListener<AbstractLeaderEvent> {
        final List<AbstractLeaderEvent> seen = new CopyOnWriteArrayList<>();

        @Override
        public void onApplicationEvent(AbstractLeaderEvent event) {
            seen.add(event);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class ACandidate {
        @Bean
        Candidate candidate() {
            return new DefaultCandidate("node-1", "scheduler");
        }

        @Bean
        Events events() {
            return new Events();
        }
    }

    @Test
    void aLeaderInitiatorWhenAnElectionIsNamedAndACandidateExists() {
        runner.withUserConfiguration(ACandidate.class).withPropertyValues("coord.leader.election=scheduler").run(ctx -> {
            assertThat(ctx).hasNotFailed().hasSingleBean(CoordLeaderInitiator.class);
            assertThat(ctx.getBean(CoordLeaderInitiator.class).getElectionName()).isEqualTo("scheduler");
            Events events = ctx.getBean(Events.class);
            await().atMost(PATIENCE).until(() -> events.seen.stream().anyMatch(e -> e instanceof OnGrantedEvent));
            assertThat(ctx.getBean(io.coord.Coordinator.class).election("scheduler").leader())
                    .hasValueSatisfying(l -> assertThat(l.value()).isEqualTo("node-1"));
        });
    }

    @Test
    void noLeaderInitiatorWithoutTheElectionOrTheCandidate() {
        runner.withUserConfiguration(ACandidate.class).run(ctx ->
                assertThat(ctx).hasNotFailed().doesNotHaveBean(CoordLeaderInitiator.class));
        runner.withPropertyValues("coord.leader.election=scheduler").run(ctx ->
                assertThat(ctx).hasNotFailed().doesNotHaveBean(CoordLeaderInitiator.class));
    }

    @Test
    void aBlankElectionNameFailsNamingTheProperty() {
        runner.withUserConfiguration(ACandidate.class).withPropertyValues("coord.leader.election= ").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(messages(ctx.getStartupFailure())).contains("coord.leader.election").contains("blank");
        });
    }

    // ---- Micrometer ------------------------------------------------------------------------

    @Test
    void theCoordMetersAreBoundToBootsRegistry() {
        runner.withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
                CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class)).run(ctx -> {
            assertThat(ctx).hasNotFailed().hasSingleBean(CoordMetrics.class);
            MeterRegistry registry = ctx.getBean(MeterRegistry.class);
            assertThat(registry.find(CoordMetrics.SESSIONS_OPEN).gauge()).as("bound by Boot").isNotNull();
            assertThat(registry.find(CoordMetrics.SESSIONS_OPEN).gauge().value()).isEqualTo(1.0);
            assertThat(registry.find(CoordMetrics.SESSIONS_OPEN).gauge().getId().getTag("backend")).isEqualTo("zookeeper");
        });
    }

    @Test
    void noMetricsWithoutARegistryOrTheModule() {
        runner.run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean(CoordMetrics.class));
        runner.withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
                        CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class))
                .withClassLoader(new FilteredClassLoader(CoordMetrics.class))
                .run(ctx -> assertThat(ctx).hasNotFailed().hasSingleBean(MeterRegistry.class).doesNotHaveBean(CoordMetrics.class));
    }

    // ---- ShedLock --------------------------------------------------------------------------

    @Test
    void aShedLockProviderOfTheDefaultSession() {
        runner.run(ctx -> {
            assertThat(ctx).hasNotFailed().hasSingleBean(LockProvider.class);
            LockProvider provider = ctx.getBean(LockProvider.class);
            assertThat(provider).isInstanceOf(CoordLockProvider.class);
            assertThat(((CoordLockProvider) provider).session()).isSameAs(ctx.getBean(Session.class));
            Optional<SimpleLock> lock = provider.lock(new LockConfiguration(Instant.now(), "nightly",
                    Duration.ofSeconds(30), Duration.ZERO));
            assertThat(lock).isPresent();
            assertThat(provider.lock(new LockConfiguration(Instant.now(), "nightly", Duration.ofSeconds(30), Duration.ZERO)))
                    .as("not twice").isEmpty();
            lock.get().unlock();
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnLockProvider {
        @Bean
        LockProvider myLockProvider() {
            return configuration -> Optional.empty();
        }
    }

    @Test
    void theShedLockProviderBacksOff() {
        runner.withUserConfiguration(OwnLockProvider.class).run(ctx ->
                assertThat(ctx).hasNotFailed().hasSingleBean(LockProvider.class).doesNotHaveBean(CoordLockProvider.class));
        runner.withClassLoader(new FilteredClassLoader(CoordLockProvider.class)).run(ctx ->
                assertThat(ctx).hasNotFailed().doesNotHaveBean(LockProvider.class));
    }

    // ---- several sessions or coordinators ---------------------------------------------------

    private static final ThreadLocal<Boolean> PRIMARY = ThreadLocal.withInitial(() -> false);

    @Configuration(proxyBeanMethods = false)
    static class TwoSessions {
        @Bean(destroyMethod = "close")
        Session first(Coordinator coordinator) {
            return coordinator.openSession(Duration.ofSeconds(2));
        }

        @Bean(destroyMethod = "close")
        Session second(Coordinator coordinator) {
            return coordinator.openSession(Duration.ofSeconds(2));
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class TwoSessionsFirstPrimary {
        @Bean(destroyMethod = "close")
        @Primary
        Session first(Coordinator coordinator) {
            return coordinator.openSession(Duration.ofSeconds(2));
        }

        @Bean(destroyMethod = "close")
        Session second(Coordinator coordinator) {
            return coordinator.openSession(Duration.ofSeconds(2));
        }
    }

    @Test
    void twoSessionsWithoutAPrimaryStartAndTheSessionBeansBackOff() {
        runner.withUserConfiguration(TwoSessions.class, ACandidate.class).withPropertyValues("coord.leader.election=scheduler")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed().doesNotHaveBean("coordSession").doesNotHaveBean(LockRegistry.class)
                            .doesNotHaveBean(LockProvider.class).doesNotHaveBean(CoordLeaderInitiator.class)
                            .doesNotHaveBean(CoordHealthIndicator.class);
                    assertThat(ctx.getBeansOfType(Session.class)).hasSize(2);
                });
    }

    @Test
    void twoSessionsOnePrimaryUseThePrimary() {
        runner.withUserConfiguration(TwoSessionsFirstPrimary.class).run(ctx -> {
            assertThat(ctx).hasNotFailed().hasSingleBean(CoordLockProvider.class).hasSingleBean(CoordLockRegistry.class)
                    .hasSingleBean(CoordHealthIndicator.class);
            assertThat(ctx.getBean(CoordLockProvider.class).session()).isSameAs(ctx.getBean("first"));
            assertThat(ctx.getBean(CoordHealthIndicator.class).health().getDetails())
                    .containsEntry("session", ctx.getBean("first", Session.class).id());
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class TwoCoordinators {
        private final String namespace;

        TwoCoordinators(org.springframework.core.env.Environment env) {
            this.namespace = env.getProperty("test.namespace");
        }

        @Bean(destroyMethod = "close")
        Coordinator one() {
            return Coordinator.open("zookeeper://" + zk.connectString() + "/" + namespace);
        }

        @Bean(destroyMethod = "close")
        Coordinator two() {
            return Coordinator.open("zookeeper://" + zk.connectString() + "/" + namespace);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OnePrimaryCoordinator {
        @Bean(destroyMethod = "close")
        @Primary
        Coordinator main(org.springframework.core.env.Environment env) {
            return Coordinator.open("zookeeper://" + zk.connectString() + "/" + env.getProperty("test.namespace"));
        }
    }

    @Test
    void twoCoordinatorsWithoutAPrimaryStartWithoutADefaultSession() {
        runner.withUserConfiguration(TwoCoordinators.class).withPropertyValues("test.namespace=" + namespace)
                .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
                        CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class))
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed().doesNotHaveBean(Session.class).doesNotHaveBean(CoordMetrics.class)
                            .doesNotHaveBean(CoordHealthIndicator.class).doesNotHaveBean(LockRegistry.class);
                    assertThat(ctx.getBeansOfType(Coordinator.class)).hasSize(2);
                });
    }

    @Test
    void twoCoordinatorsOnePrimaryOpenTheSessionOnThePrimary() {
        runner.withUserConfiguration(TwoCoordinators.class, OnePrimaryCoordinator.class)
                .withPropertyValues("test.namespace=" + namespace)
                .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
                        CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class))
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed().hasSingleBean(Session.class).hasSingleBean(CoordMetrics.class)
                            .hasSingleBean(CoordHealthIndicator.class).hasSingleBean(CoordLockRegistry.class);
                    assertThat(ctx.getBean(Session.class).state()).isEqualTo(SessionState.ACTIVE);
                    assertThat(ctx.getBean("main", Coordinator.class).stats().held(io.coord.Primitive.SESSION)).isEqualTo(1);
                });
    }

    // ---- stop and start ---------------------------------------------------------------------

    @Test
    void aContextStoppedAndStartedAgainKeepsItsSessionAndLeadsAgain() {
        runner.withUserConfiguration(ACandidate.class).withPropertyValues("coord.leader.election=scheduler").run(ctx -> {
            assertThat(ctx).hasNotFailed();
            Session session = ctx.getBean(Session.class);
            Events events = ctx.getBean(Events.class);
            await().atMost(PATIENCE).until(() -> events.seen.stream().filter(e -> e instanceof OnGrantedEvent).count() == 1);
            ctx.stop();
            assertThat(session.state()).as("a stop is no close").isEqualTo(SessionState.ACTIVE);
            ctx.start();
            assertThat(session.state()).isEqualTo(SessionState.ACTIVE);
            assertThat(ctx.getBean(CoordHealthIndicator.class).health().getStatus()).isEqualTo(Status.UP);
            await().atMost(PATIENCE).until(() -> events.seen.stream().filter(e -> e instanceof OnGrantedEvent).count() == 2);
            assertThat(ctx.getBean(CoordLeaderInitiator.class).isRunning()).isTrue();
            ctx.close();
            assertThat(session.state()).as("a close is").isEqualTo(SessionState.CLOSED);
        });
    }
}
