package io.coord.spring.integration;

import io.coord.Session;
import io.coord.SessionState;
import io.coord.lock.FencedLock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.springframework.dao.CannotAcquireLockException;
import org.springframework.integration.support.locks.ExpirableLockRegistry;
import org.springframework.integration.support.locks.RenewableLockRegistry;

/**
 * A Spring Integration {@link org.springframework.integration.support.locks.LockRegistry} whose locks are coord locks
 * held by one {@link Session}: {@link io.coord.lock.FencedLock fenced locks}, or {@link io.coord.lock.FairLock fair
 * locks} (granted in request order) for a {@linkplain #CoordLockRegistry(Session, boolean) fair} registry.
 *
 * <p>Mapping:
 * <ul>
 *   <li><b>Keys.</b> A lock key must be a {@link String}; it is the coord lock name, unchanged (non-blank, at most 256
 *       UTF-8 bytes, any characters; coord encodes it on the server). Other key types are refused with
 *       {@link IllegalArgumentException}, as Spring's Redis, JDBC and ZooKeeper registries refuse them: pass
 *       {@code String.valueOf(key)} if that is the name you mean. {@link #obtain(Object)} returns the same
 *       {@link CoordLock} for the same key until {@linkplain #expireUnusedOlderThan(long) expired}, and sends
 *       nothing.</li>
 *   <li><b>Ownership.</b> The session owns every grant of this registry; a JVM-local {@link
 *       java.util.concurrent.locks.ReentrantLock} per key serialises this process's threads, the outermost lock of a
 *       thread takes the coord grant and its last unlock releases it (see {@link CoordLock}). Two registries on the
 *       same session share the session's grants: the second one's lock of a key the first holds fails with
 *       {@link CannotAcquireLockException} instead of waiting. Use one registry per session.</li>
 *   <li><b>Lifetime.</b> Grants have no TTL of their own: they live while the session lives, and the session renews
 *       itself every third of its TTL. If it expires, every grant of this registry is lost (see {@link CoordLock} for
 *       what the holder sees). The registry never closes the session; nothing it acquires outlives the session.</li>
 *   <li>{@link #renewLock(Object)} sends nothing: it checks that the current thread holds the lock, that the grant is
 *       still held and that the session is {@link SessionState#ACTIVE}, and throws {@link IllegalStateException}
 *       otherwise. {@link #renewLock(Object, Duration)} is unsupported (a per-lock TTL does not exist);
 *       {@link #setRenewalTaskScheduler} is not needed and ignored.</li>
 *   <li>{@link #expireUnusedOlderThan(long)} forgets the lock objects not locked in this process and last acquired
 *       at least {@code age} ms ago; an unlocked lock holds nothing on the server, so this only frees memory. A
 *       forgotten object refuses to lock ({@link CannotAcquireLockException}): obtain a fresh one.</li>
 * </ul>
 *
 * <p>Thread safety: every method may be called from any thread; they run on the caller's thread.
 */
public final class CoordLockRegistry implements ExpirableLockRegistry<CoordLock>, RenewableLockRegistry<CoordLock> {

    /** The longest coord lock name, in UTF-8 bytes. */
    private static final int MAX_NAME_BYTES = 256;

    private final Session session;
    private final boolean fair;
    /** Key → its lock object; guarded by {@code this}. */
    private final Map<String, CoordLock> locks = new LinkedHashMap<>();

    /**
     * A registry of fenced locks ({@code session.lock(key)}); no fairness promised between processes.
     *
     * @param session the session that will own every grant, not null; the registry does not close it
     */
    public CoordLockRegistry(Session session) {
        this(session, false);
    }

    /**
     * A registry of fenced locks, or with {@code fair} of fair locks ({@code session.fairLock(key)}, granted in the
     * order the backend recorded the requests; the local locks are then fair too). A fair lock and a fenced lock of
     * the same name never exclude each other: all processes sharing a key must use the same kind.
     *
     * @param session the session that will own every grant, not null; the registry does not close it
     * @param fair    true for fair locks, false for fenced locks
     */
    public CoordLockRegistry(Session session, boolean fair) {
        this.session = Objects.requireNonNull(session, "session must not be null");
        this.fair = fair;
    }

    /**
     * The lock of {@code lockKey}, the same object on every call until expired. Sends nothing to the server.
     *
     * @param lockKey a {@link String}: non-blank, at most 256 UTF-8 bytes; used as the coord lock name unchanged
     * @return the lock of this key
     * @throws NullPointerException     if {@code lockKey} is null
     * @throws IllegalArgumentException if {@code lockKey} is not a String, is blank or is too long
     */
    @Override
    public CoordLock obtain(Object lockKey) {
        String name = name(lockKey);
        synchronized (this) {
            return locks.computeIfAbsent(name, n -> new CoordLock(this, n, fair));
        }
    }

    /**
     * Forgets the lock objects that no thread of this process holds and that were last acquired (or created) at least
     * {@code age} milliseconds ago. They hold nothing on the server.
     *
     * @param age the minimum age in milliseconds; 0 forgets every unlocked lock
     */
    @Override
    public void expireUnusedOlderThan(long age) {
        long now = System.currentTimeMillis();
        synchronized (this) {
            locks.values().removeIf(l -> !l.isLockedInThisProcess() && now - l.lockedAtMillis() >= age);
        }
    }

    /**
     * Checks that the current thread holds the lock of {@code lockKey} and may go on acting as its holder. Sends
     * nothing: the session renews itself (every third of its TTL), which keeps every grant it holds.
     *
     * @param lockKey the lock's key, as given to {@link #obtain(Object)}
     * @throws IllegalStateException if the current thread does not hold that lock, if its grant was lost, or if the
     *         session is not {@link SessionState#ACTIVE} (renewals failing: the grant is safe only until the session's
     *         validity deadline, and lost after it)
     * @throws IllegalArgumentException if {@code lockKey} is not a valid key
     */
    @Override
    public void renewLock(Object lockKey) {
        String name = name(lockKey);
        CoordLock lock;
        synchronized (this) {
            lock = locks.get(name);
        }
        if (lock == null || !lock.isHeldByCurrentThread()) {
            throw new IllegalStateException("cannot renew lock '" + name + "' of " + this
                    + ": the current thread does not hold it");
        }
        if (!lock.isHeld()) {
            throw new IllegalStateException("cannot renew lock '" + name + "' of " + this + ": its grant (fencing token "
                    + lock.fencingToken() + ") was lost with session " + session.id() + " (" + session.state() + ")");
        }
        SessionState state = session.state();
        if (state != SessionState.ACTIVE) {
            throw new IllegalStateException("cannot renew lock '" + name + "' of " + this + ": session " + session.id()
                    + " is " + state + "; its grant is safe for at most " + session.remainingValidity().toMillis()
                    + " ms more");
        }
    }

    /**
     * Not supported: a coord grant has no TTL of its own; it lives as long as the session, whose TTL was fixed when it
     * was opened. Use {@link #renewLock(Object)} to check that the grant is still held.
     *
     * @param lockKey ignored
     * @param ttl     ignored
     * @throws UnsupportedOperationException always
     */
    @Override
    public void renewLock(Object lockKey, Duration ttl) {
        throw new UnsupportedOperationException("coord locks have no TTL of their own: a grant lives as long as session "
                + session.id() + " (granted TTL " + session.grantedTtl() + ", renewed by the session itself); "
                + "call renewLock(key) to check that the grant is still held");
    }

    /**
     * The session that owns this registry's grants.
     *
     * @return the session given at construction
     */
    Session session() {
        return session;
    }

    /**
     * A new coord handle for {@code name} (sends nothing).
     *
     * @param name the lock name
     * @return {@code session.fairLock(name)} for a fair registry, else {@code session.lock(name)}
     */
    FencedLock handle(String name) {
        return fair ? session.fairLock(name) : session.lock(name);
    }

    /**
     * Called by {@code lock} with its local lock held: refuses a lock object this registry has forgotten. Eviction
     * skips objects whose local lock is held, and both run under this monitor, so a check that passes stays true
     * until the local lock is released.
     *
     * @param lock the lock about to acquire its grant
     * @throws CannotAcquireLockException if the registry no longer maps its key to {@code lock}
     */
    synchronized void checkCurrent(CoordLock lock) {
        if (locks.get(lock.name()) != lock) {
            throw new CannotAcquireLockException("lock '" + lock.name() + "' was expired from " + this
                    + " (expireUnusedOlderThan); obtain a fresh one from the registry");
        }
    }

    private static String name(Object lockKey) {
        if (lockKey == null) {
            throw new NullPointerException("lock key must not be null");
        }
        if (!(lockKey instanceof String name)) {
            throw new IllegalArgumentException("lock key must be a String, the coord lock name (got a "
                    + lockKey.getClass().getName() + "); pass String.valueOf(key) if that is the name you mean");
        }
        if (name.isBlank()) {
            throw new IllegalArgumentException("lock key must not be blank (got \"" + name + "\")");
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("lock key is " + bytes + " UTF-8 bytes long; at most " + MAX_NAME_BYTES
                    + " are allowed");
        }
        return name;
    }

    @Override
    public String toString() {
        return "CoordLockRegistry{session=" + session.id() + ", " + (fair ? "fair locks" : "fenced locks") + "}";
    }
}
