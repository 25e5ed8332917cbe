package io.coord.redis;

import io.coord.testkit.faults.FaultBackend;
import io.coord.testkit.faults.FaultKit;
import io.coord.testkit.faults.ServerFaults;
import io.coord.testservers.RedisReplicaPair;
import io.coord.testservers.TcpFaultProxy;
import io.coord.testservers.TestServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/**
 * Fault scenarios against a primary with an asynchronously replicated replica. Clients reach the
 * primary through one fixed address (a proxy, as a virtual IP or Sentinel-driven DNS would be);
 * a failover kills the primary, promotes the replica and moves the address to it. Redis declares
 * no failover safety: the kit measures the damage and fails only if more was claimed.
 */
@DisplayName("redis primary + replica: faults")
class RedisPrimaryReplicaFaultTest extends FaultKit {

    private static RedisReplicaPair pair;
    private static TcpFaultProxy address;
    private static RedisFaultBackend backend;

    @BeforeAll
    static void start() {
        pair = TestServers.redisReplicaPair();
        address = TcpFaultProxy.start(pair.primary().host(), pair.primary().port());
        backend = new RedisFaultBackend("redis (primary + replica)", "127.0.0.1", address.port(), new ServerFaults() {
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

            @Override
            public void reset() {
                pair.close();
                pair = TestServers.redisReplicaPair();
                address.retarget(pair.primary().host(), pair.primary().port());
            }
        });
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
}
