package io.coord.redis;

import io.coord.Primitive;

/**
 * What {@code WAIT} answered after one grant when the durability knob is on
 * ({@link RedisCoordinatorBuilder#replicaAcknowledgement(int, java.time.Duration)}).
 *
 * <p>Honest meaning: {@code acknowledged} replicas had received the grant (and every earlier
 * write of that master) when WAIT returned. It narrows the window in which a failover loses the
 * grant; it does not close it (a replica that acknowledged may still not be the one promoted, and
 * Redis replication stays asynchronous). {@code acknowledged < requested} means the grant may be
 * lost on failover; {@code -1} means WAIT itself failed (unknown).
 *
 * @param primitive the kind of grant (LOCK, FAIR_LOCK, ELECTION, SEMAPHORE, READ_WRITE_LOCK), or GROUP for a
 *                  session's join, update or leave of a group member
 * @param name      lock, election or group name
 * @param token     fencing token or term of the grant; for GROUP the group's counter value the write produced
 *                  (the join token of a join, the version of an update, the group's revision after a leave)
 * @param requested replicas asked for
 * @param acknowledged replicas that acknowledged, or -1 if unknown
 */
public record ReplicaAcknowledgement(Primitive primitive, String name, long token, int requested, long acknowledged) {

    /**
     * Whether at least the requested number of replicas acknowledged the grant.
     *
     * @return true if {@code acknowledged >= requested}; false when fewer did or WAIT failed ({@code -1})
     */
    public boolean complete() {
        return acknowledged >= requested;
    }
}
