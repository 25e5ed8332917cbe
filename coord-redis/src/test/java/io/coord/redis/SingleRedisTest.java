package io.coord.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.coord.Coordinator;
import io.coord.testservers.RedisServer;
import io.coord.testservers.TestServers;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * The frame of the Redis-specific tests: one real redis-server per test class, a fresh namespace
 * per test, and after each test everything closed and the keyspace checked (only the documented
 * permanent counters may remain).
 */
abstract class SingleRedisTest {

    protected static RedisServer server;
    protected static RedisKitBackend kit;
    protected String namespace;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<Coordinator> opened = new ArrayList<>();

    @BeforeAll
    static void startServer() {
        server = TestServers.redis();
        kit = new RedisKitBackend("redis", List.of(URI.create(server.uri())), server::coordUri);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void freshNamespace() {
        namespace = "t-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void closeAllAndCheckKeyspace() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        opened.forEach(Coordinator::close);
        await().untilAsserted(() -> assertThat(kit.keys(namespace)).allMatch(kit::isPermanent));
    }

    /** A new coordinator on the test's namespace, closed after the test. */
    protected RedisCoordinator open() {
        Coordinator c = kit.open(namespace);
        opened.add(c);
        return (RedisCoordinator) c;
    }

    /** Closes {@code c} after the test, before the coordinators. */
    protected void closeLater(AutoCloseable c) {
        closeables.add(c);
    }

    protected RedisKeys keys() {
        return new RedisKeys(namespace);
    }

    protected static ConditionFactory await() {
        return Awaitility.await().pollInterval(Duration.ofMillis(20)).atMost(Duration.ofSeconds(30));
    }
}
