package io.coord.spring.integration;

import io.coord.Coordinator;
import io.coord.testkit.CrashableClient;
import io.coord.testservers.RedisServer;
import io.coord.testservers.RespConnection;
import io.coord.testservers.TestServers;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The Spring Integration mapping on a real single Redis (the Debian binary on a loopback port). */
class RedisSpringIntegrationTest extends SpringIntegrationContract {

    /** The per-name counters coord-redis documents as permanent. */
    private static final Pattern PERMANENT = Pattern.compile("coord:[^:]+:(lock|fair|election):\\{[^}]*\\}:c");

    private static RedisServer server;

    @BeforeAll
    static void startServer() {
        server = TestServers.redis();
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Override
    Coordinator open(String namespace) {
        return Coordinator.open(server.coordUri(namespace));
    }

    @Override
    CrashableClient openCrashable(String namespace) {
        return CrashableClient.throughProxies(List.of(server.host() + ":" + server.port()),
                proxies -> Coordinator.open("redis://" + proxies.get(0) + "/" + namespace));
    }

    @Override
    Set<String> leftovers(String namespace) {
        Set<String> keys = new TreeSet<>();
        try (RespConnection c = server.connect()) {
            String cursor = "0";
            do {
                List<?> reply = (List<?>) c.command("SCAN", cursor, "MATCH", "coord:" + namespace + ":*", "COUNT", "1000");
                cursor = reply.get(0).toString();
                for (Object k : (List<?>) reply.get(1)) {
                    if (!PERMANENT.matcher(k.toString()).matches()) {
                        keys.add(k.toString());
                    }
                }
            } while (!cursor.equals("0"));
        }
        return keys;
    }

    /** With sessions open: every key but the session records {@code coord:<ns>:s:<id>}. */
    @Override
    Set<String> entries(String namespace) {
        Set<String> keys = leftovers(namespace);
        keys.removeIf(k -> k.startsWith("coord:" + namespace + ":s:"));
        return keys;
    }

    @Override
    int candidates(String namespace, String name) {
        return zcard("coord:" + namespace + ":election:{" + namespace + "/election/" + name + "}:q");
    }

    @Override
    int lockEntries(String namespace, String name) {
        return zcard("coord:" + namespace + ":lock:{" + namespace + "/lock/" + name + "}:q");
    }

    @Override
    int fairEntries(String namespace, String name) {
        return zcard("coord:" + namespace + ":fair:{" + namespace + "/fair/" + name + "}:q");
    }

    private int zcard(String key) {
        try (RespConnection c = server.connect()) {
            return Integer.parseInt(c.command("ZCARD", key).toString());
        }
    }

    @Override
    String serverHostPort() {
        return server.host() + ":" + server.port();
    }

    @Override
    Coordinator openAt(String hostPort, String namespace, Duration operationTimeout) {
        return Coordinator.open("redis://" + hostPort + "/" + namespace + "?operationTimeout="
                + operationTimeout.toMillis() + "ms");
    }

    @Override
    Duration shortTtl() {
        return Duration.ofSeconds(1);
    }
}
