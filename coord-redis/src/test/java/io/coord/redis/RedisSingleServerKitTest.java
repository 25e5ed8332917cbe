package io.coord.redis;

import io.coord.testkit.CoordinatorKit;
import io.coord.testkit.KitBackend;
import io.coord.testservers.RedisServer;
import io.coord.testservers.TestServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

import java.net.URI;
import java.util.List;

/** The whole conformance kit against one real redis-server. */
@DisplayName("redis (single server)")
class RedisSingleServerKitTest extends CoordinatorKit {

    private static RedisServer server;
    private static KitBackend backend;

    @BeforeAll
    static void start() {
        server = TestServers.redis();
        backend = new RedisKitBackend("redis (single server)", List.of(URI.create(server.uri())), server::coordUri);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Override
    protected KitBackend backend() {
        return backend;
    }
}
