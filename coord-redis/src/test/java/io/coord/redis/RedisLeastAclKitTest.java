package io.coord.redis;

import io.coord.testkit.CoordinatorKit;
import io.coord.testkit.KitBackend;
import io.coord.testservers.RedisServer;
import io.coord.testservers.RespConnection;
import io.coord.testservers.TestServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The whole conformance kit against one real redis-server that requires a password, every
 * coordinator logged in as the README's least ACL user of its namespace (the kit's keyspace checks
 * use the default user).
 */
@DisplayName("redis (single server, least ACL user)")
class RedisLeastAclKitTest extends CoordinatorKit {

    private static RedisServer server;
    private static KitBackend backend;
    private static final Map<String, String> PASSWORDS = new ConcurrentHashMap<>();
    private static String adminPassword;

    @BeforeAll
    static void start() {
        server = TestServers.redis();
        adminPassword = UUID.randomUUID().toString();
        try (RespConnection c = server.connect()) {
            c.command("ACL", "SETUSER", "default", "resetpass", ">" + adminPassword);
        }
        backend = new RedisKitBackend("redis (single server, least ACL user)", List.of(URI.create(server.uri())),
                RedisLeastAclKitTest::uriAsLeastUser, adminPassword);
    }

    /** The namespace's URI with the credentials of its least ACL user, created on first use. */
    private static String uriAsLeastUser(String namespace) {
        String password = PASSWORDS.computeIfAbsent(namespace, ns -> {
            String p = UUID.randomUUID().toString();
            try (RespConnection c = server.connect()) {
                c.command("AUTH", "default", adminPassword);
                c.command(RedisAclTest.leastAclLine().replace("<ns>", ns).replace("<password>", p).split(" "));
            }
            return p;
        });
        return "redis://coord-" + namespace + ":" + password + "@" + server.host() + ":" + server.port() + "/" + namespace;
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            try (RespConnection c = server.connect()) {
                c.command("AUTH", "default", adminPassword);
                c.command("ACL", "SETUSER", "default", "nopass");
            }
            server.close();
        }
    }

    @Override
    protected KitBackend backend() {
        return backend;
    }
}
