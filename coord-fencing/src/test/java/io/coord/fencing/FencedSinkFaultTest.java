package io.coord.fencing;

import static org.assertj.core.api.Assertions.assertThat;

import io.coord.Coordinator;
import io.coord.Session;
import io.coord.lock.LockGrant;
import io.coord.testkit.CrashableClient;
import io.coord.testkit.faults.FaultReport;
import io.coord.testservers.EtcdServer;
import io.coord.testservers.PostgresProcess;
import io.coord.testservers.RedisServer;
import io.coord.testservers.TestServers;
import io.coord.testservers.ZooKeeperTestServer;
import io.etcd.jetcd.Client;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The fault scenario the sinks exist for, on every backend × every sink: a holder is cut off from the
 * coordination service past its TTL (a pause, a partition) while still able to reach the store; another
 * holder is granted the lock and writes; then the first one "wakes up" and writes with its old token. The
 * sink itself rejects that write, and the stored value is the newer holder's. Each case adds a row to
 * {@code target/fault-results.md}. The cut is the kit's {@link CrashableClient} (a TCP fault proxy in front
 * of the coordination server only), so the stale holder's coord session expires for real.
 */
class FencedSinkFaultTest {

    private static final Duration TTL = Duration.ofSeconds(2);

    private static ZooKeeperTestServer zookeeper;
    private static EtcdServer etcd;
    private static RedisServer redis;
    private static PostgresProcess postgres;
    private static Client etcdClient;
    private static RedisClient redisClient;
    private static StatefulRedisConnection<byte[], byte[]> redisConnection;
    private static ZooKeeper zk;
    private static Map<String, FenceContractTest.Sink> sinks;

    @BeforeAll
    static void start() throws Exception {
        zookeeper = TestServers.zookeeper();
        etcd = TestServers.etcd();
        redis = TestServers.redis();
        postgres = TestServers.postgres();
        etcdClient = Client.builder().endpoints(etcd.endpoints().toArray(new String[0])).build();
        redisClient = RedisClient.create(redis.uri());
        redisConnection = redisClient.connect(ByteArrayCodec.INSTANCE);
        zk = new ZooKeeper(zookeeper.connectString(), 4000, event -> { });
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> zk.getState().isConnected());

        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setUrl(postgres.jdbcUrl());
        JdbcFence jdbc = JdbcFence.of(dataSource);
        jdbc.createTableIfMissing();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS protected_value (resource TEXT PRIMARY KEY, value TEXT NOT NULL)");
        }
        RedisFence redisFence = RedisFence.of(redisConnection.sync());
        EtcdFence etcdFence = EtcdFence.of(etcdClient.getKVClient());
        ZooKeeperFence zkFence = ZooKeeperFence.of(zk);
        sinks = Map.of(
                "postgresql", new FenceContractTest.Sink(jdbc, (r, t, v) -> jdbc.write(r, t, c -> JdbcFenceTest.upsert(c, r, v)), r -> {
                    try (Connection c = dataSource.getConnection()) {
                        return JdbcFenceTest.read(c, r);
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                }),
                "redis", FenceContractTest.Sink.ofBytes(redisFence, r -> redisConnection.sync().get(redisFence.valueKey(r))),
                "etcd", FenceContractTest.Sink.ofBytes(etcdFence, r -> etcdValue(etcdFence, r)),
                "zookeeper", FenceContractTest.Sink.ofBytes(zkFence, r -> zkValue(zkFence, r)));
    }

    @AfterAll
    static void stop() throws Exception {
        FenceContractTest.closeAll(zk, redisConnection, () -> redisClient.shutdown(), etcdClient, postgres, redis, etcd, zookeeper);
    }

    /** Backend name → (host:port of the server, namespace) → coord URI. */
    private static final Map<String, BiFunction<String, String, String>> URIS = Map.of(
            "zookeeper", (hp, ns) -> "zookeeper://" + hp + "/" + ns,
            "etcd", (hp, ns) -> "etcd://" + hp + "/" + ns,
            "redis", (hp, ns) -> "redis://" + hp + "/" + ns);

    static Stream<Arguments> backendsAndSinks() {
        return Stream.of("zookeeper", "etcd", "redis")
                .flatMap(b -> Stream.of("postgresql", "redis", "etcd", "zookeeper").map(s -> Arguments.of(b, s)));
    }

    @ParameterizedTest(name = "{0} lock, {1} sink")
    @MethodSource("backendsAndSinks")
    void aPausedHoldersLateWriteIsRejectedByTheSinkItself(String backend, String sinkName) throws Exception {
        FenceContractTest.Sink sink = sinks.get(sinkName);
        String namespace = "sinkfault-" + UUID.randomUUID().toString().substring(0, 8);
        String resource = "orders/" + namespace;
        String server = server(backend);
        try (CrashableClient stale = CrashableClient.throughProxies(List.of(server),
                proxies -> Coordinator.open(URIS.get(backend).apply(proxies.get(0), namespace)));
             Coordinator fresh = Coordinator.open(URIS.get(backend).apply(server, namespace))) {
            Session a = stale.coordinator().openSession(TTL);
            LockGrant old = a.lock("job").acquire();
            assertThat(sink.write(resource, old.fencingToken(), "a1").accepted()).isTrue();

            stale.crash(); // the holder freezes: its renewals stop reaching the server, but it still believes it holds
            long cutAt = System.nanoTime();
            try (Session b = fresh.openSession(TTL)) {
                LockGrant next = b.lock("job").tryAcquire(Duration.ofSeconds(60)).orElseThrow();
                Duration recovery = Duration.ofNanos(System.nanoTime() - cutAt);
                assertThat(next.fencingToken()).isGreaterThan(old.fencingToken());
                assertThat(sink.write(resource, next.fencingToken(), "b1").accepted()).isTrue();

                FenceResult late = sink.write(resource, old.fencingToken(), "a2 (stale)"); // it wakes up and writes
                assertThat(late.isStale()).as("the sink rejects the paused holder's write").isTrue();
                assertThat(late.highestSeen()).isEqualTo(next.fencingToken());
                assertThat(sink.value(resource)).as("the newer holder's write stands").isEqualTo(Optional.of("b1"));
                next.release();
                FaultReport.add(new FaultReport.Row("holder paused past its TTL, late write to the " + sinkName + " sink",
                        label(backend), 3, 2, 1, 0, 1, List.of(recovery), "ok (the sink rejected the stale write)"));
            }
        }
    }

    private static String server(String backend) {
        return switch (backend) {
            case "zookeeper" -> zookeeper.connectString();
            case "etcd" -> etcd.endpoints().get(0).replaceFirst("^https?://", "");
            case "redis" -> redis.host() + ":" + redis.port();
            default -> throw new IllegalArgumentException(backend);
        };
    }

    private static String label(String backend) {
        return backend.equals("etcd") ? "etcd (single node)" : backend + " (single server)";
    }

    private static byte[] etcdValue(EtcdFence fence, String resource) {
        try {
            var kvs = etcdClient.getKVClient().get(fence.valueKey(resource)).get().getKvs();
            return kvs.isEmpty() ? null : kvs.get(0).getValue().getBytes();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] zkValue(ZooKeeperFence fence, String resource) {
        try {
            return zk.getData(fence.valueNode(resource), false, null);
        } catch (KeeperException.NoNodeException e) {
            return null;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
