package io.coord.lock;

import io.coord.AlreadyHeldException;
import io.coord.Session;
import io.coord.SessionExpiredException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A lock, owned by a {@link Session}, whose every grant carries a fencing token.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>While a grant's session is alive, no other session holds a grant of this lock name.</li>
 *   <li>{@link LockGrant#fencingToken()} is {@code > 0} and strictly greater than every token ever
 *       granted before for this lock name on this backend (see the backend's
 *       {@code DURABLE_FENCING_TOKENS} capability for failover). A holder that paused past its
 *       lease can still believe it holds the lock: pass the token to the resource and have it
 *       reject writes with a token lower than the highest it has seen.</li>
 *   <li>Fairness: none promised; when the lock is released, any waiter may win. Use
 *       {@link FairLock} for strict request order. (A backend may serve this lock fairly.)</li>
 *   <li>A timed-out, interrupted or cancelled acquisition removes its queue entry before it
 *       reports failure; the lock is never handed to a waiter that gave up.</li>
 *   <li>Not re-entrant: the session asking again while it holds or waits for this lock fails at
 *       once with {@link AlreadyHeldException}.</li>
 *   <li>Ownership is the session's, not a thread's: any thread may release a grant.</li>
 * </ul>
 */
public interface FencedLock {

    /**
     * The lock's name, as given.
     *
     * @return the name passed to {@link Session#lock(String)} or {@link Session#fairLock(String)}
     */
    String name();

    /**
     * The session that owns the grants of this handle.
     *
     * @return the owning session, the same on every call
     */
    Session session();

    /**
     * Blocks until granted.
     *
     * @return the grant, held by {@link #session()}
     * @throws InterruptedException if interrupted while waiting; the queue entry is removed first
     * @throws SessionExpiredException if the session ends before the grant
     * @throws AlreadyHeldException if this session already holds or waits for this lock
     * @throws io.coord.BackendUnavailableException if the server fails the request
     */
    LockGrant acquire() throws InterruptedException;

    /**
     * Waits at most {@code timeout} for the grant; {@code Duration.ZERO} tries once.
     *
     * @param timeout between 0 and 24 hours
     * @return the grant, or empty if it timed out (the queue entry is removed before returning)
     * @throws InterruptedException if interrupted while waiting; the queue entry is removed first
     * @throws SessionExpiredException if the session ends before the grant
     * @throws AlreadyHeldException if this session already holds or waits for this lock
     */
    Optional<LockGrant> tryAcquire(Duration timeout) throws InterruptedException;

    /**
     * Starts an acquisition. Cancelling the future (or completing it yourself) abandons the
     * request: the queue entry is removed, and a grant that raced the cancellation is released.
     *
     * @return the acquisition's own future; it completes on the coordinator's event thread, with the grant or with
     *         the failure ({@link SessionExpiredException} if the session ends, {@link io.coord.BackendUnavailableException}
     *         if the server fails the request)
     * @throws SessionExpiredException if the session has already ended
     * @throws AlreadyHeldException if this session already holds or waits for this lock (thrown, not in the future)
     */
    CompletableFuture<LockGrant> acquireAsync();
}
