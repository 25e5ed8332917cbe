package io.coord.shard;

import io.coord.group.Membership;
import java.util.Map;
import java.util.Set;

/**
 * A member's share of a group's shards, from {@link io.coord.Session#shards(String, String, int, ShardListener)}.
 *
 * <p>Guarantees:
 * <ul>
 *   <li><b>Safety.</b> Shard {@code s} is guarded by the fenced lock named {@link #lockName(String, int)}. This member
 *       is told {@link ShardListener#assigned} only once it holds that lock, and a move releases the lock only after
 *       {@link ShardListener#revoked} returned. So at most one live session owns a shard at any instant, and each
 *       owner's token is greater than every earlier owner's: a shard's store that checks tokens rejects a paused
 *       owner's stale write.</li>
 *   <li><b>Assignment.</b> Every member computes the same assignment from the live membership (members that ask for
 *       the same shard count), in join order: the first member takes every shard, and each later one takes
 *       ⌊shards / members⌋ shards from the most loaded members, preferring shards by a hash of its member id. So
 *       loads differ by at most one, and a join moves exactly ⌊shards / members⌋ shards. A leave or crash of the
 *       newest member moves back exactly its shards; of an older one, the assignment is recomputed without it,
 *       which moves more (on average about twice its share).</li>
 *   <li><b>Liveness.</b> A member that dies without leaving keeps its locks until its session's TTL ends; then
 *       the members that see it gone acquire its shards. After a join, the shards move once the owners see it and
 *       release.</li>
 *   <li>Closing revokes every owned shard (the listener is told first), releases the locks and leaves the group.
 *       When the membership or the session is lost, every shard is revoked with {@code lost == true}.</li>
 * </ul>
 */
public interface ShardOwnership extends AutoCloseable {

    /** Largest shard count. */
    int MAX_SHARDS = 4096;

    /**
     * The name of the fenced lock that guards a shard: {@code group + "/shards/" + shard}. Do not use it for
     * anything else.
     *
     * @param group the group's name
     * @param shard the shard
     * @return the lock's name
     */
    static String lockName(String group, int shard) {
        return group + "/shards/" + shard;
    }

    /**
     * The group's name.
     *
     * @return the name given
     */
    String group();

    /**
     * How many shards the group is cut into.
     *
     * @return the shard count given
     */
    int shardCount();

    /**
     * The group membership that this ownership is computed from.
     *
     * @return the membership (leave it only through {@link #close()})
     */
    Membership membership();

    /**
     * The shards this member owns at the instant of the call (lock held, session valid), with their tokens.
     *
     * @return an immutable map of shard to fencing token
     */
    Map<Integer, Long> owned();

    /**
     * The shards the latest membership this member saw assigns to it; owned once their locks are granted.
     *
     * @return an immutable set
     */
    Set<Integer> assigned();

    /**
     * Revokes and releases every shard, then leaves the group; waits (bounded by the operation timeout per round
     * trip) for that. Idempotent. May be called from the listener.
     */
    @Override
    void close();
}
