package io.coord.spring.integration;

import io.coord.AlreadyHeldException;
import io.coord.CoordException;
import io.coord.LockLostException;
import io.coord.SessionExpiredException;
import io.coord.lock.FencedLock;
import io.coord.lock.LockGrant;
import io.coord.spi.Arguments;
import io.coord.spring.integration.CoordLockRegistry.KeyState;
import java.time.Duration;
import java.util.ConcurrentModificationException;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import org.springframework.dao.CannotAcquireLockException;
import org.springframework.dao.DataAccessResourceFailureException;

/**
 * A {@link Lock} of a {@link CoordLockRegistry}: a JVM-local {@link ReentrantLock} in front of one coord grant held by
 * the registry's session, with the grant's {@linkplain #fencingToken() fencing token} at hand.
 *
 * <p>Guarantees, as Spring Integration's own distributed registries give them:
 * <ul>
 *   <li><b>Threads.</b> The local lock serialises the threads of this process: one thread at a time holds it. It is
 *       re-entrant per thread; {@link #unlock()} by a thread that does not hold it throws
 *       {@link IllegalStateException} and changes nothing.</li>
 *   <li><b>Processes.</b> The outermost {@code lock} of a thread (hold count 0 → 1) acquires the coord grant
 *       ({@code session.lock(name)}, or {@code session.fairLock(name)} for a fair registry); the last
 *       {@link #unlock()} (hold count 1 → 0) releases it. Nested locks send nothing. While the session lives no other
 *       session holds a grant of the same name, so no thread of another process holds this lock.</li>
 *   <li><b>Waiting.</b> A pending acquisition holds no thread but the caller's. {@link #lock()} does not give up when
 *       interrupted (the interrupt status is kept); {@link #lockInterruptibly()} and {@link #tryLock(long, TimeUnit)}
 *       do, and coord removes their queue entry before they return. {@code tryLock(time, unit)} spends one budget on
 *       the local lock and the grant together; it returns within that time plus up to two server round trips (the
 *       acquisition's and, on a timeout, the withdrawal's), each bounded by the coordinator's operation
 *       timeout.</li>
 *   <li><b>Failures.</b> A grant that cannot be had for another reason than a timeout or an interrupt (the session has
 *       ended, the server failed the request, an earlier release of this key is still not confirmed) throws
 *       {@link CannotAcquireLockException} with coord's exception as the cause, and the local lock is not held
 *       afterwards.</li>
 *   <li><b>Loss.</b> A grant lost while held (its session expired or was closed, its entry deleted) makes
 *       {@link #isHeld()} false at once, a nested {@code lock} throw {@link CannotAcquireLockException}, and the last
 *       {@link #unlock()} throw {@link ConcurrentModificationException} (as Spring's Redis and JDBC registries do when
 *       their key expired): the work done under the lock may have overlapped with another holder's. Only a resource
 *       that checks {@link #fencingToken()} can have rejected the stale writes. The local lock is released all the
 *       same.</li>
 *   <li>{@link #newCondition()} is not supported.</li>
 * </ul>
 *
 * <p>Threads: every method runs on the caller's thread; acquisition and release park only that thread while coord
 * talks to the server (a release is one round trip bounded by the coordinator's operation timeout). Do not lock on one
 * of coord's threads (a session listener, a {@code whenLost} stage): {@link #lock()} waits for a reply that needs
 * that thread and would never return.
 *
 * <p>A lock object is a view of its key in the registry: every lock object of the same key, including one obtained
 * before the key was {@linkplain CoordLockRegistry#expireUnusedOlderThan(long) expired}, shares the key's local lock
 * and grant.
 */
public final class CoordLock implements Lock {

    /** Beyond coord's longest timeout a timed wait is treated as unbounded. */
    private static final long MAX_TIMEOUT_NANOS = Arguments.MAX_TIMEOUT.toNanos();

    private final CoordLockRegistry registry;
    private final String name;

    /**
     * Made by {@link CoordLockRegistry} only.
     *
     * @param registry the registry whose session owns the grants
     * @param name     the validated coord lock name
     */
    CoordLock(CoordLockRegistry registry, String name) {
        this.registry = registry;
        this.name = name;
    }

    /**
     * The coord lock name this lock maps to.
     *
     * @return the registry key, which is used as the coord lock name unchanged
     */
    public String name() {
        return name;
    }

    /**
     * The fencing token of the grant the current thread holds: strictly greater than every token granted before for
     * this lock name on this backend. Send it with every write to the protected resource, and have the resource reject
     * tokens lower than the highest it has seen.
     *
     * @return the token, {@code > 0}, fixed from the outermost {@code lock} to the last {@code unlock}
     * @throws IllegalStateException if the current thread does not hold this lock
     */
    public long fencingToken() {
        KeyState s = registry.current(name);
        if (s == null || !s.local.isHeldByCurrentThread() || s.grant == null) {
            throw new IllegalStateException("the current thread does not hold lock '" + name + "' of " + registry
                    + ": a fencing token exists only between lock() and unlock() on the holding thread");
        }
        return s.grant.fencingToken();
    }

    /**
     * Whether the current thread holds this lock and its coord grant is still held: false from the instant the
     * session's validity deadline passes, even before the loss is signalled.
     *
     * @return true while the current thread may act as the holder
     */
    public boolean isHeld() {
        KeyState s = registry.current(name);
        return s != null && s.local.isHeldByCurrentThread() && s.grant != null && s.grant.isHeld();
    }

    /**
     * Whether some thread of this process holds the local lock (the grant may have been lost meanwhile).
     *
     * @return true while locked in this process
     */
    boolean isLockedInThisProcess() {
        KeyState s = registry.current(name);
        return s != null && s.local.isLocked();
    }

    /**
     * Blocks until this thread holds the lock; interrupts do not end the wait (the interrupt status is kept). Never
     * call it on one of coord's threads (a session listener, a {@code whenLost} stage): it waits for a reply that
     * needs that thread, and would never return.
     *
     * @throws CannotAcquireLockException if the grant cannot be had (session ended, server failure, an earlier
     *         release of this key still unconfirmed, grant lost under a nested lock)
     */
    @Override
    public void lock() {
        KeyState s = registry.pin(name);
        boolean locked = false;
        boolean done = false;
        try {
            s.local.lock();
            locked = true;
            if (!nested(s)) {
                s.grant = start(s).acquireAsync().join(); // join() waits uninterruptibly
            }
            done = true;
        } catch (CompletionException e) {
            throw cannotAcquire(e.getCause() == null ? e : e.getCause());
        } catch (RuntimeException e) {
            throw cannotAcquire(e);
        } finally {
            undoUnlessDone(s, locked, done);
        }
    }

    /**
     * Blocks until this thread holds the lock or is interrupted.
     *
     * @throws InterruptedException if interrupted while waiting; coord has removed the queue entry and the local lock
     *         is not held
     * @throws CannotAcquireLockException if the grant cannot be had (see {@link #lock()})
     */
    @Override
    public void lockInterruptibly() throws InterruptedException {
        KeyState s = registry.pin(name);
        boolean locked = false;
        boolean done = false;
        try {
            s.local.lockInterruptibly();
            locked = true;
            if (!nested(s)) {
                s.grant = start(s).acquire();
            }
            done = true;
        } catch (RuntimeException e) {
            throw cannotAcquire(e);
        } finally {
            undoUnlessDone(s, locked, done);
        }
    }

    /**
     * Takes the lock only if both the local lock and the coord grant are free now; does not wait, but takes up to two
     * server round trips (the request and, if the grant is held elsewhere, the withdrawal of its entry), each bounded
     * by the coordinator's operation timeout.
     *
     * @return true if this thread now holds the lock; false if another thread or session holds it, or if the thread
     *         is interrupted (its interrupt status is then kept and nothing is sent)
     * @throws CannotAcquireLockException if the grant cannot be had for another reason (see {@link #lock()})
     */
    @Override
    public boolean tryLock() {
        try {
            return tryLock(0, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Waits for the local lock and the coord grant together, with one budget of {@code time}; zero or less tries
     * once. Returns within that time plus up to two server round trips (the acquisition's and, on a timeout, the
     * withdrawal of the queue entry), each bounded by the coordinator's operation timeout.
     *
     * @param time how long to wait; longer than 24 hours waits without bound
     * @param unit the unit of {@code time}, not null
     * @return true if this thread now holds the lock, false if the time ran out (coord has removed the queue entry)
     * @throws InterruptedException if interrupted while waiting (or already on entry); the queue entry is removed and
     *         the local lock not held
     * @throws CannotAcquireLockException if the grant cannot be had for another reason (see {@link #lock()})
     */
    @Override
    public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
        if (unit == null) {
            throw new NullPointerException("time unit must not be null");
        }
        long timeout = Math.max(0, unit.toNanos(time));
        long start = System.nanoTime();
        KeyState s = registry.pin(name);
        boolean locked = false;
        boolean done = false;
        try {
            if (!s.local.tryLock(timeout, TimeUnit.NANOSECONDS)) {
                return false;
            }
            locked = true;
            if (!nested(s)) {
                FencedLock handle = start(s);
                long left = Math.max(0, timeout - (System.nanoTime() - start));
                Optional<LockGrant> got = left > MAX_TIMEOUT_NANOS ? Optional.of(handle.acquire())
                        : handle.tryAcquire(Duration.ofNanos(left));
                if (got.isEmpty()) {
                    return false;
                }
                s.grant = got.get();
            }
            done = true;
            return true;
        } catch (RuntimeException e) {
            throw cannotAcquire(e);
        } finally {
            undoUnlessDone(s, locked, done);
        }
    }

    /**
     * Releases one hold of the current thread; the last one releases the coord grant (one server round trip).
     *
     * @throws IllegalStateException if the current thread does not hold this lock
     * @throws ConcurrentModificationException if the grant had been lost before this release (the local lock is
     *         released all the same)
     * @throws DataAccessResourceFailureException if the server did not confirm the release or failed it (as Spring's
     *         JDBC registry reports a failed release): the local lock is released, the registry retries the release
     *         in the background, and the next outermost lock of this key retries it before acquiring anew
     */
    @Override
    public void unlock() {
        KeyState s = registry.current(name);
        if (s == null || !s.local.isHeldByCurrentThread()) {
            throw new IllegalStateException("the current thread does not hold lock '" + name + "' of " + registry
                    + " (hold count 0): only the thread that locked it may unlock it");
        }
        if (s.local.getHoldCount() > 1) {
            s.local.unlock();
            registry.unpin(s);
            return;
        }
        LockGrant held = s.grant;
        s.grant = null;
        try {
            held.release();
        } catch (LockLostException e) {
            throw new ConcurrentModificationException("lock '" + name + "' of " + registry + " was lost before unlock ("
                    + e.reason() + "): the work done under it may have overlapped with another holder's, "
                    + "only a resource checking its fencing token " + held.fencingToken() + " can have rejected it", e);
        } catch (CoordException e) {
            registry.releaseLater(s, held); // before the local unlock: the next holder sees it
            throw new DataAccessResourceFailureException("the release of lock '" + name + "' of " + registry
                    + " was not confirmed by the server; it is retried in the background and by the next lock of "
                    + "this key", e);
        } finally {
            s.local.unlock();
            registry.unpin(s);
        }
    }

    /**
     * Not supported: a coord grant has no condition queue.
     *
     * @return never
     * @throws UnsupportedOperationException always
     */
    @Override
    public Condition newCondition() {
        throw new UnsupportedOperationException("conditions are not supported by coord locks (lock '" + name + "')");
    }

    /**
     * With the local lock just taken: true if this is a nested hold (the grant is already there), after checking that
     * the grant was not lost meanwhile.
     */
    private boolean nested(KeyState s) {
        if (s.local.getHoldCount() == 1) {
            return false;
        }
        if (!s.grant.isHeld()) {
            throw new CannotAcquireLockException("lock '" + name + "' of " + registry + " was lost while this thread "
                    + "held it (fencing token " + s.grant.fencingToken() + "); unlock it (which reports the loss) and "
                    + "lock again");
        }
        return true;
    }

    /**
     * With the local lock just taken, outermost: retries a release of this key the server did not confirm, and
     * returns a fresh coord handle (which sends nothing).
     */
    private FencedLock start(KeyState s) {
        registry.releasePending(s);
        return registry.handle(name);
    }

    /** At the end of a lock call that did not take a hold: gives back the local lock (if taken) and the use. */
    private void undoUnlessDone(KeyState s, boolean locked, boolean done) {
        if (done) {
            return;
        }
        if (locked) {
            s.local.unlock();
        }
        registry.unpin(s);
    }

    private CannotAcquireLockException cannotAcquire(Throwable cause) {
        if (cause instanceof CannotAcquireLockException c) {
            return c;
        }
        String why;
        if (cause instanceof SessionExpiredException) {
            why = "the session has ended";
        } else if (cause instanceof AlreadyHeldException) {
            why = "the session already holds or waits for this name (an earlier release not confirmed yet, or the "
                    + "name used outside this registry on the same session)";
        } else if (cause instanceof CoordException) {
            why = "the server failed the request";
        } else {
            why = cause.toString();
        }
        return new CannotAcquireLockException("cannot lock '" + name + "' of " + registry + ": " + why, cause);
    }

    @Override
    public String toString() {
        return "CoordLock{name='" + name + "', registry=" + registry + ", lockedInThisProcess=" + isLockedInThisProcess()
                + "}";
    }
}
