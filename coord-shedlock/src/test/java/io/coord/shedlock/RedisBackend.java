package io.coord.shedlock;

import io.coord.testservers.RedisServer;
import io.coord.testservers.RespConnection;
import io.coord.testservers.TestServers;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** A single redis-server started from /usr/bin/redis-server, read with the kit's small RESP client. */
final class RedisBackend implements Backend {
    private final RedisServer server;

    RedisBackend() {
        server = TestServers.redis();
    }

    @Override
    public String label() {
        return "redis";
    }

    @Override
    public String uri(List<String> hostPorts, String namespace) {
        return "redis://" + String.join(",", hostPorts) + "/" + namespace;
    }

    @Override
    public List<String> hostPorts() {
        return List.of(server.host() + ":" + server.port());
    }

    /** Every key of the namespace except the per-name counters ({@code …}:c}), which coord-redis keeps by design. */
    @Override
    public Set<String> leftovers(String namespace) {
        Set<String> out = new TreeSet<>();
        try (RespConnection c = server.connect()) {
            String cursor = "0";
            do {
                List<?> reply = (List<?>) c.command("SCAN", cursor, "MATCH", "coord:" + namespace + ":*", "COUNT", "1000");
                cursor = reply.get(0).toString();
                for (Object k : (List<?>) reply.get(1)) {
                    if (!k.toString().endsWith("}:c")) {
                        out.add(k.toString());
                    }
                }
            } while (!cursor.equals("0"));
        }
        return out;
    }

    @Override
    public void close() {
        server.close();
    }
}
