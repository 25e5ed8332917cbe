package io.coord.shedlock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.coord.Coordinator;
import io.coord.Session;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import net.javacrumbs.shedlock.core.LockAssert;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.LockProvider;
import net.javacrumbs.shedlock.core.SimpleLock;
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
 * coordinator, session and {@link CoordLockProvider}, on each backend: while a run holds the lock the other node is
 * refused (each run waits until the other node's lock() returned empty at least once after this run's lock was
 * acquired), the runs never overlap, both nodes' runs are counted, no acquisition comes before the previous one's
 * createdAt + lockAtLeastFor, ShedLock's {@link LockAssert} sees the lock inside the method, and the fencing tokens
 * the method reads strictly increase in run order.
 */
class SchedulerLockBootTest {
    private static final String LOCK = "nightly-report";
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
            assertThat(a.getBean(CountingLockProvider.class).coord.session().id())
                    .as("two nodes, two sessions").isNotEqualTo(b.getBean(CountingLockProvider.class).coord.session().id());
            await().atMost(Duration.ofSeconds(90)).until(() -> Runs.count("node-a") >= 5 && Runs.count("node-b") >= 5);
            seen = Runs.snapshot(); // before the contexts close: a run cut short by the shutdown proves nothing
            Runs.stopping = true;   // a run still waiting for the other node stops waiting, records nothing
        }
        assertThat(seen.overlaps()).as("runs that started while another run held the lock").isZero();
        assertThat(seen.failures()).as("runs that found no lock (LockAssert), no fencing token, or no refused other node")
                .isEmpty();
        assertThat(seen.runsPerNode().get("node-a")).isGreaterThanOrEqualTo(5);
        assertThat(seen.runsPerNode().get("node-b")).isGreaterThanOrEqualTo(5);
        assertThat(seen.tokens()).as("fencing tokens in run order").isSorted().doesNotHaveDuplicates();
        List<Runs.Acquired> acquired = seen.acquired();
        assertThat(acquired).hasSizeGreaterThanOrEqualTo(10);
        for (int i = 1; i < acquired.size(); i++) {
            // a lower bound only: the release is due at createdAt + lockAtLeastFor (ShedLock's clock, truncated to
            // ms, so never later than the true instant); the next acquisition's instant is read after it returned
            assertThat(acquired.get(i).at())
                    .as("acquisition %d (%s) not before acquisition %d's lockAtLeastFor (%s)", i, acquired.get(i), i - 1,
                            acquired.get(i - 1))
                    .isAfterOrEqualTo(acquired.get(i - 1).atLeastUntil());
        }

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(backend.leftovers(namespace))
                .as("what the two nodes left on %s after their contexts closed", label).isEmpty());
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(Thread.getAllStackTraces().keySet())
                .noneMatch(t -> t.getName().startsWith("coord-shedlock-") && t.isAlive()));
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

        /** 10 s: a slow machine's pauses must not end it (ZooKeeper's test server grants 4 s, its maximum). */
        @Bean(destroyMethod = "close")
        Session coordSession(Coordinator coordinator) {
            return coordinator.openSession(Duration.ofSeconds(10));
        }

        /** The node's only LockProvider bean: the coord provider, counted. */
        @Bean(destroyMethod = "close")
        CountingLockProvider lockProvider(Session coordSession, @Value("${coord.node}") String node) {
            return new CountingLockProvider(new CoordLockProvider(coordSession), node);
        }

        @Bean
        ReportJob reportJob(CountingLockProvider lockProvider, @Value("${coord.node}") String node) {
            return new ReportJob(lockProvider.coord, node);
        }
    }

    /** Wraps a node's CoordLockProvider: records each acquisition and when each refused lock() call began. */
    static final class CountingLockProvider implements LockProvider, AutoCloseable {
        final CoordLockProvider coord;
        private final String node;

        CountingLockProvider(CoordLockProvider coord, String node) {
            this.coord = coord;
            this.node = node;
        }

        @Override
        public Optional<SimpleLock> lock(LockConfiguration configuration) {
            long began = System.nanoTime();
            Optional<SimpleLock> lock = coord.lock(configuration);
            if (lock.isEmpty()) {
                Runs.refused(node, began);
            } else {
                Runs.acquired(node, configuration.getLockAtLeastUntil());
            }
            return lock;
        }

        @Override
        public void close() {
            coord.close();
        }
    }

    /** The job: every 20 ms each node tries; a run lasts until the other node was refused; lockAtLeastFor 200 ms. */
    public static class ReportJob {
        private final CoordLockProvider provider;
        private final String node;

        public ReportJob(CoordLockProvider provider, String node) {
            this.provider = provider;
            this.node = node;
        }

        @Scheduled(fixedDelay = 20)
        @SchedulerLock(name = LOCK, lockAtLeastFor = "PT0.2S")
        public void run() {
            String other = node.equals("node-a") ? "node-b" : "node-a";
            long since = Runs.acquiredAt(node);
            Runs.enter();
            try {
                LockAssert.assertLocked();
                long token = provider.currentToken(LOCK).orElseThrow(
                        () -> new IllegalStateException(node + " runs the job without a fencing token"));
                // Bounded: the other node tries every 20 ms and must be refused while this run holds the lock.
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5))
                        .until(() -> Runs.stopping || Runs.refusedSince(other, since));
                if (!Runs.stopping) {
                    Runs.record(node, token);
                }
            } catch (RuntimeException e) {
                if (!Runs.stopping) {
                    Runs.fail(node + ": " + e);
                }
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
        private static final Map<String, AtomicLong> refusalBegan = new ConcurrentHashMap<>();
        private static final Map<String, AtomicLong> acquiredAt = new ConcurrentHashMap<>();
        private static final List<Long> tokens = new ArrayList<>();
        private static final List<Acquired> acquired = new ArrayList<>();
        private static final List<String> failures = new ArrayList<>();
        static volatile boolean stopping;

        /** One acquisition: its configuration's createdAt + lockAtLeastFor, and the wall-clock instant after it returned. */
        record Acquired(String node, Instant atLeastUntil, Instant at) {
        }

        record Snapshot(int overlaps, Map<String, Integer> runsPerNode, List<Long> tokens, List<Acquired> acquired,
                        List<String> failures) {
        }

        static synchronized void reset() {
            inside.set(0);
            overlaps.set(0);
            perNode.clear();
            refusalBegan.clear();
            acquiredAt.clear();
            tokens.clear();
            acquired.clear();
            failures.clear();
            stopping = false;
        }

        static void refused(String node, long beganNanos) {
            refusalBegan.computeIfAbsent(node, n -> new AtomicLong(beganNanos - 1))
                    .accumulateAndGet(beganNanos, (a, b) -> b - a > 0 ? b : a);
        }

        /** True if a lock() call of {@code node} that began after {@code sinceNanos} was refused. */
        static boolean refusedSince(String node, long sinceNanos) {
            AtomicLong t = refusalBegan.get(node);
            return t != null && t.get() - sinceNanos > 0;
        }

        /** On the node's scheduler thread, right after its lock() returned the lock. */
        static synchronized void acquired(String node, Instant atLeastUntil) {
            Instant at = Instant.now();
            acquiredAt.computeIfAbsent(node, n -> new AtomicLong()).set(System.nanoTime());
            acquired.add(new Acquired(node, atLeastUntil, at));
        }

        static long acquiredAt(String node) {
            return acquiredAt.get(node).get();
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
            return new Snapshot(overlaps.get(), runs, List.copyOf(tokens), List.copyOf(acquired), List.copyOf(failures));
        }
    }
}
