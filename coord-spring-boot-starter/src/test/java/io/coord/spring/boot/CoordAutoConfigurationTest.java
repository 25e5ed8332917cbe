package io.coord.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import io.coord.Coordinator;
import io.coord.Session;
import io.coord.SessionState;
import io.coord.lock.LockGrant;
import io.coord.testservers.ZooKeeperTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.LazyInitializationBeanFactoryPostProcessor;
import org.springframework.boot.actuate.autoconfigure.context.properties.ConfigurationPropertiesReportEndpointAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.env.EnvironmentEndpointAutoConfiguration;
import org.springframework.boot.actuate.context.properties.ConfigurationPropertiesReportEndpoint;
import org.springframework.boot.actuate.env.EnvironmentEndpoint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.io.support.SpringFactoriesLoader;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * The auto-configuration in {@link ApplicationContextRunner}s: bad settings fail clearly, every bean backs off, the
 * properties bind, the password is never shown, and the session is closed before the context's beans are destroyed.
 * Coordinators talk to a real in-process ZooKeeper; after each test no ephemeral node is left in the namespace.
 */
class CoordAutoConfigurationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private static ZooKeeperTestServer zk;

    private final String namespace = "sb-" + UUID.randomUUID().toString().substring(0, 8);
    /** {@code user:password} the namespace's nodes are protected with, if a test logs in. */
    private String digest;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(CoordAutoConfiguration.class, CoordHealthAutoConfiguration.class));

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
                assertThat(Keyspace.zookeeperEphemerals(zk.connectString(), namespace, digest)).isEmpty());
    }

    private String uri() {
        return "coord.uri=zookeeper://" + zk.connectString() + "/" + namespace;
    }

    private static String messages(Throwable t) {
        StringBuilder all = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            all.append(c.getClass().getName()).append(": ").append(c.getMessage()).append('\n');
        }
        return all.toString();
    }

    // ---- bad settings ---------------------------------------------------------------------

    @Test
    void missingUriFailsSayingWhatToSet() {
        runner.run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(messages(ctx.getStartupFailure()))
                    .contains("coord.uri is not set")
                    .contains("zookeeper://host:2181/myapp")
                    .contains("coord.backend");
        });
    }

    @Test
    void startUpFailuresAreAnalysedAsCoordSettings() {
        // Registered for Boot's SpringApplication (other analyzers need Boot's arguments, so load ours alone).
        List<FailureAnalyzer> analyzers = SpringFactoriesLoader.forDefaultResourceLocation().load(FailureAnalyzer.class,
                null, SpringFactoriesLoader.FailureHandler.handleMessage((message, failure) -> { }));
        assertThat(analyzers).anyMatch(a -> a instanceof CoordFailureAnalyzer);
        runner.run(ctx -> {
            FailureAnalysis analysis = new CoordFailureAnalyzer().analyze(ctx.getStartupFailure());
            assertThat(analysis).isNotNull();
            assertThat(analysis.getDescription()).startsWith("coord could not be configured: coord.uri is not set");
            assertThat(analysis.getAction()).contains("coord.uri=zookeeper://host:2181/myapp");
        });
    }

    @Test
    void uriAndEndpointsTogetherAreRefused() {
        runner.withPropertyValues(uri(), "coord.backend=etcd", "coord.endpoints=h:2379").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(messages(ctx.getStartupFailure())).contains("set either coord.uri or coord.backend with coord.endpoints");
        });
    }

    @Test
    void unknownBackendNamesTheAllowedOnes() {
        runner.withPropertyValues("coord.backend=mysql", "coord.endpoints=h:3306").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(messages(ctx.getStartupFailure())).contains("coord.backend 'mysql' is unknown")
                    .contains("zookeeper, etcd, redis, rediss");
        });
        runner.withPropertyValues("coord.uri=mysql://h:3306/app").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(messages(ctx.getStartupFailure())).contains("no coord backend on the class path handles scheme 'mysql'");
        });
    }

    @Test
    void endpointsWithoutBackendAreRefused() {
        runner.withPropertyValues("coord.endpoints=h:2379").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(messages(ctx.getStartupFailure())).contains("coord.backend is not");
        });
    }

    @Test
    void badDurationsNameTheProperty() {
        runner.withPropertyValues(uri(), "coord.session-ttl=soon").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(messages(ctx.getStartupFailure())).contains("coord.session-ttl");
        });
        runner.withPropertyValues(uri(), "coord.session-ttl=2h").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(messages(ctx.getStartupFailure())).contains("coord.session-ttl").contains("allowed 100 ms to 1 hour");
        });
        runner.withPropertyValues(uri(), "coord.operation-timeout=20m").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(messages(ctx.getStartupFailure())).contains("coord.operation-timeout is PT20M")
                    .contains("between 100ms and 10m");
        });
        runner.withPropertyValues(uri(), "coord.connect-timeout=50ms").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(messages(ctx.getStartupFailure())).contains("coord.connect-timeout is PT0.05S")
                    .contains("between 100ms and 10m");
        });
        runner.withPropertyValues(uri(), "coord.connect-timeout=1500us").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(messages(ctx.getStartupFailure())).contains("coord.connect-timeout").contains("whole number of milliseconds");
        });
    }

    @Test
    void halfAClientCertificateIsRefused() {
        runner.withPropertyValues(uri(), "coord.tls.client-key=/nonexistent/key.pem").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(messages(ctx.getStartupFailure()))
                    .contains("coord.tls.client-certificate and coord.tls.client-key go together");
        });
        runner.withPropertyValues(uri(), "coord.tls.enabled=false", "coord.tls.trusted-certificates=/x/ca.pem").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(messages(ctx.getStartupFailure())).contains("coord.tls.enabled=false contradicts");
        });
    }

    @Test
    void aMissingCertificateFileIsReportedByTheBackend() {
        runner.withPropertyValues(uri(), "coord.tls.trusted-certificates=/nonexistent/ca.pem").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(messages(ctx.getStartupFailure())).contains("/nonexistent/ca.pem");
        });
    }

    // ---- binding --------------------------------------------------------------------------

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(CoordProperties.class)
    static class PropertiesOnly {
    }

    @Test
    void everyPropertyBindsAndBecomesAUriPart() {
        new ApplicationContextRunner().withUserConfiguration(PropertiesOnly.class).withPropertyValues(
                "coord.backend=zookeeper", "coord.endpoints=h1:2181,h2", "coord.namespace=billing/eu",
                "coord.session-ttl=3s", "coord.operation-timeout=1500ms", "coord.connect-timeout=3s",
                "coord.username=app", "coord.password=p@ss word",
                "coord.tls.enabled=true", "coord.tls.trusted-certificates=/etc/coord/ca.pem",
                "coord.tls.client-certificate=/etc/coord/me.pem", "coord.tls.client-key=/etc/coord/me.key").run(ctx -> {
            CoordProperties p = ctx.getBean(CoordProperties.class);
            assertThat(p.getBackend()).isEqualTo("zookeeper");
            assertThat(p.getEndpoints()).containsExactly("h1:2181", "h2");
            assertThat(p.getNamespace()).isEqualTo("billing/eu");
            assertThat(p.getSessionTtl()).isEqualTo(Duration.ofSeconds(3));
            assertThat(p.getOperationTimeout()).isEqualTo(Duration.ofMillis(1500));
            assertThat(p.getConnectTimeout()).isEqualTo(Duration.ofSeconds(3));
            assertThat(p.getUsername()).isEqualTo("app");
            assertThat(p.getPassword()).isEqualTo("p@ss word");
            assertThat(p.getTls().getEnabled()).isTrue();
            assertThat(p.getTls().getTrustedCertificates()).isEqualTo(Path.of("/etc/coord/ca.pem"));
            assertThat(p.getTls().getClientCertificate()).isEqualTo(Path.of("/etc/coord/me.pem"));
            assertThat(p.getTls().getClientKey()).isEqualTo(Path.of("/etc/coord/me.key"));
            assertThat(CoordUris.from(p).toString()).isEqualTo("zookeeper://app:p%40ss+word@h1:2181,h2/billing/eu"
                    + "?operationTimeout=1500ms&connectTimeout=3000ms&tls=true&caFile=%2Fetc%2Fcoord%2Fca.pem"
                    + "&certFile=%2Fetc%2Fcoord%2Fme.pem&keyFile=%2Fetc%2Fcoord%2Fme.key");
            assertThat(p.toString()).doesNotContain("p@ss word").contains("password=***");
        });
    }

    @Test
    void propertiesOverrideTheUrisOwnParameters() {
        CoordProperties p = new CoordProperties();
        p.setUri("etcd://h:2379/fromuri?operationTimeout=9s");
        p.setNamespace("fromprops");
        p.setOperationTimeout(Duration.ofSeconds(2));
        // The backend keeps the last value of a repeated parameter: the property's.
        assertThat(CoordUris.from(p).toString()).isEqualTo("etcd://h:2379/fromprops?operationTimeout=9s&operationTimeout=2000ms");
        assertThat(p.getSessionTtl()).isEqualTo(CoordProperties.DEFAULT_SESSION_TTL);
    }

    @Test
    void theConfigurationMetadataDescribesEveryProperty() throws Exception {
        String json;
        try (var in = getClass().getClassLoader().getResourceAsStream("META-INF/spring-configuration-metadata.json")) {
            assertThat(in).as("generated by spring-boot-configuration-processor").isNotNull();
            json = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        for (String name : List.of("coord.uri", "coord.backend", "coord.endpoints", "coord.namespace", "coord.session-ttl",
                "coord.operation-timeout", "coord.connect-timeout", "coord.username", "coord.password",
                "coord.tls.enabled", "coord.tls.trusted-certificates", "coord.tls.client-certificate", "coord.tls.client-key",
                "coord.leader.election", "management.health.coord.enabled")) {
            assertThat(json).contains("\"name\": \"" + name + "\"");
        }
        assertThat(json.replace("\\/", "/")).contains("The backend URI, e.g. zookeeper://host:2181/namespace").contains("\"defaultValue\": \"10s\"").contains("\"value\": \"rediss\"");
    }

    // ---- the beans ------------------------------------------------------------------------

    @Test
    void opensTheCoordinatorTheSessionAndTheHealthIndicator() {
        runner.withPropertyValues("coord.uri=zookeeper://" + zk.connectString() + "/ignored", "coord.namespace=" + namespace,
                "coord.session-ttl=2s").run(ctx -> {
            assertThat(ctx).hasNotFailed().hasSingleBean(Coordinator.class).hasSingleBean(Session.class)
                    .hasSingleBean(CoordHealthIndicator.class).hasBean("coordSessionShutdown");
            Coordinator coordinator = ctx.getBean(Coordinator.class);
            Session session = ctx.getBean(Session.class);
            assertThat(coordinator.backend()).isEqualTo("zookeeper");
            assertThat(coordinator.namespace()).isEqualTo(namespace);
            assertThat(session.state()).isEqualTo(SessionState.ACTIVE);
            assertThat(session.requestedTtl()).isEqualTo(Duration.ofSeconds(2));
            Health health = ctx.getBean(CoordHealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("backend", "zookeeper").containsEntry("namespace", namespace)
                    .containsEntry("sessionState", "ACTIVE").containsEntry("session", session.id())
                    .containsKeys("grantedTtl", "remainingValidity");
            session.close();
            assertThat(ctx.getBean(CoordHealthIndicator.class).health().getStatus()).isEqualTo(Status.DOWN);
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnCoordinator {
        @Bean(destroyMethod = "close")
        Coordinator myCoordinator() {
            return Coordinator.open("zookeeper://" + zk.connectString() + "/" + MY_NAMESPACE.get());
        }
    }

    private static final ThreadLocal<String> MY_NAMESPACE = new ThreadLocal<>();

    @Test
    void backsOffForTheApplicationsCoordinator() {
        MY_NAMESPACE.set(namespace);
        try {
            runner.withUserConfiguration(OwnCoordinator.class).run(ctx -> {       // no coord.uri needed then
                assertThat(ctx).hasNotFailed().hasSingleBean(Coordinator.class).hasBean("myCoordinator")
                        .doesNotHaveBean("coordinator");
                assertThat(ctx.getBean(Session.class).state()).isEqualTo(SessionState.ACTIVE);
                assertThat(ctx.getBean(Coordinator.class).namespace()).isEqualTo(namespace);
            });
        } finally {
            MY_NAMESPACE.remove();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnSession {
        @Bean(destroyMethod = "close")
        Session mySession(Coordinator coordinator) {
            return coordinator.openSession(Duration.ofSeconds(3));
        }
    }

    @Test
    void backsOffForTheApplicationsSession() {
        runner.withUserConfiguration(OwnSession.class).withPropertyValues(uri()).run(ctx -> {
            assertThat(ctx).hasNotFailed().hasSingleBean(Session.class).hasBean("mySession").doesNotHaveBean("coordSession");
            assertThat(ctx.getBean(Session.class).requestedTtl()).isEqualTo(Duration.ofSeconds(3));
            assertThat(ctx.getBean(CoordHealthIndicator.class).health().getStatus()).isEqualTo(Status.UP);
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnHealth {
        @Bean
        HealthIndicator coordHealthIndicator() {
            return () -> Health.outOfService().build();
        }
    }

    @Test
    void backsOffForTheApplicationsHealthIndicator() {
        runner.withUserConfiguration(OwnHealth.class).withPropertyValues(uri()).run(ctx -> {
            assertThat(ctx).hasNotFailed().doesNotHaveBean(CoordHealthIndicator.class);
            assertThat(ctx.getBean("coordHealthIndicator", HealthIndicator.class).health().getStatus())
                    .isEqualTo(Status.OUT_OF_SERVICE);
        });
    }

    @Test
    void noHealthIndicatorWithoutBootsHealthModuleOrWhenDisabled() {
        runner.withClassLoader(new FilteredClassLoader(HealthIndicator.class)).withPropertyValues(uri()).run(ctx -> {
            assertThat(ctx).hasNotFailed().hasSingleBean(Session.class).doesNotHaveBean(CoordHealthIndicator.class);
        });
        runner.withPropertyValues(uri(), "management.health.coord.enabled=false").run(ctx -> {
            assertThat(ctx).hasNotFailed().hasSingleBean(Session.class).doesNotHaveBean(CoordHealthIndicator.class);
        });
    }

    @Test
    void thePasswordIsShownNowhere() {
        String secret = "pw-" + UUID.randomUUID();
        // A failure with credentials set: the message names the bad parameter, never the password.
        runner.withPropertyValues("coord.uri=zookeeper://" + zk.connectString() + "/" + namespace + "?bogus=1",
                "coord.username=app", "coord.password=" + secret).run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(messages(ctx.getStartupFailure())).contains("bogus").doesNotContain(secret);
        });
        runner.withPropertyValues("coord.uri=zookeeper://app:" + secret + "@" + zk.connectString() + "/" + namespace + "?bogus=1")
                .run(ctx -> {
                    assertThat(ctx).hasFailed();
                    assertThat(messages(ctx.getStartupFailure())).contains("bogus").doesNotContain(secret);
                });
        runner.withPropertyValues("coord.uri=zookeeper://app:" + secret + "@h:1/ns", "coord.password=x").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(messages(ctx.getStartupFailure())).contains("give them in one place").doesNotContain(secret);
        });
        // Passwords with characters that end the user info early, or text without "//": never echoed.
        for (String bad : List.of("redis://:" + secret + "#ss@h/ns", "redis:" + secret + "@h:6379/ns",
                "admin:" + secret + "@10.0.0.1:2379/billing", "etcd://u:" + secret + "/ss@h/ns",
                "etcd://u:" + secret + "?ss@h/ns", "etcd://u:" + secret + " ss@h/ns", "etcd://u:" + secret + "%@h/ns")) {
            runner.withPropertyValues("coord.uri=" + bad).run(ctx -> {
                assertThat(ctx).hasFailed();
                assertThat(messages(ctx.getStartupFailure())).as(bad).contains("coord.uri").doesNotContain(secret);
            });
            CoordProperties p = new CoordProperties();
            p.setUri(bad);
            assertThat(p.toString()).as(bad).doesNotContain(secret);
            assertThat(CoordUris.redacted(bad)).as(bad).doesNotContain(secret);
        }
        // A working login: ZooKeeper protects the namespace with the digest identity.
        digest = "app:" + secret;
        runner.withPropertyValues(uri(), "coord.username=app", "coord.password=" + secret).run(ctx -> {
            assertThat(ctx).hasNotFailed();
            Session session = ctx.getBean(Session.class);
            assertThat(session.state()).isEqualTo(SessionState.ACTIVE);
            try (LockGrant grant = session.lock("guarded").acquire()) {
                assertThat(grant.fencingToken()).isPositive();
            }
            assertThat(ctx.getBean(CoordProperties.class).toString()).doesNotContain(secret);
            assertThat(ctx.getBean(CoordHealthIndicator.class).health().toString()).doesNotContain(secret);
            assertThat(ctx.getBean(Coordinator.class).toString()).doesNotContain(secret);
            assertThat(session.toString()).doesNotContain(secret);
        });
    }

    @Test
    void theActuatorShowsNoCredentialsEvenWithShowValuesAlways() {
        String secret = "pw-" + UUID.randomUUID();
        // Properties only (no coordinator): the credentials below are bound and shown, not used. COORD_* as from
        // the process environment (Boot's SystemEnvironmentPropertySource), where the keys are upper case.
        Map<String, Object> environment = Map.of("COORD_PASSWORD", secret,
                "COORD_URI", "zookeeper://app:" + secret + "@h:2181/ns");
        {
            new ApplicationContextRunner().withUserConfiguration(PropertiesOnly.class)
                    .withInitializer(c -> c.getEnvironment().getPropertySources()
                            .addLast(new SystemEnvironmentPropertySource("testEnvironment", environment)))
                    .withConfiguration(AutoConfigurations.of(EndpointAutoConfiguration.class,
                            ConfigurationPropertiesReportEndpointAutoConfiguration.class, EnvironmentEndpointAutoConfiguration.class,
                            CoordSanitizingAutoConfiguration.class))
                    .withPropertyValues("coord.uri=zookeeper://app:" + secret + "@h:2181/ns", "coord.password=" + secret,
                            "management.endpoint.configprops.show-values=always", "management.endpoint.env.show-values=always",
                            "management.endpoints.web.exposure.include=configprops,env",
                            "management.endpoints.jmx.exposure.include=configprops,env", "spring.jmx.enabled=true")
                    .run(ctx -> {
                        assertThat(ctx).hasNotFailed();
                        var beans = ctx.getBean(ConfigurationPropertiesReportEndpoint.class).configurationProperties()
                                .getContexts().values().iterator().next().getBeans();
                        var coord = beans.values().stream().filter(b -> b.getPrefix().equals("coord")).findFirst().orElseThrow();
                        assertThat(coord.getProperties()).containsEntry("password", "******")
                                .containsEntry("uri", "zookeeper://***@h:2181/ns");
                        assertThat(coord.getProperties().toString() + coord.getInputs()).doesNotContain(secret);
                        EnvironmentEndpoint env = ctx.getBean(EnvironmentEndpoint.class);
                        assertThat(env.environmentEntry("coord.password").getProperty().getValue()).isEqualTo("******");
                        assertThat(env.environmentEntry("coord.uri").getProperty().getValue()).isEqualTo("zookeeper://***@h:2181/ns");
                        var fromEnvironment = env.environment(null).getPropertySources().stream()
                                .filter(s -> s.getName().equals("testEnvironment")).findFirst().orElseThrow().getProperties();
                        assertThat(fromEnvironment.get("COORD_PASSWORD").getValue()).isEqualTo("******");
                        assertThat(fromEnvironment.get("COORD_URI").getValue()).isEqualTo("zookeeper://***@h:2181/ns");
                        assertThat(env.environment(null).toString()).doesNotContain(secret);
                    });
        }
    }

    // ---- graceful shutdown ----------------------------------------------------------------

    /** Counts the Session beans the context creates. */
    static class SessionCreations implements BeanPostProcessor {
        static final AtomicInteger COUNT = new AtomicInteger();

        @Override
        public Object postProcessAfterInitialization(Object bean, String beanName) {
            if (bean instanceof Session) {
                COUNT.incrementAndGet();
            }
            return bean;
        }
    }

    @Test
    void aLazySessionNeverUsedIsNotOpenedJustToBeClosed() {
        SessionCreations.COUNT.set(0);
        runner.withInitializer(ctx -> ctx.addBeanFactoryPostProcessor(new LazyInitializationBeanFactoryPostProcessor()))
                .withBean(SessionCreations.class).withPropertyValues(uri()).run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    assertThat(ctx.getBeanFactory().containsSingleton("coordSession")).isFalse();
                    ctx.close();
                });
        assertThat(SessionCreations.COUNT).hasValue(0);
    }


    /** A bean that uses the session; it is destroyed before the session bean, and records what it sees then. */
    static class SessionUser implements DisposableBean {
        static volatile SessionState stateWhenDestroyed;
        private final Session session;

        SessionUser(Session session) {
            this.session = session;
        }

        @Override
        public void destroy() {
            stateWhenDestroyed = session.state();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class UsesTheSession {
        @Bean
        SessionUser sessionUser(Session session) {
            return new SessionUser(session);
        }
    }

    @Test
    void aLockHeldAtShutdownIsFreeForAnotherSessionRightAfterTheContextCloses() throws Exception {
        SessionUser.stateWhenDestroyed = null;
        LockGrant[] held = new LockGrant[1];
        runner.withUserConfiguration(UsesTheSession.class).withPropertyValues(uri(), "coord.session-ttl=4s").run(ctx -> {
            held[0] = ctx.getBean(Session.class).lock("nightly").acquire();
            assertThat(held[0].isHeld()).isTrue();
            ctx.close();
        });
        // Closed in the lifecycle's stop, before any bean was destroyed.
        assertThat(SessionUser.stateWhenDestroyed).isEqualTo(SessionState.CLOSED);
        assertThat(held[0].isHeld()).isFalse();
        try (Coordinator other = Coordinator.open("zookeeper://" + zk.connectString() + "/" + namespace);
             Session second = other.openSession(Duration.ofSeconds(4))) {
            // Free at once, not after the 4 s TTL: a zero-wait try succeeds.
            Optional<LockGrant> grant = second.lock("nightly").tryAcquire(Duration.ZERO);
            assertThat(grant).isPresent();
            grant.get().close();
        }
    }
}
