package io.coord;

import io.coord.group.Membership;
import io.coord.shard.ShardListener;
import io.coord.shard.ShardOwnership;

import io.coord.election.Election;
import io.coord.lock.FairLock;
import io.coord.lock.FencedLock;
import io.coord.lock.ReadWriteLock;
import io.coord.semaphore.Semaphore;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A lease on the backend, kept alive in the background, that owns everything acquired under it.
 *
 * <p>Life cycle: {@link SessionState#ACTIVE} → {@link SessionState#SUSPENDED} (renewals failing,
 * still valid until {@link #validUntilNanos()}) → {@link SessionState#EXPIRED} (gone for sure), or
 * {@link SessionState#CLOSED} by {@link #close()} from any live state. EXPIRED and CLOSED are final.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>{@link #validUntilNanos()} is computed on the local monotonic clock from the moment the
 *       last successful renewal was <em>sent</em>, plus the granted TTL. The server received that
 *       renewal later than it was sent, so its own expiry is never earlier than this deadline:
 *       until then, nobody else can have been granted what this session holds.</li>
 *   <li>When that deadline passes without a newer successful renewal, the session is reported
 *       EXPIRED even if the server is unreachable, and every grant and leadership it holds is
 *       reported lost at that moment.</li>
 *   <li>{@link #close()} revokes the lease at once: everything held is free immediately, not
 *       after the TTL.</li>
 *   <li>Everything acquired under a session is lost with it; a waiter whose session ends stops
 *       waiting, removes its queue entry and fails with {@link SessionExpiredException}.</li>
 *   <li>One session holds a given lock name at most once: asking again while it holds (or waits
 *       for) that lock fails at once with {@link AlreadyHeldException}; there is no re-entrance. The same
 *       holds for a permit of a semaphore name and for a read-write lock name (one mode at a time).</li>
 * </ul>
 */
public interface Session extends AutoCloseable {

    /**
     * The backend's identity of this session (ZooKeeper session id, etcd lease id, Redis session key), as text.
     *
     * @return the id, fixed for the session's life; {@link io.coord.election.Leader#sessionId()} uses the same text
     */
    String id();

    /**
     * The TTL asked for.
     *
     * @return the TTL passed to {@link Coordinator#openSession(Duration)}
     */
    Duration requestedTtl();

    /**
     * The TTL the server actually granted (backends clamp or round; a difference is also logged at WARN).
     *
     * @return the granted TTL, on which the renewal interval and {@link #validUntilNanos()} are based
     */
    Duration grantedTtl();

    /**
     * The current state. It may change at any moment, except once {@link SessionState#isTerminal() terminal}.
     *
     * @return the state at the time of the call
     */
    SessionState state();

    /**
     * The local deadline, on the {@link System#nanoTime()} scale, until which this session is known
     * to be alive on the server. Never later than the server's own expiry.
     *
     * @return a {@link System#nanoTime()} value, to compare by subtraction ({@code validUntil - System.nanoTime() > 0});
     *         it never decreases
     */
    long validUntilNanos();

    /**
     * Time left until {@link #validUntilNanos()}, or zero.
     *
     * @return the time left, never negative; {@link Duration#ZERO} once the deadline has passed
     */
    default Duration remainingValidity() {
        long left = validUntilNanos() - System.nanoTime();
        return left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
    }

    /**
     * Registers a listener told of every later state change, in order, on the coordinator's event
     * thread. Closing the returned subscription stops further calls.
     *
     * @param listener not null; no earlier change is replayed to it
     * @return the subscription whose {@link Subscription#close()} removes the listener
     */
    Subscription addListener(SessionListener listener);

    /**
     * Completes with {@link SessionState#EXPIRED} or {@link SessionState#CLOSED} when the session ends.
     *
     * @return a new dependent future on each call (completing it does not affect the session); the session's end
     *         completes it on the coordinator's event thread
     */
    CompletableFuture<SessionState> whenEnded();

    /**
     * A fenced lock of this name owned by this session; see {@link FencedLock} for its guarantees.
     *
     * @param name the lock's name (see {@link Coordinator} for legal names)
     * @return a new handle; creating it sends nothing to the server
     * @throws SessionExpiredException if this session has ended
     * @throws IllegalStateException   if the coordinator is closed
     */
    FencedLock lock(String name);

    /**
     * A revision-ordered fair lock of this name owned by this session; see {@link FairLock}. It is not the
     * {@link #lock(String) lock} of the same name: the two never exclude each other.
     *
     * @param name the lock's name (see {@link Coordinator} for legal names)
     * @return a new handle; creating it sends nothing to the server
     * @throws SessionExpiredException if this session has ended
     * @throws IllegalStateException   if the coordinator is closed
     */
    FairLock fairLock(String name);

    /**
     * An election of this name in which this session may campaign.
     *
     * @param name the election's name (see {@link Coordinator} for legal names)
     * @return a new handle, which also reads and observes like {@link Coordinator#election(String)}
     * @throws SessionExpiredException if this session has ended
     * @throws IllegalStateException   if the coordinator is closed
     */
    Election election(String name);

    /**
     * A semaphore of this name with {@code permits} permits, of which this session may hold one; see {@link Semaphore}.
     *
     * @param name    the semaphore's name (see {@link Coordinator} for legal names)
     * @param permits how many permits the semaphore has, between 1 and {@link Semaphore#MAX_PERMITS}; every
     *                session using the name must ask with the same number
     * @return a new handle; creating it sends nothing to the server
     * @throws IllegalArgumentException if {@code permits} is out of range or the name is illegal
     * @throws SessionExpiredException  if this session has ended
     * @throws IllegalStateException    if the coordinator is closed
     */
    Semaphore semaphore(String name, int permits);

    /**
     * A read-write lock of this name owned by this session; see {@link ReadWriteLock}. It is not the
     * {@link #lock(String) lock} or {@link #fairLock(String) fair lock} of the same name.
     *
     * @param name the lock's name (see {@link Coordinator} for legal names)
     * @return a new handle; creating it sends nothing to the server
     * @throws SessionExpiredException if this session has ended
     * @throws IllegalStateException   if the coordinator is closed
     */
    ReadWriteLock readWriteLock(String name);

    /**
     * Revokes the lease: everything held becomes free at once, pending acquisitions fail with
     * {@link SessionExpiredException}, grants report {@link LossReason#SESSION_CLOSED}. Idempotent.
     */
    @Override
    void close();

    /**
     * Joins a group: one round trip that stores the member, tied to this session's lease, so that it leaves
     * with the session (close, expiry) if it does not leave before. See {@link Membership} for the guarantees.
     *
     * @param group    the group's name (same rules as lock names)
     * @param memberId the member's id within the group (same rules as lock names)
     * @param metadata what the member announces, at most 4 096 UTF-8 bytes (e.g. {@code "host:port"}); {@code ""} for none
     * @return the membership; leave or close it to leave the group
     * @throws NullPointerException       if an argument is null
     * @throws IllegalArgumentException   if a name breaks the rules or the metadata is too long
     * @throws AlreadyHeldException       if this session is already a member of the group with this id
     * @throws MemberIdInUseException     if another live session holds the member id
     * @throws SessionExpiredException    if this session has ended
     * @throws BackendUnavailableException if the server cannot be reached in time (nothing is left behind: the
     *                                    server removes a join that was applied with the session)
     */
    Membership join(String group, String memberId, String metadata);

    /**
     * Joins a group as a sharding member and owns a share of its {@code shardCount} shards, each guarded by a
     * fenced lock; see {@link ShardOwnership} for the assignment and the guarantees.
     *
     * @param group      the group's name (same rules as lock names, leaving room for the shard locks' names)
     * @param memberId   the member's id within the group (same rules as lock names)
     * @param shardCount how many shards, between 1 and {@link ShardOwnership#MAX_SHARDS}; every member must ask with
     *                   the same count (a member announcing another count gets no shards in this member's view)
     * @param listener   told of every shard assigned and revoked, on the ownership's own thread
     * @return the ownership; close it to give the shards up and leave
     * @throws NullPointerException        if an argument is null
     * @throws IllegalArgumentException    if a name breaks the rules or the count is out of range
     * @throws AlreadyHeldException        if this session is already a member of the group with this id
     * @throws MemberIdInUseException      if another live session holds the member id
     * @throws SessionExpiredException     if this session has ended
     * @throws BackendUnavailableException if the server cannot be reached in time
     */
    ShardOwnership shards(String group, String memberId, int shardCount, ShardListener listener);

    /**
     * {@link #shards(String, String, int, ShardListener)} with this session's {@link #id()} as the member id.
     *
     * @param group      the group's name
     * @param shardCount how many shards
     * @param listener   told of every shard assigned and revoked
     * @return the ownership
     */
    default ShardOwnership shards(String group, int shardCount, ShardListener listener) {
        return shards(group, id(), shardCount, listener);
    }
}
