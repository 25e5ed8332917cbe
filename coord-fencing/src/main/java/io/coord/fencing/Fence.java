package io.coord.fencing;

import io.coord.election.Leadership;
import io.coord.lock.LockGrant;
import java.util.OptionalLong;

/**
 * The resource side of fencing: a store that applies a write to a named resource only if the
 * write's token is at least the highest token it has recorded for that resource.
 *
 * <p>Guarantee: {@link #write} checks {@code token >= highest}, records {@code token} as the new
 * highest and applies {@code operation}, all in ONE atomic step of the store, or does none of it.
 * An equal token is accepted (the same holder writing twice); a lower one is rejected with
 * {@link FenceResult#stale} naming the highest seen, and the operation is not applied. Hence, per
 * resource, the recorded token never decreases, and once a write with token {@code t} has been
 * accepted no write with a token below {@code t} is ever applied after it. The token is any
 * {@code long > 0} that grows with each new holder: a {@link LockGrant#fencingToken()}, a
 * {@link Leadership#term()}, or a counter of your own. Resources are independent of each other.
 *
 * <p>Implementations are thread-safe. A store failure is reported with
 * {@link io.coord.BackendUnavailableException}: the write may or may not have been applied unless
 * the implementation says otherwise; retrying with the same token is safe.
 *
 * @param <O> what one write does to the store (a value to set, or the caller's SQL)
 */
public interface Fence<O> {

    /**
     * Applies {@code operation} to {@code resource} if {@code token} is at least the highest token
     * recorded for it, recording {@code token}; otherwise applies nothing.
     *
     * @param resource the fenced resource: not blank, at most 256 UTF-8 bytes
     * @param token the writer's fencing token, {@code > 0}
     * @return {@link FenceResult#accepted()} true if applied, else the highest token seen
     * @throws IllegalArgumentException on a blank resource or a token {@code <= 0}
     */
    FenceResult write(String resource, long token, O operation);

    /** The highest token recorded for {@code resource}, empty if nothing was ever accepted for it. */
    OptionalLong highestToken(String resource);

    /** {@link #write} with the lock's name as resource and the grant's fencing token. */
    default FenceResult write(LockGrant grant, O operation) {
        return write(grant.lockName(), grant.fencingToken(), operation);
    }

    /** {@link #write} with the election's name as resource and the leadership's term as token. */
    default FenceResult write(Leadership leadership, O operation) {
        return write(leadership.electionName(), leadership.term(), operation);
    }
}
