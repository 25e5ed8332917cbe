package io.coord.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import io.coord.Coordinator;
import io.coord.Session;
import io.coord.lock.LockGrant;
import io.coord.testservers.RedisProcess;
import io.coord.testservers.RedisTls;
import io.coord.testservers.RespConnection;
import io.coord.testservers.TestCertificates;
import io.coord.testservers.TestServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A real Spring Boot application on a real Redis that serves TLS only, requires a client certificate
 * ({@code coord.tls.*}) and has an ACL user ({@code coord.username}/{@code coord.password}): it locks, is UP, and
 * leaves nothing in its namespace; the password is in no {@code toString()} or health detail.
 */
class SecureRedisApplicationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(20);

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
    }

    @Test
    void tlsWithAClientCertificateAndAnAclUser(@TempDir Path dir) throws InterruptedException {
        RedisTls tls = RedisTls.of(TestCertificates.create(dir));
        String ns = "sec-" + UUID.randomUUID().toString().substring(0, 8);
        String user = "app-" + ns;
        String password = "pw-" + UUID.randomUUID();
        try (RedisProcess redis = TestServers.redis(tls)) {
            try (RespConnection c = redis.connect()) {
                c.command("ACL", "SETUSER", user, "on", ">" + password, "~coord:" + ns + ":*", "&*", "+@all");
            }
            try (ConfigurableApplicationContext app = new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
                    .properties("spring.main.banner-mode=off", "coord.backend=redis",
                            "coord.endpoints=" + redis.host() + ":" + redis.port(), "coord.namespace=" + ns,
                            "coord.session-ttl=3s", "coord.username=" + user, "coord.password=" + password,
                            "coord.tls.trusted-certificates=" + tls.certificates().caCertificate(),
                            "coord.tls.client-certificate=" + tls.coordClient().certificate(),
                            "coord.tls.client-key=" + tls.coordClient().key()).run()) {
                Session session = app.getBean(Session.class);
                try (LockGrant grant = session.lock("report").acquire()) {
                    assertThat(grant.fencingToken()).isPositive();
                    assertThat(keys(redis, ns)).as("the lock is on the TLS server").isNotEmpty();
                }
                assertThat(app.getBean(CoordHealthIndicator.class).health().getStatus()).isEqualTo(Status.UP);
                assertThat(app.getBean(CoordHealthIndicator.class).health().toString()).doesNotContain(password);
                assertThat(app.getBean(CoordProperties.class).toString()).doesNotContain(password);
                assertThat(app.getBean(Coordinator.class).toString()).doesNotContain(password);
            }
            await().atMost(PATIENCE).untilAsserted(() -> assertThat(keys(redis, ns)).isEmpty());
        }
    }

    /** The namespace's keys, without those documented as permanent (the fencing counters). */
    private static List<String> keys(RedisProcess redis, String ns) {
        try (RespConnection c = redis.connect()) {
            List<String> out = new java.util.ArrayList<>();
            for (Object k : (List<?>) c.command("KEYS", "coord:" + ns + ":*")) {
                out.add(String.valueOf(k));
            }
            out.removeIf(k -> Keyspace.REDIS_PERMANENT.matcher(k).matches());
            return out;
        }
    }
}
