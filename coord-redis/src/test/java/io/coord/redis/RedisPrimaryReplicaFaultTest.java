package io.coord.redis;

import io.coord.testkit.faults.FaultBackend;
import io.coord.testkit.faults.PrimaryReplicaFaultKit;
import io.coord.testkit.faults.ServerFaults;
import io.coord.testservers.RedisProcess;
import io.coord.testservers.RedisReplicaPair;
import io.coord.testservers.RedisTls;
import io.coord.testservers.RespConnection;
import io.coord.testservers.TcpFaultProxy;
import io.coord.testservers.TestCertificates;
import io.coord.testservers.TestServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/**
 * Fault scenarios against a primary with an asynchronously replicated replica, both serving TLS only (client
 * certificates required, replication over TLS) with a password on the default user; every coordinator logs in as the
 * README's least ACL user of its namespace, created on both servers (ACLs are not replicated). Clients reach the
 * primary through one fixed address (a proxy forwarding the TLS bytes, as a virtual IP or Sentinel-driven DNS would
 * be); a failover kills the primary, promotes the replica and moves the address to it. Redis declares no failover
 * safety: the kit measures the damage and fails only if more was claimed.
 */
@DisplayName("redis primary + replica (TLS + least ACL user): faults")
class RedisPrimaryReplicaFaultTest extends PrimaryReplicaFaultKit {

    @TempDir
    static Path dir;
    private static RedisTls tls;
    private static RedisReplicaPair pair;
    private static TcpFaultProxy address;
    private static PairBackend backend;

    @BeforeAll
    static void start() {
        tls = RedisTls.of(TestCertificates.create(dir.resolve("certs")));
        pair = TestServers.redisReplicaPair(tls);
        String admin = RedisSecureBackend.protect(List.of(pair.replica(), pair.primary()));
        address = TcpFaultProxy.start(pair.primary().host(), pair.primary().port());
        backend = new PairBackend(admin);
    }

    @AfterAll
    static void stop() {
        if (address != null) {
            address.close();
        }
        if (pair != null) {
            pair.close();
        }
    }

    @Override
    protected FaultBackend backend() {
        return backend;
    }

    /** {@link RedisSecureBackend} reading through the fixed address, changing ACLs on both servers directly. */
    static final class PairBackend extends RedisSecureBackend implements FaultBackend {

        PairBackend(String adminPassword) {
            super("redis (primary + replica, TLS + least ACL user)", List.of(URI.create("rediss://127.0.0.1:" + address.port())), tls, false,
                    adminPassword);
        }

        /** ACL changes go to both servers of the current pair (a killed primary is skipped). */
        @Override
        void onEveryMaster(String... command) {
            for (RedisProcess node : List.of(pair.primary(), pair.replica())) {
                if (node.isAlive() && !node.isPaused()) {
                    try (RespConnection c = node.connect()) {
                        c.command(command);
                    }
                }
            }
        }

        @Override
        public List<String> endpoints() {
            return List.of("127.0.0.1:" + address.port());
        }


        @Override
        public ServerFaults serverFaults() {
            return new ServerFaults() {
                @Override
                public Topology topology() {
                    return Topology.PRIMARY_REPLICA;
                }

                /**
                 * The realistic failover: the replica lags (frozen for a moment while the primary keeps
                 * acknowledging grants), then the primary dies and the lagging replica is promoted.
                 * Whatever the primary acknowledged in that moment is lost.
                 */
                @Override
                public void failover() {
                    pair.replica().pause();
                    try {
                        java.util.concurrent.TimeUnit.MILLISECONDS.sleep(300); // the replication lag being injected
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    pair.primary().kill();
                    pair.replica().resume();
                    pair.promote();
                    address.retarget(pair.replica().host(), pair.replica().port());
                }

                /** A fresh pair with the same admin password and every namespace user made so far. */
                @Override
                public void reset() {
                    pair.close();
                    pair = TestServers.redisReplicaPair(tls);
                    RedisSecureBackend.protect(List.of(pair.replica(), pair.primary()), adminPassword());
                    regrant();
                    address.retarget(pair.primary().host(), pair.primary().port());
                }
            };
        }
    }
}
