package io.coord.redis;

import io.coord.testkit.faults.FaultBackend;
import io.coord.testkit.faults.PartitionRules;
import io.coord.testkit.faults.ServerFaults;
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
 * The client-partition scenario alone ({@link PartitionRules}) over TLS with the least ACL user, on one
 * redis-server serving TLS only: the kit's TCP proxy forwards the TLS bytes (the server's certificate names
 * 127.0.0.1, which is also the proxy's address), blackholes them, and heals.
 */
@DisplayName("redis single server over TLS: client partition")
class RedisTlsPartitionTest extends PartitionRules {

    @TempDir
    static Path dir;
    private static RedisProcess server;
    private static TlsFaultBackend backend;

    RedisTlsPartitionTest() {
        super(() -> backend);
    }

    @BeforeAll
    static void start() {
        RedisTls tls = RedisTls.of(TestCertificates.create(dir.resolve("certs")));
        server = TestServers.redis(tls);
        backend = new TlsFaultBackend(server, tls);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** {@link RedisSecureBackend} on one server, with the URIs the partition scenario needs (through its proxies). */
    static final class TlsFaultBackend extends RedisSecureBackend implements FaultBackend {
        private final String hostPort;

        TlsFaultBackend(RedisProcess server, RedisTls tls) {
            super("redis (single server, TLS + least ACL user)", addresses(List.of(server)), tls, false, protect(List.of(server)));
            this.hostPort = server.host() + ":" + server.port();
        }

        @Override
        public List<String> endpoints() {
            return List.of(hostPort);
        }


        @Override
        public ServerFaults serverFaults() {
            return () -> ServerFaults.Topology.SINGLE;
        }
    }
}
