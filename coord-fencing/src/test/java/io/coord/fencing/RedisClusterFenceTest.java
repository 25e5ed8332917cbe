package io.coord.fencing;

import io.coord.testservers.RedisClusterServer;
import io.coord.testservers.TestServers;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** {@link RedisFence} on a real 3-master Redis Cluster: the token and value keys share a slot, so the script runs. */
class RedisClusterFenceTest extends FenceContractTest {
    private static RedisClusterServer cluster;
    private static RedisClusterClient client;
    private static StatefulRedisClusterConnection<byte[], byte[]> connection;
    private static RedisAdvancedClusterCommands<byte[], byte[]> commands;
    private static RedisFence fence;

    @BeforeAll
    static void start() {
        cluster = TestServers.redisCluster();
        client = RedisClusterClient.create(cluster.seedUris().stream().map(RedisURI::create).toList());
        connection = client.connect(ByteArrayCodec.INSTANCE);
        commands = connection.sync();
        fence = RedisFence.of(commands, "app:");
    }

    @AfterAll
    static void stop() throws Exception {
        closeAll(connection, client, cluster);
    }

    @Override
    Sink sink() {
        return Sink.ofBytes(fence, r -> commands.get(fence.valueKey(r)));
    }
}
