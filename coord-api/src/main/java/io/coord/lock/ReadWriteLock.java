package io.coord.lock;

import io.coord.AlreadyHeldException;
import io.coord.Session;

/**
 * A read-write lock, owned by a {@link Session}: readers share, a writer excludes everyone, and requests are
 * served in the order the backend recorded them.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>A read request is granted when no write request stands ahead of it (readers in a row share); a write
 *       request when nothing stands ahead of it. A writer is therefore never starved by a stream of later
 *       readers: a reader that asks after a waiting writer waits behind it.</li>
 *   <li>While a write grant's session is alive, no other session holds a grant of this name, read or write.</li>
 *   <li>Tokens follow the record order. A write grant's token is strictly greater than the token of every grant
 *       of this name (read or write) made before it, and a read grant's token is greater than that of every write
 *       grant made before it: a resource that remembers the highest token it has seen rejects every stale
 *       writer.</li>
 *   <li>A release wakes only the waiters it lets in: one writer, or the readers up to the next writer.</li>
 *   <li>One session holds or waits for at most one of the two modes of a name: asking for the write lock while
 *       holding (or waiting for) the read lock, or the other way round, fails at once with
 *       {@link AlreadyHeldException}. There is no upgrade or downgrade, so no upgrade deadlock: release, then ask
 *       again.</li>
 *   <li>Otherwise each mode keeps the whole {@link FencedLock} contract: blocking, timed and asynchronous
 *       acquisition with the same cancellation hygiene, loss signals, release from any thread.</li>
 * </ul>
 * It is neither a {@link Session#lock(String) lock} nor a {@link Session#fairLock(String) fair lock} of the same
 * name: they never exclude each other.
 */
public interface ReadWriteLock {

    /**
     * The lock's name, as given.
     *
     * @return the name passed to {@link Session#readWriteLock(String)}
     */
    String name();

    /**
     * The session that owns the grants of this handle.
     *
     * @return the owning session, the same on every call
     */
    Session session();

    /**
     * The shared mode: its grants exclude writers only.
     *
     * @return the read lock of this name, whose grants' {@link LockGrant#lockName()} is {@link #name()}
     */
    FencedLock readLock();

    /**
     * The exclusive mode.
     *
     * @return the write lock of this name, whose grants' {@link LockGrant#lockName()} is {@link #name()}
     */
    FencedLock writeLock();
}
