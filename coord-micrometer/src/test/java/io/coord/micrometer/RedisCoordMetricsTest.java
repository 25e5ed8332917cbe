package io.coord.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.coord.Coordinator;
import io.coord.Session;
import io.coord.SessionState;
import io.coord.testkit.CrashableClient;
import io.coord.testservers.RedisServer;
import io.coord.testservers.RespConnection;
import io.coord.testservers.TestServers;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** {@link CoordMetrics} on one Redis server (the redis-server binary, or COORD_REDIS_URI). */
@DisplayName("coord metrics on redis")
class RedisCoordMetricsTest extends CoordMetricsContract {

    /** The per-name token counters coord-redis keeps for good (see coord-redis's README). */
    private static final Pattern PERMANENT = Pattern.compile("coord:[^:]+:(lock|fair|election):\\{[^}]*\\}:c");

    private static RedisServer server;

    @BeforeAll
    static void startServer() {
        server = TestServers.redis();
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Override
    Coordinator open(String namespace) {
        return Coordinator.open(server.coordUri(namespace));
    }

    /**
     * A coordinator logged in as an ACL user of its own; the crash disables the user and kills its connections, so
     * its reconnects fail to authenticate (as the kit's Redis backend does: a proxy cut is seen by lettuce at once).
     */
    @Override
    CrashableClient openCrashable(String namespace) {
        String user = "coord-mm-" + UUID.randomUUID().toString().substring(0, 8);
        String password = UUID.randomUUID().toString();
        admin("ACL", "SETUSER", user, "on", ">" + password, "~*", "&*", "+@all");
        String uri = server.coordUri(namespace).replaceFirst("://", "://" + user + ":" + password + "@");
        return new CrashableClient(Coordinator.open(uri), () -> {
            admin("ACL", "SETUSER", user, "off");
            admin("CLIENT", "KILL", "USER", user);
        }, () -> admin("ACL", "DELUSER", user));
    }

    private static void admin(String... command) {
        try (RespConnection c = server.connect()) {
            c.command(command);
        }
    }

    @Override
    Set<String> leftovers(String namespace) {
        Set<String> out = new TreeSet<>();
        try (RespConnection c = server.connect()) {
            for (Object k : (List<?>) c.command("KEYS", "coord:" + namespace + ":*")) {
                if (!PERMANENT.matcher(k.toString()).matches()) {
                    out.add(k.toString());
                }
            }
        }
        return out;
    }

    /**
     * Here a crash makes renewals fail well before the local expiry (the reconnect is refused, or the queued
     * command times out after a third of the TTL, while expiry comes after four fifths): failures are counted.
     */
    @Test
    void failingRenewalsAreTimedAsFailuresByExceptionType() throws Exception {
        CrashableClient crashable = closeLater(openCrashable(namespace));
        bound(CoordMetrics.of(crashable.coordinator()));
        Session doomed = crashable.coordinator().openSession(shortTtl());
        crashable.crash();
        await().until(() -> doomed.state() == SessionState.EXPIRED);
        // The transitions are reported after the session's waiters are aborted: wait for them, do not read at once.
        await().untilAsserted(() -> {
            List<Timer> failures = registry.find(CoordMetrics.SESSION_RENEWALS).tag("outcome", "failure").timers().stream().toList();
            assertThat(failures).as("failed renewals, each type a series").isNotEmpty()
                    .allSatisfy(t -> assertThat(t.getId().getTag("exception")).isNotEqualTo("none").doesNotContain(" "));
            assertThat(failures.stream().mapToLong(Timer::count).sum()).isPositive();
            assertThat(transitions("active", "suspended")).isEqualTo(1);
            assertThat(transitions("suspended", "expired")).isEqualTo(1);
        });
    }

    @Override
    Duration shortTtl() {
        return Duration.ofSeconds(2);
    }

    @Override
    String backend() {
        return "redis";
    }
}
