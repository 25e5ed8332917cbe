package io.coord.redis;

import io.coord.BackendUnavailableException;
import io.coord.group.GroupSnapshot;
import io.coord.spi.GroupFeed;
import io.coord.spi.GroupViewBase;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A read-only view of a Redis group (needs no session).
 *
 * <p>{@link #read()} is {@link RedisGroup#readLive()}: one {@code members.lua} plus one {@code PTTL} per distinct
 * session among the members (sent together); a member whose session key is gone is evicted ({@code leave.lua},
 * which publishes its departure) and the group read again, so a read never reports a dead session's member. Each
 * watch is a {@link RedisGroupWatch} of its own.
 *
 * <p>Threads: {@link #read()} blocks its caller for at most the operation timeout; the view holds no state of its
 * own beyond its immutable {@link RedisGroup}.
 */
final class RedisGroupView extends GroupViewBase {

    private final RedisCoordinator redis;
    private final RedisGroup group;

    RedisGroupView(RedisCoordinator redis, String name) {
        super(redis, name);
        this.redis = redis;
        this.group = new RedisGroup(redis, name);
    }

    @Override
    protected GroupSnapshot read() {
        long timeout = redis.operationTimeout().toMillis();
        try {
            return group.readLive().get(timeout, TimeUnit.MILLISECONDS).snapshot();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendUnavailableException("interrupted while reading " + group, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof BackendUnavailableException b) {
                throw b;
            }
            throw new BackendUnavailableException("reading " + group + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new BackendUnavailableException("reading " + group + ": Redis did not answer within " + timeout + " ms", e);
        }
    }

    @Override
    protected Runnable startWatch(GroupFeed feed) {
        return new RedisGroupWatch(redis, group, feed).start();
    }
}
