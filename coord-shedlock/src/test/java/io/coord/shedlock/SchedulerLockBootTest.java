package io.coord.shedlock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.coord.Coordinator;
import io.coord.Session;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import net.javacrumbs.shedlock.core.LockAssert;
import net.javacrumbs.shedlock.spring.annotation.EnableSchedulerLock;
import net.javacrumbs.shedlock.spring.annotation.SchedulerLock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;

/**
 * {@code @SchedulerLock} on a {@code @Scheduled} method in two real Spring Boot contexts ("nodes"), each with its own
 * coordinator, session and {@link CoordLockProvider}, on each backend: the runs never overlap, both nodes' runs are
 * counted, ShedLock's {@link LockAssert} sees the lock inside the method, and the fencing tokens the method reads
 * strictly increase in run order.
 */
class SchedulerLockBootTest {
    private static final Map<String, Backend> backends = new LinkedHashMap<>();

    @BeforeAll
    static void start() {
        backends.put("zookeeper", new ZooKeeperBackend());
        backends.put("etcd", new EtcdBackend());
        backends.put("redis", new RedisBackend());
    }

    @AfterAll
    static void stop() {
        backends.values().forEach(Backend::close);
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = {"zookeeper", "etcd", "redis"})
    void scheduledRunsOnTwoNodesNeverOverlapAndBothNodesRun(String label) throws Exception {
        Backend backend = backends.get(label);
        String namespace = "shedlock-boot-" + UUID.randomUUID().toString().substring(0, 8);
        Runs.reset();
        Runs.Snapshot seen;
        try (ConfigurableApplicationContext a = node(backend, "node-a", namespace);
             ConfigurableApplicationContext b = node(backend, "node-b", namespace)) {
            assertThat(a.getBean(CoordLockProvider.class)).isNotSameAs(b.getBean(CoordLockProvider.class));
            await().atMost(Duration.ofSeconds(90)).until(() -> Runs.count("node-a") >= 5 && Runs.count("node-b") >= 5);
            seen = Runs.snapshot(); // before the contexts close: a run cut short by the shutdown proves nothing
        }
        assertThat(seen.overlaps()).as("runs that started while another run held the lock").isZero();
        assertThat(seen.failures()).as("runs that found no lock (LockAssert) or no fencing token").isEmpty();
        assertThat(seen.runsPerNode().get("node-a")).isGreaterThanOrEqualTo(5);
        assertThat(seen.runsPerNode().get("node-b")).isGreaterThanOrEqualTo(5);
        assertThat(seen.tokens()).as("fencing tokens in run order").isSorted().doesNotHaveDuplicates();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(backend.leftovers(namespace))
                .as("what the two nodes left on %s after their contexts closed", label).isEmpty());
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(Thread.getAllStackTraces().keySet())
                .noneMatch(t -> t.getName().startsWith("coord-shedlock-timer-") && t.isAlive()));
    }

    private static ConfigurableApplicationContext node(Backend backend, String name, String namespace) {
        return new SpringApplicationBuilder(App.class)
                .web(WebApplicationType.NONE)
                .properties("coord.uri=" + backend.uri(backend.hostPorts(), namespace), "coord.node=" + name,
                        "spring.main.banner-mode=off")
                .run();
    }

    /** One node's application: the coord beans a user writes, plus the scheduled job. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    @EnableScheduling
    @EnableSchedulerLock(defaultLockAtMostFor = "PT30S")
    static class App {
        @Bean(destroyMethod = "close")
        Coordinator coordinator(@Value("${coord.uri}") String uri) {
            return Coordinator.open(uri);
        }

        @Bean(destroyMethod = "close")
        Session coordSession(Coordinator coordinator) {
            return coordinator.openSession(Duration.ofSeconds(2));
        }

        @Bean(destroyMethod = "close")
        CoordLockProvider lockProvider(Session coordSession) {
            return new CoordLockProvider(coordSession);
        }

        @Bean
        ReportJob reportJob(CoordLockProvider lockProvider, @Value("${coord.node}") String node) {
            return new ReportJob(lockProvider, node);
        }
    }

    /** The job: every 20 ms each node tries; the lock is kept at least 100 ms, so the nodes take turns. */
    public static class ReportJob {
        private final CoordLockProvider provider;
        private final String node;

        public ReportJob(CoordLockProvider provider, String node) {
            this.provider = provider;
            this.node = node;
        }

        @Scheduled(fixedDelay = 20)
        @SchedulerLock(name = "nightly-report", lockAtLeastFor = "PT0.1S")
        public void run() {
            Runs.enter();
            try {
                LockAssert.assertLocked();
                Runs.record(node, provider.currentToken("nightly-report").orElseThrow(
                        () -> new IllegalStateException(node + " runs the job without a fencing token")));
            } catch (RuntimeException e) {
                Runs.fail(node + ": " + e);
            } finally {
                Runs.exit();
            }
        }
    }

    /** What both contexts' runs recorded (one JVM, so static). */
    static final class Runs {
        private static final AtomicInteger inside = new AtomicInteger();
        private static final AtomicInteger overlaps = new AtomicInteger();
        private static final Map<String, AtomicInteger> perNode = new ConcurrentHashMap<>();
        private static final List<Long> tokens = new ArrayList<>();
        private static final List<String> failures = new ArrayList<>();

        record Snapshot(int overlaps, Map<String, Integer> runsPerNode, List<Long> tokens, List<String> failures) {
        }

        static synchronized void reset() {
            inside.set(0);
            overlaps.set(0);
            perNode.clear();
            tokens.clear();
            failures.clear();
        }

        static void enter() {
            if (inside.incrementAndGet() != 1) {
                overlaps.incrementAndGet();
            }
        }

        static void exit() {
            inside.decrementAndGet();
        }

        static synchronized void record(String node, long token) {
            tokens.add(token);
            perNode.computeIfAbsent(node, n -> new AtomicInteger()).incrementAndGet();
        }

        static synchronized void fail(String why) {
            failures.add(why);
        }

        static int count(String node) {
            AtomicInteger n = perNode.get(node);
            return n == null ? 0 : n.get();
        }

        static synchronized Snapshot snapshot() {
            Map<String, Integer> runs = new ConcurrentHashMap<>();
            perNode.forEach((k, v) -> runs.put(k, v.get()));
            return new Snapshot(overlaps.get(), runs, List.copyOf(tokens), List.copyOf(failures));
        }
    }
}
