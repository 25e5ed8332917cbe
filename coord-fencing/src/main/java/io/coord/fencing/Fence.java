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
     * @param operation what to apply to the store if the token is accepted (its meaning is the implementation's)
     * @return {@link FenceResult#accepted()} true if applied, else the highest token seen
     * @throws IllegalArgumentException on a blank resource or a token {@code <= 0}
     */
    FenceResult write(String resource, long token, O operation);

    /**
     * The highest token recorded for {@code resource}: the token of the latest accepted write, as the store
     * holds it when read (a concurrent write may raise it at once).
     *
     * @param resource the fenced resource: not blank, at most 256 UTF-8 bytes
     * @return the highest token, or empty if no write was ever accepted for {@code resource}
     * @throws IllegalArgumentException if {@code resource} is blank or longer than 256 UTF-8 bytes
     */
    OptionalLong highestToken(String resource);

    /**
     * {@link #write(String, long, Object)} with the lock's name as resource and the grant's fencing token: once
     * a later holder of the lock has written, this grant's writes are stale.
     *
     * @param grant     the writer's grant
     * @param operation what to apply if the grant's token is accepted
     * @return as {@link #write(String, long, Object)}
     */
    default FenceResult write(LockGrant grant, O operation) {
        return write(grant.lockName(), grant.fencingToken(), operation);
    }

    /**
     * {@link #write(String, long, Object)} with the election's name as resource and the leadership's term as
     * token: once a later leader has written, this leadership's writes are stale.
     *
     * @param leadership the writer's leadership
     * @param operation  what to apply if the term is accepted
     * @return as {@link #write(String, long, Object)}
     */
    default FenceResult write(Leadership leadership, O operation) {
        return write(leadership.electionName(), leadership.term(), operation);
    }
}
