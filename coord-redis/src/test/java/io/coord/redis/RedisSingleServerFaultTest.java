package io.coord.redis;

import io.coord.testkit.faults.FaultBackend;
import io.coord.testkit.faults.SingleServerFaultKit;
import io.coord.testkit.faults.ServerFaults;
import io.coord.testservers.RedisServer;
import io.coord.testservers.TestServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** Fault scenarios against one redis-server without persistence: a restart loses every key. */
@DisplayName("redis single server: faults")
class RedisSingleServerFaultTest extends SingleServerFaultKit {

    private static RedisServer server;
    private static RedisFaultBackend backend;

    @BeforeAll
    static void start() {
        server = TestServers.redis();
        server.requireFaults();
        backend = new RedisFaultBackend("redis (single server)", server.host(), server.port(), new ServerFaults() {
            @Override
            public Topology topology() {
                return Topology.SINGLE;
            }

            @Override
            public void killAndRestart() {
                server.process().kill();
                server.process().restart();
            }
        });
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Override
    protected FaultBackend backend() {
        return backend;
    }
}
