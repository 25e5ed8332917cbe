package io.coord.fencing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coord.testservers.RedisServer;
import io.coord.testservers.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link RedisFence} on a real redis-server started by coord-test-servers. */
class RedisFenceTest extends FenceContractTest {
    private static RedisServer redis;
    private static RedisClient client;
    private static StatefulRedisConnection<byte[], byte[]> connection;
    private static RedisCommands<byte[], byte[]> commands;
    private static RedisFence fence;

    @BeforeAll
    static void start() {
        redis = TestServers.redis();
        client = RedisClient.create(redis.uri());
        connection = client.connect(ByteArrayCodec.INSTANCE);
        commands = connection.sync();
        fence = RedisFence.of(commands);
    }

    @AfterAll
    static void stop() throws Exception {
        closeAll(connection, client, redis);
    }

    @Override
    Sink sink() {
        return Sink.ofBytes(fence, r -> commands.get(fence.valueKey(r)));
    }

    @Test
    void keysShareAHashSlotAndTokensAreStoredAsNineteenDigits() {
        assertThat(fence.write("slot {a}b", 42, new byte[] {1}).accepted()).isTrue();
        byte[] tokenKey = fence.tokenKey("slot {a}b");
        assertThat(new String(tokenKey, StandardCharsets.UTF_8)).isEqualTo("coord:fence:{slot {a}b}:token");
        assertThat(SlotHash.getSlot(tokenKey)).isEqualTo(SlotHash.getSlot(fence.valueKey("slot {a}b")));
        assertThat(new String(commands.get(tokenKey), StandardCharsets.US_ASCII)).isEqualTo("0000000000000000042");
    }

    @Test
    void theScriptIsReloadedAfterScriptFlush() {
        assertThat(fence.write("flush", 1, new byte[] {1}).accepted()).isTrue();
        commands.scriptFlush();
        assertThat(fence.write("flush", 2, new byte[] {2}).accepted()).isTrue();
        assertThat(fence.write("flush", 1, new byte[] {3}).highestSeen()).isEqualTo(2);
    }

    @Test
    void aForeignValueAtTheTokenKeyIsRefusedAndNothingIsWritten() {
        commands.set(fence.tokenKey("foreign"), "hello".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> fence.write("foreign", 5, new byte[] {5})).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not a fencing token");
        assertThat(commands.get(fence.valueKey("foreign"))).isNull();
    }
}
