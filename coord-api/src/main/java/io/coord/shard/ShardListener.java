package io.coord.shard;

/**
 * Told which shards a {@link ShardOwnership} owns. Both methods run on the ownership's own thread (one at a time,
 * in order, never on a client library's or the coordinator's event thread), so they may block briefly, for
 * example to flush a shard's work before returning from {@link #revoked}.
 */
public interface ShardListener {

    /**
     * This member now owns {@code shard}: it holds the shard's fenced lock.
     *
     * @param shard        the shard, between 0 and the shard count − 1
     * @param fencingToken the lock grant's token: greater than every earlier owner's token of this shard; send it with
     *                     every write to the shard's store, which must reject a token lower than the highest it has seen
     */
    void assigned(int shard, long fencingToken);

    /**
     * This member no longer owns {@code shard}: stop working on it before returning.
     *
     * <p>When the assignment moved away ({@code lost == false}), the shard's lock is released only after this
     * returns, so the next owner cannot be granted before. When the lock was lost ({@code lost == true}: the
     * session expired or its lock entry was deleted), another member may own the shard already; the store's
     * fencing check is what keeps this member's late writes out.
     *
     * @param shard the shard
     * @param lost  true if the lock was lost rather than released
     */
    void revoked(int shard, boolean lost);
}
