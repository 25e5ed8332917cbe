package io.coord.fencing;

import io.coord.BackendUnavailableException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisScriptingCommands;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * A {@link Fence} on Redis whose write is a SET of the resource's value key: one Lua script
 * compares the given token with the one stored at the resource's token key and, if it is not
 * lower, sets the token key and the value key. Keys: see {@link #tokenKey} / {@link #valueKey}
 * (both share a Cluster slot).
 *
 * <p>Guarantee: Redis runs a script atomically, so the check, the token and the value are one
 * step; the token key is set before the value key, so even a write refused half-way (out of
 * memory) can only spend a token, never apply a value without recording its token. Limits (Redis,
 * not this class): replication is asynchronous, so a failover can lose an accepted write together
 * with its token; a fence is as durable as the Redis it lives in.
 *
 * <p>Give it the synchronous commands of a connection with byte-array keys and values
 * ({@code client.connect(ByteArrayCodec.INSTANCE).sync()}, or a Cluster connection's); the fence
 * does not own the connection. Thread-safe, as lettuce's connections are.
 */
public final class RedisFence implements Fence<byte[]> {
    /**
     * KEYS[1] token key, KEYS[2] value key; ARGV[1] token (19 digits), ARGV[2] value. Returns
     * {1, token} when applied, {0, highest} when stale. Equal-length digit strings compare as numbers.
     */
    static final String WRITE = String.join("\n",
            "local seen = redis.call('GET', KEYS[1])",
            "if seen and string.len(seen) ~= " + Tokens.DIGITS + " then",
            "  return redis.error_reply('coord-fencing: ' .. KEYS[1] .. ' holds a value that is not a fencing token')",
            "end",
            "if seen and seen > ARGV[1] then return {0, seen} end",
            "redis.call('SET', KEYS[1], ARGV[1])",
            "redis.call('SET', KEYS[2], ARGV[2])",
            "return {1, ARGV[1]}");

    private final RedisScriptingCommands<byte[], byte[]> redis;
    private final String prefix;
    private final String sha;

    private RedisFence(RedisScriptingCommands<byte[], byte[]> redis, String prefix) {
        this.redis = Objects.requireNonNull(redis, "redis commands");
        this.prefix = Objects.requireNonNull(prefix, "key prefix");
        this.sha = redis.digest(WRITE);
    }

    /**
     * A fence with keys under {@code coord:fence:}.
     *
     * @param redis synchronous commands of a byte-array connection (single server or Cluster); not owned by the fence
     * @return a fence; creating it sends nothing (the script is loaded on first use)
     * @throws NullPointerException if {@code redis} is null
     */
    public static RedisFence of(RedisScriptingCommands<byte[], byte[]> redis) {
        return new RedisFence(redis, FenceKeys.REDIS_PREFIX);
    }

    /**
     * A fence with keys under {@code prefix}.
     *
     * @param redis  synchronous commands of a byte-array connection (single server or Cluster); not owned by the fence
     * @param prefix prepended to every key as is (may be empty)
     * @return a fence; creating it sends nothing (the script is loaded on first use)
     * @throws NullPointerException if an argument is null
     */
    public static RedisFence of(RedisScriptingCommands<byte[], byte[]> redis, String prefix) {
        return new RedisFence(redis, prefix);
    }

    /**
     * The key holding {@code resource}'s highest token ({@code <prefix>{resource}:token}, 19 zero-padded digits).
     *
     * @param resource the fenced resource: not blank, at most 256 UTF-8 bytes
     * @return the key, UTF-8; in the same Cluster slot as {@link #valueKey}
     * @throws IllegalArgumentException if {@code resource} is blank or longer than 256 UTF-8 bytes
     */
    public byte[] tokenKey(String resource) {
        return FenceKeys.redisToken(prefix, Tokens.resource(resource));
    }

    /**
     * The key the accepted writes of {@code resource} SET ({@code <prefix>{resource}:value}).
     *
     * @param resource the fenced resource: not blank, at most 256 UTF-8 bytes
     * @return the key, UTF-8; in the same Cluster slot as {@link #tokenKey}
     * @throws IllegalArgumentException if {@code resource} is blank or longer than 256 UTF-8 bytes
     */
    public byte[] valueKey(String resource) {
        return FenceKeys.redisValue(prefix, Tokens.resource(resource));
    }

    /** Sets {@link #valueKey} to {@code value} if {@code token} is at least the recorded one; see {@link Fence#write}. */
    @Override
    public FenceResult write(String resource, long token, byte[] value) {
        Tokens.token(token);
        Objects.requireNonNull(value, "value");
        byte[][] keys = {tokenKey(resource), valueKey(resource)};
        List<Object> reply = run(keys, Tokens.encode(token), value);
        long highest = Tokens.decode((byte[]) reply.get(1), "Redis key " + new String(keys[0], java.nio.charset.StandardCharsets.UTF_8));
        return ((Long) reply.get(0)) == 1L ? FenceResult.accepted(resource, token) : FenceResult.stale(resource, token, highest);
    }

    @Override
    public OptionalLong highestToken(String resource) {
        byte[] key = tokenKey(resource);
        byte[] stored;
        try {
            stored = redis.eval("return redis.call('GET', KEYS[1])", ScriptOutputType.VALUE, key);
        } catch (RedisException e) {
            throw new BackendUnavailableException("redis: cannot read the fence of " + resource + ": " + e.getMessage(), e);
        }
        return stored == null ? OptionalLong.empty() : OptionalLong.of(Tokens.decode(stored, "Redis key " + resource));
    }

    private List<Object> run(byte[][] keys, byte[]... args) {
        try {
            try {
                return redis.evalsha(sha, ScriptOutputType.MULTI, keys, args);
            } catch (RedisNoScriptException e) {
                return redis.eval(WRITE, ScriptOutputType.MULTI, keys, args);
            }
        } catch (RedisCommandExecutionException e) {
            throw new IllegalStateException("redis refused the fenced write: " + e.getMessage(), e);
        } catch (RedisException e) {
            throw new BackendUnavailableException("redis: the fenced write failed or timed out (it may have been applied;"
                    + " retrying with the same token is safe): " + e.getMessage(), e);
        }
    }
}
