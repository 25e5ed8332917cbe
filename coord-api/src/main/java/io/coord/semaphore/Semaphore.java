package io.coord.semaphore;

import io.coord.AlreadyHeldException;
import io.coord.Session;
import io.coord.SessionExpiredException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A counting semaphore of a fixed number of permits, owned by a {@link Session}, whose every permit is a
 * lease with a fencing token and a slot number.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>At most {@link #permits()} permits of this name are held by live sessions at any instant; a permit is
 *       lost with its session, so a dead holder's permit is free once its lease has run out on the server (never
 *       before the holder's {@link Session#validUntilNanos()}, never "forever"), and at once after
 *       {@link Session#close()}.</li>
 *   <li>{@link Permit#slot()} is a number in {@code [0, permits)} that no other live permit of this name holds:
 *       the lowest free one when the permit is granted, so a restarted worker tends to get its number back. Use it
 *       as a worker id.</li>
 *   <li>{@link Permit#fencingToken()} is {@code > 0} and strictly greater than the token of every permit of this
 *       name granted before it, so a resource fenced per slot (or per name) rejects a holder that paused past its
 *       lease.</li>
 *   <li>Waiters are served in the order the backend recorded their requests; a release wakes at most one waiter
 *       (the one it lets in). A timed-out, interrupted or cancelled acquisition removes its request before it
 *       reports failure, and a permit is never handed to a waiter that gave up.</li>
 *   <li>The number of permits is a property of the name, declared by every request: a request whose number
 *       differs from that of the live requests recorded before it (holders and waiters) fails with
 *       {@link IllegalStateException} naming both numbers. Once no session holds or waits for the name, the next
 *       request sets the number anew.</li>
 *   <li>One session holds or waits for at most one permit of a name: asking again fails at once with
 *       {@link AlreadyHeldException}. Take more permits with more sessions.</li>
 *   <li>Ownership is the session's, not a thread's: any thread may release a permit.</li>
 * </ul>
 */
public interface Semaphore {

    /** The largest number of permits a semaphore may have. */
    int MAX_PERMITS = 1024;

    /**
     * The semaphore's name, as given.
     *
     * @return the name passed to {@link Session#semaphore(String, int)}
     */
    String name();

    /**
     * The number of permits this handle asks with.
     *
     * @return between 1 and {@link #MAX_PERMITS}
     */
    int permits();

    /**
     * The session that owns the permits of this handle.
     *
     * @return the owning session, the same on every call
     */
    Session session();

    /**
     * Blocks until a permit is granted.
     *
     * @return the permit, held by {@link #session()}
     * @throws InterruptedException if interrupted while waiting; the request is removed first
     * @throws SessionExpiredException if the session ends before the grant
     * @throws AlreadyHeldException if this session already holds or waits for a permit of this name
     * @throws IllegalStateException if the live requests of this name use another number of permits
     * @throws io.coord.BackendUnavailableException if the server fails the request
     */
    Permit acquire() throws InterruptedException;

    /**
     * Waits at most {@code timeout} for a permit; {@code Duration.ZERO} tries once.
     *
     * @param timeout between 0 and 24 hours
     * @return the permit, or empty if it timed out (the request is removed before returning)
     * @throws InterruptedException if interrupted while waiting; the request is removed first
     * @throws SessionExpiredException if the session ends before the grant
     * @throws AlreadyHeldException if this session already holds or waits for a permit of this name
     * @throws IllegalStateException if the live requests of this name use another number of permits
     */
    Optional<Permit> tryAcquire(Duration timeout) throws InterruptedException;

    /**
     * Starts an acquisition. Cancelling the future (or completing it yourself) abandons the request: it is
     * removed, and a permit that raced the cancellation is released.
     *
     * @return the acquisition's own future; it completes on the coordinator's event thread, with the permit or the
     *         failure ({@link SessionExpiredException}, {@link IllegalStateException} for a different number of
     *         permits, {@link io.coord.BackendUnavailableException})
     * @throws SessionExpiredException if the session has already ended
     * @throws AlreadyHeldException if this session already holds or waits for a permit of this name
     */
    CompletableFuture<Permit> acquireAsync();
}
