package io.coord.redis.election;

import io.coord.redis.RedisKeys;
import io.coord.redis.RedisScript;
import io.coord.redis.lock.RedisQueueEntry;
import io.coord.redis.session.RedisSession;
import io.coord.spi.Candidate;
import io.lettuce.core.ScriptOutputType;

import java.util.List;

/**
 * A candidacy in a Redis election: a {@link RedisQueueEntry} in the election's queue whose value
 * lives in the election's {@code :v} hash. The leader is the lowest ticket; its ticket is the term,
 * so terms strictly increase across successive leaders (on a server that keeps its data; after a
 * data loss, as far as the counter's clock floor carries: see {@link RedisKeys}). Every change of leader (and "no leader")
 * is published, stamped with a version from the same counter, on the election's observer channel
 * by the script that made it.
 *
 * <p>{@link #proclaim(String)} runs {@code proclaim.lua}, which writes only if this member is the
 * head at that instant: a deposed leader can never overwrite a newer leader's value.
 */
public final class RedisCandidate extends RedisQueueEntry implements Candidate {

    public RedisCandidate(RedisSession session, String name, String value) {
        super(session, RedisKeys.Kind.ELECTION, name, value);
    }

    @Override
    public boolean proclaim(String value) throws Exception {
        List<Object> reply = await(redis.link().<List<Object>>eval(primitive, RedisScript.PROCLAIM, ScriptOutputType.MULTI,
                queue.keys(), member(), value, queue.observers()));
        return ((Long) reply.get(0)) == 1L;
    }
}
