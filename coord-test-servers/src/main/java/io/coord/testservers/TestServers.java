package io.coord.testservers;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The entry point tests use to get servers, applying {@link TestServerPolicy} (external env ›
 * binary on PATH › Testcontainers › fail with install instructions; developer opt-out only outside
 * CI). Every method returns a started, ready server the caller must close (try-with-resources or
 * {@code @AfterAll}); a JVM shutdown hook closes anything left over.
 *
 * <pre>{@code
 * try (EtcdServer etcd = TestServers.etcdCluster()) {
 *     etcd.requireFaults();                 // abort (or fail under CI) if external
 *     int leader = etcd.awaitLeader(Duration.ofSeconds(10));
 *     etcd.member(leader).kill();
 * }
 * }</pre>
 */
public final class TestServers {
    private static final java.time.Duration EXTERNAL_PROBE = java.time.Duration.ofSeconds(5);

    private TestServers() {
    }

    /**
     * In-process ZooKeeper, tick 200 ms (always available).
     *
     * @return a started server; close it when done
     */
    public static ZooKeeperTestServer zookeeper() {
        return ZooKeeperTestServer.start();
    }

    /**
     * In-process 3-member ZooKeeper ensemble, tick 200 ms (always available).
     *
     * @return a started ensemble with a quorum; close it when done
     */
    public static ZooKeeperTestEnsemble zookeeperEnsemble() {
        return ZooKeeperTestEnsemble.start();
    }

    /**
     * A throwaway PostgreSQL on a loopback port, started from the installed binaries ({@link PostgresProcess}).
     *
     * @return a started server accepting connections; close it when done
     * @throws TestServerUnavailableException when no PostgreSQL binaries are installed
     */
    public static PostgresProcess postgres() {
        return PostgresProcess.start();
    }

    /**
     * A single etcd node (or the external cluster).
     *
     * @return a healthy server; close it when done
     * @throws TestServerUnavailableException when no source is available (the message says what to install or set)
     * @throws org.opentest4j.TestAbortedException when a developer opted out outside CI
     */
    public static EtcdServer etcd() {
        return etcd(1, TestServerPolicy.fromEnvironment());
    }

    /**
     * A 3-member etcd cluster (or the external cluster).
     *
     * @return a healthy cluster; close it when done
     * @throws TestServerUnavailableException when no source is available (the message says what to install or set)
     * @throws org.opentest4j.TestAbortedException when a developer opted out outside CI
     */
    public static EtcdServer etcdCluster() {
        return etcd(3, TestServerPolicy.fromEnvironment());
    }

    /**
     * An etcd of {@code members} members chosen by {@code policy}. Testcontainers provides single
     * nodes only: a cluster request without the binary fails with install instructions.
     *
     * @param members the number of members the kit starts from a binary (an external server is used as it is)
     * @param policy the source policy
     * @return a healthy server or cluster; close it when done
     * @throws TestServerUnavailableException when no source is available (the message says what to install or set)
     * @throws org.opentest4j.TestAbortedException when a developer opted out outside CI
     */
    public static EtcdServer etcd(int members, TestServerPolicy policy) {
        TestServerPolicy.Decision d = policy.decide(TestServerPolicy.Kind.ETCD);
        switch (d.source()) {
            case EXTERNAL: {
                ExternalEtcd e = ExternalEtcd.parse(d.external().orElseThrow());
                requireReachable(e);
                Reaper.register(e);
                return e;
            }
            case BINARY:
                return EtcdCluster.start(d.binary().orElseThrow(), members);
            case TESTCONTAINERS: {
                if (members != 1) {
                    throw new TestServerUnavailableException("a " + members + "-member etcd cluster needs the etcd binary"
                            + " (Testcontainers support covers single nodes): "
                            + policy.unavailableMessage(TestServerPolicy.Kind.ETCD));
                }
                Containers.Handle h = Containers.startEtcd();
                ExternalEtcd e = new ExternalEtcd(ServerSource.TESTCONTAINERS,
                        List.of("http://" + h.host() + ":" + h.port()), h::stop);
                Reaper.register(e);
                return e;
            }
            default:
                throw new IllegalStateException("unexpected source " + d.source());
        }
    }

    /**
     * A single Redis (or the external one).
     *
     * @return a server answering PING; close it when done
     * @throws TestServerUnavailableException when no source is available (the message says what to install or set)
     * @throws org.opentest4j.TestAbortedException when a developer opted out outside CI
     */
    public static RedisServer redis() {
        return redis(TestServerPolicy.fromEnvironment());
    }

    /**
     * A single Redis chosen by {@code policy}.
     *
     * @param policy the source policy
     * @return a server answering PING; close it when done
     * @throws TestServerUnavailableException when no source is available (the message says what to install or set)
     * @throws org.opentest4j.TestAbortedException when a developer opted out outside CI
     */
    public static RedisServer redis(TestServerPolicy policy) {
        TestServerPolicy.Decision d = policy.decide(TestServerPolicy.Kind.REDIS);
        switch (d.source()) {
            case EXTERNAL: {
                ExternalRedis r = ExternalRedis.parse(d.external().orElseThrow());
                requireReachable(r);
                Reaper.register(r);
                return r;
            }
            case BINARY:
                return RedisProcess.start(d.binary().orElseThrow());
            case TESTCONTAINERS: {
                Containers.Handle h = Containers.startRedis();
                ExternalRedis r = new ExternalRedis(ServerSource.TESTCONTAINERS, h.host(), h.port(), h::stop);
                Reaper.register(r);
                return r;
            }
            default:
                throw new IllegalStateException("unexpected source " + d.source());
        }
    }

    /**
     * A 3-master Redis Cluster: the external one named by {@code COORD_REDIS_CLUSTER_URIS}
     * (comma-separated {@code redis://host:port}) if set, else started from the binary. The same
     * opt-out rules as {@link #redis()} apply; without a binary it fails with install instructions
     * (no Testcontainers cluster).
     *
     * @return a cluster whose every node reported {@code cluster_state:ok}; close it when done
     * @throws TestServerUnavailableException when no source is available (the message says what to install or set)
     * @throws org.opentest4j.TestAbortedException when a developer opted out outside CI
     */
    public static RedisClusterServer redisCluster() {
        return redisCluster(TestServerPolicy.fromEnvironment(), System.getenv("COORD_REDIS_CLUSTER_URIS"));
    }

    static RedisClusterServer redisCluster(TestServerPolicy policy, String externalUris) {
        if (externalUris != null && !externalUris.isBlank()) {
            policy.checkOptOut(TestServerPolicy.Kind.REDIS);
            List<String> uris = new ArrayList<>();
            for (String s : externalUris.split(",")) {
                if (!s.isBlank()) {
                    uris.add(s.trim().contains("://") ? s.trim() : "redis://" + s.trim());
                }
            }
            ExternalRedisCluster c = new ExternalRedisCluster(uris);
            Reaper.register(c);
            return c;
        }
        return RedisCluster.start(requireRedisBinary(policy, "a Redis Cluster"));
    }

    /**
     * A single Redis started from the binary, serving TLS only with {@code tls} (needs the binary: the kit owns its certificates).
     *
     * @param tls the certificates the servers serve and require
     * @return a TLS-only server answering PING; close it when done
     * @throws TestServerUnavailableException when the {@code redis-server} binary is not available
     */
    public static RedisProcess redis(RedisTls tls) {
        return RedisProcess.start(requireRedisBinary(TestServerPolicy.fromEnvironment(), "a Redis with TLS"), List.of(), tls);
    }

    /**
     * A 3-master Redis Cluster started from the binary, serving TLS only, its bus and replication over TLS.
     *
     * @param tls the certificates the servers serve and require
     * @return a TLS-only cluster, {@code cluster_state:ok} on every node; close it when done
     * @throws TestServerUnavailableException when the {@code redis-server} binary is not available
     */
    public static RedisCluster redisCluster(RedisTls tls) {
        return RedisCluster.start(requireRedisBinary(TestServerPolicy.fromEnvironment(), "a Redis Cluster with TLS"), tls);
    }

    /**
     * A Redis primary with one replica, both serving TLS only and replicating over TLS.
     *
     * @param tls the certificates the servers serve and require
     * @return the pair, the replica linked; close it when done
     * @throws TestServerUnavailableException when the {@code redis-server} binary is not available
     */
    public static RedisReplicaPair redisReplicaPair(RedisTls tls) {
        return RedisReplicaPair.start(requireRedisBinary(TestServerPolicy.fromEnvironment(), "a Redis primary/replica pair with TLS"), tls);
    }

    /**
     * A Redis primary with one replica (needs the binary: replication and promotion are faults).
     *
     * @return the pair, the replica linked; close it when done
     * @throws TestServerUnavailableException when the {@code redis-server} binary is not available
     */
    public static RedisReplicaPair redisReplicaPair() {
        return RedisReplicaPair.start(requireRedisBinary(TestServerPolicy.fromEnvironment(), "a Redis primary/replica pair"));
    }

    private static void requireReachable(EtcdServer etcd) {
        for (String ep : etcd.endpoints()) {
            if (!EtcdHttp.isHealthy(ep, EXTERNAL_PROBE)) {
                throw new TestServerUnavailableException("COORD_ETCD_ENDPOINTS names " + ep
                        + ", which does not answer GET /health with {\"health\":\"true\"} within " + EXTERNAL_PROBE);
            }
        }
    }

    private static void requireReachable(RedisServer redis) {
        try (RespConnection c = RespConnection.open(redis.host(), redis.port(), EXTERNAL_PROBE)) {
            Object pong = c.command("PING");
            if (!"PONG".equals(pong)) {
                throw new IllegalStateException("PING answered " + pong);
            }
        } catch (RuntimeException e) {
            throw new TestServerUnavailableException("COORD_REDIS_URI names " + redis.uri()
                    + ", which does not answer PING: " + e.getMessage(), e);
        }
    }

    private static Path requireRedisBinary(TestServerPolicy policy, String what) {
        TestServerPolicy.Decision d;
        try {
            d = policy.decide(TestServerPolicy.Kind.REDIS);
        } catch (TestServerUnavailableException e) {
            throw new TestServerUnavailableException(what + " needs the redis-server binary. " + e.getMessage(), e);
        }
        Optional<Path> binary = d.source() == ServerSource.BINARY ? d.binary() : policy.findBinary(TestServerPolicy.Kind.REDIS);
        if (binary.isPresent()) {
            return binary.get();
        }
        throw new TestServerUnavailableException(what + " is started by the kit from the redis-server binary, which is"
                + " not on PATH (the policy chose " + d.source() + ", which cannot provide it). "
                + policy.unavailableMessage(TestServerPolicy.Kind.REDIS));
    }

    /** A Redis Cluster the kit did not start; no faults. */
    static final class ExternalRedisCluster implements RedisClusterServer {
        private final List<String> uris;

        ExternalRedisCluster(List<String> uris) {
            if (uris.isEmpty()) {
                throw new TestServerUnavailableException("COORD_REDIS_CLUSTER_URIS names no node");
            }
            this.uris = List.copyOf(uris);
        }

        @Override
        public ServerSource source() {
            return ServerSource.EXTERNAL;
        }

        @Override
        public List<String> seedUris() {
            return uris;
        }

        @Override
        public List<RedisProcess> nodes() {
            return List.of();
        }

        @Override
        public void close() {
            Reaper.unregister(this);
        }
    }
}
