package io.coord.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.coord.Session;
import io.coord.SessionState;
import io.coord.testservers.ZooKeeperTestServer;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.LockProvider;
import net.javacrumbs.shedlock.core.SimpleLock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * What real {@code SpringApplication}s write to stdout/stderr (Boot's failure report, every log line): never a
 * password, whatever breaks; and a graceful shutdown with a ShedLock {@code lockAtLeastFor} hold still running logs
 * no lost lock. Captured with Boot's {@link OutputCaptureExtension}; an in-process ZooKeeper.
 */
@ExtendWith(OutputCaptureExtension.class)
class LogOutputTest {

    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private static ZooKeeperTestServer zk;

    private final String namespace = "log-" + UUID.randomUUID().toString().substring(0, 8);

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
    }

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

    private static SpringApplicationBuilder app(String... properties) {
        return new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE).properties("spring.main.banner-mode=off")
                .properties(properties);
    }

    @Test
    void aFailedStartWithCredentialsPrintsNoPassword(CapturedOutput output) {
        String secret = "pw-" + UUID.randomUUID();
        String server = zk.connectString() + "/" + namespace;
        for (List<String> properties : List.of(
                List.of("coord.uri=zookeeper://" + server + "?bogus=1", "coord.username=app", "coord.password=" + secret),
                List.of("coord.uri=zookeeper://app:" + secret + "@" + server + "?bogus=1"),
                List.of("coord.uri=zookeeper://app:" + secret + "/x@" + server),
                List.of("coord.uri=zookeeper:app:" + secret + "@" + server))) {
            assertThatThrownBy(() -> app(properties.toArray(String[]::new)).run()).as(properties.toString())
                    .hasMessageNotContaining(secret);
        }
        assertThat(output.getAll()).contains("APPLICATION FAILED TO START").contains("coord could not be configured")
                .contains("bogus").doesNotContain(secret);
    }

    @Test
    void aShedLockHoldRunningAtShutdownIsReleasedWithoutAWarning(CapturedOutput output) {
        Session session;
        try (ConfigurableApplicationContext ctx = app("coord.uri=zookeeper://" + zk.connectString() + "/" + namespace,
                "coord.session-ttl=2s").run()) {
            session = ctx.getBean(Session.class);
            LockProvider provider = ctx.getBean(LockProvider.class);
            Optional<SimpleLock> lock = provider.lock(new LockConfiguration(Instant.now(), "report",
                    Duration.ofSeconds(30), Duration.ofSeconds(30)));
            assertThat(lock).isPresent();
            lock.get().unlock();                      // the job ended; lockAtLeastFor keeps the hold 30 s
            assertThat(provider.lock(new LockConfiguration(Instant.now(), "report", Duration.ofSeconds(30),
                    Duration.ZERO))).as("still held for lockAtLeastFor").isEmpty();
        }
        assertThat(session.state()).isEqualTo(SessionState.CLOSED);
        assertThat(output.getAll()).contains("closing coord session").doesNotContain("lost").doesNotContain("could not be released");
    }
}
