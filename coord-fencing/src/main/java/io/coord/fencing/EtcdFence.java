package io.coord.fencing;

import io.coord.BackendUnavailableException;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link Fence} on etcd whose write is a put of the resource's value key, in ONE etcd
 * transaction with the fence: {@code If(value(tokenKey) > token) Then(get tokenKey)
 * Else(put tokenKey = token, put valueKey = value)}. Tokens are stored as 19 zero-padded digits, so
 * etcd's byte-wise value compare is numeric; a missing token key fails the compare (etcd: a value
 * compare on an absent key is false), so the first write is accepted. Keys: see {@link #tokenKey}
 * / {@link #valueKey}.
 *
 * <p>Guarantee: the compare and both puts are one serializable etcd transaction: there is no
 * moment at which the value is written and the token not, or a lower token follows a higher one.
 * Each request waits at most the timeout given (default 10 s), then fails with
 * {@link BackendUnavailableException} (the write may have been applied). The fence does not own
 * the client; call it from your own threads (it blocks), never from a jetcd callback.
 */
public final class EtcdFence implements Fence<byte[]> {
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private final KV kv;
    private final String prefix;
    private final Duration timeout;

    private EtcdFence(KV kv, String prefix, Duration timeout) {
        this.kv = Objects.requireNonNull(kv, "etcd KV client");
        this.prefix = Objects.requireNonNull(prefix, "key prefix");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("etcd request timeout must be > 0, got " + timeout);
        }
    }

    /**
     * A fence with keys under {@code coord/fence/} and a 10 s request timeout.
     *
     * @param kv the KV client of a jetcd {@code Client} ({@code client.getKVClient()}); not owned by the fence
     * @return a fence; creating it sends nothing
     * @throws NullPointerException if {@code kv} is null
     */
    public static EtcdFence of(KV kv) {
        return new EtcdFence(kv, FenceKeys.ETCD_PREFIX, DEFAULT_TIMEOUT);
    }

    /**
     * A fence with keys under {@code prefix} and {@code timeout} per request.
     *
     * @param kv      the KV client of a jetcd {@code Client} ({@code client.getKVClient()}); not owned by the fence
     * @param prefix  prepended to every key as is (may be empty; end it with '/' to keep a directory shape)
     * @param timeout how long each request may take, {@code > 0}
     * @return a fence; creating it sends nothing
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code timeout} is zero or negative
     */
    public static EtcdFence of(KV kv, String prefix, Duration timeout) {
        return new EtcdFence(kv, prefix, timeout);
    }

    /**
     * The key holding {@code resource}'s highest token ({@code <prefix>token/<resource>}, 19 zero-padded digits).
     *
     * @param resource the fenced resource: not blank, at most 256 UTF-8 bytes
     * @return the key, UTF-8
     * @throws IllegalArgumentException if {@code resource} is blank or longer than 256 UTF-8 bytes
     */
    public ByteSequence tokenKey(String resource) {
        return ByteSequence.from(FenceKeys.etcdToken(prefix, Tokens.resource(resource)));
    }

    /**
     * The key the accepted writes of {@code resource} put ({@code <prefix>value/<resource>}).
     *
     * @param resource the fenced resource: not blank, at most 256 UTF-8 bytes
     * @return the key, UTF-8
     * @throws IllegalArgumentException if {@code resource} is blank or longer than 256 UTF-8 bytes
     */
    public ByteSequence valueKey(String resource) {
        return ByteSequence.from(FenceKeys.etcdValue(prefix, Tokens.resource(resource)));
    }

    /** Puts {@link #valueKey} = {@code value} if {@code token} is at least the recorded one; see {@link Fence#write}. */
    @Override
    public FenceResult write(String resource, long token, byte[] value) {
        Tokens.token(token);
        Objects.requireNonNull(value, "value");
        ByteSequence tokenKey = tokenKey(resource);
        ByteSequence encoded = ByteSequence.from(Tokens.encode(token));
        TxnResponse r = await(kv.txn()
                .If(new Cmp(tokenKey, Cmp.Op.GREATER, CmpTarget.value(encoded)))
                .Then(Op.get(tokenKey, GetOption.DEFAULT))
                .Else(Op.put(tokenKey, encoded, PutOption.DEFAULT), Op.put(valueKey(resource), ByteSequence.from(value), PutOption.DEFAULT))
                .commit(), "fenced write of " + resource);
        if (!r.isSucceeded()) {
            return FenceResult.accepted(resource, token);
        }
        return FenceResult.stale(resource, token, decode(r.getGetResponses().get(0).getKvs(), tokenKey).orElseThrow());
    }

    @Override
    public OptionalLong highestToken(String resource) {
        ByteSequence tokenKey = tokenKey(resource);
        GetResponse r = await(kv.get(tokenKey), "read of the fence of " + resource);
        return decode(r.getKvs(), tokenKey);
    }

    private static OptionalLong decode(List<KeyValue> kvs, ByteSequence key) {
        if (kvs.isEmpty()) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Tokens.decode(kvs.get(0).getValue().getBytes(), "etcd key " + key.toString(StandardCharsets.UTF_8)));
    }

    private <T> T await(CompletableFuture<T> request, String what) {
        try {
            return request.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            request.cancel(true);
            Thread.currentThread().interrupt();
            throw new BackendUnavailableException("etcd: interrupted during the " + what + " (it may have been applied)", e);
        } catch (TimeoutException e) {
            request.cancel(true);
            throw new BackendUnavailableException("etcd: no answer to the " + what + " within " + timeout
                    + " (it may have been applied; retrying with the same token is safe)", e);
        } catch (ExecutionException e) {
            throw new BackendUnavailableException("etcd: the " + what + " failed (it may have been applied): "
                    + e.getCause(), e.getCause());
        }
    }
}
