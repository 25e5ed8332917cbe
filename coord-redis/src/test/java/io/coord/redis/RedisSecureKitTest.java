package io.coord.redis;

import io.coord.testkit.SecureCoordinatorKit;
import io.coord.testkit.SecureKitBackend;
import io.coord.testservers.RedisProcess;
import io.coord.testservers.RedisTls;
import io.coord.testservers.TestCertificates;
import io.coord.testservers.TestServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

/**
 * The whole conformance kit plus the security rules against one real redis-server serving TLS only (client
 * certificates required, certificates made under this class's temp dir) whose default user needs a password;
 * every coordinator logs in as the README's least ACL user of its namespace. The kit's keyspace checks use an
 * authenticated admin connection over TLS.
 */
@DisplayName("redis (single server, TLS + least ACL user)")
class RedisSecureKitTest extends SecureCoordinatorKit {

    @TempDir
    static Path dir;
    private static RedisProcess server;
    private static RedisSecureBackend backend;

    @BeforeAll
    static void start() {
        RedisTls tls = RedisTls.of(TestCertificates.create(dir.resolve("certs")));
        server = TestServers.redis(tls);
        backend = RedisSecureBackend.on("redis (single server, TLS + least ACL user)", List.of(server), tls, false);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Override
    protected SecureKitBackend backend() {
        return backend;
    }
}
