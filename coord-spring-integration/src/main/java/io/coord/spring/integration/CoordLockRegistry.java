package io.coord.spring.integration;

import io.coord.CoordException;
import io.coord.LockLostException;
import io.coord.Session;
import io.coord.SessionState;
import io.coord.lock.FencedLock;
import io.coord.lock.LockGrant;
import io.coord.spi.Arguments;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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
 *   <li><b>Keys.</b> A lock key must be a {@link String}; it is the coord lock name, unchanged (non-blank, at most
 *       {@link Arguments#MAX_NAME_BYTES} (256) UTF-8 bytes, any characters; coord encodes it on the server). Other key
 *       types are refused with {@link IllegalArgumentException}, as Spring's Redis, JDBC and ZooKeeper registries
 *       refuse them: pass
 *       {@code String.valueOf(key)} if that is the name you mean. {@link #obtain(Object)} returns the same
 *       {@link CoordLock} for the same key until {@linkplain #expireUnusedOlderThan(long) expired}, and sends
 *       nothing.</li>
 *   <li><b>Ownership.</b> The session owns every grant of this registry; a JVM-local {@link
 *       java.util.concurrent.locks.ReentrantLock} per key serialises this process's threads, the outermost lock of a
 *       thread takes the coord grant and its last unlock releases it (see {@link CoordLock}). Two registries on the
 *       same session would share the session's grants (coord locks are not re-entrant per session), so a second
 *       registry on a session that already has one is refused at construction with {@link IllegalStateException}:
 *       one registry per session (fair or not), for the session's life.</li>
 *   <li><b>Lifetime.</b> Grants have no TTL of their own: they live while the session lives, and the session renews
 *       itself every third of its TTL. If it expires, every grant of this registry is lost (see {@link CoordLock} for
 *       what the holder sees). The registry never closes the session; nothing it acquires outlives the session.</li>
 *   <li>{@link #renewLock(Object)} sends nothing: it checks that the current thread holds the lock, that the grant is
 *       still held and that the session is {@link SessionState#ACTIVE}, and throws {@link IllegalStateException}
 *       otherwise. {@link #renewLock(Object, Duration)} is unsupported (a per-lock TTL does not exist);
 *       {@link #setRenewalTaskScheduler} is not needed and ignored.</li>
 *   <li><b>Unconfirmed releases.</b> A release the server did not confirm leaves the grant counted as held by the
 *       session. The registry keeps it per key and retries it in the background (a short-lived daemon thread per
 *       attempt, backing off from 200 ms to 5 s, at most 20 attempts, stopping when it succeeds, the grant is lost or
 *       the session ends); the next outermost lock of that key, through any lock object, retries it first.</li>
 *   <li>{@link #expireUnusedOlderThan(long)} forgets the per-key state no thread of this process holds, waits for
 *       or is in a lock call on, that has no pending release, and that was last used more than {@code age} ms ago
 *       (Spring's {@code >}); such a key holds nothing on the server, so this only frees memory. A lock object
 *       obtained before keeps working: it finds (or makes again) its key's state on its next lock.</li>
 * </ul>
 *
 * <p>Thread safety: every method may be called from any thread; they run on the caller's thread.
 */
public final class CoordLockRegistry implements ExpirableLockRegistry<CoordLock>, RenewableLockRegistry<CoordLock> {

    private static final Logger log = LoggerFactory.getLogger(CoordLockRegistry.class);
    /** The sessions that have a registry (weakly held: a session forgotten by the application leaves this map). */
    private static final Map<Session, Boolean> SESSIONS_WITH_A_REGISTRY = Collections.synchronizedMap(new WeakHashMap<>());
    /** First pause before retrying an unconfirmed release in the background; doubled per attempt. */
    private static final long RELEASE_RETRY_FIRST_MS = 200;
    /** Longest pause between two background release attempts. */
    private static final long RELEASE_RETRY_MAX_MS = 5000;
    /** Background release attempts before leaving the release to the key's next lock (or the session's end). */
    private static final int RELEASE_RETRY_ATTEMPTS = 20;

    private final Session session;
    private final boolean fair;
    /** Key → its state; guarded by {@code this}. */
    private final Map<String, KeyState> keys = new LinkedHashMap<>();

    /**
     * A registry of fenced locks ({@code session.lock(key)}); no fairness promised between processes.
     *
     * @param session the session that will own every grant, not null, without a registry yet; the registry does not
     *                close it
     * @throws NullPointerException  if {@code session} is null
     * @throws IllegalStateException if {@code session} already has a registry
     */
    public CoordLockRegistry(Session session) {
        this(session, false);
    }

    /**
     * A registry of fenced locks, or with {@code fair} of fair locks ({@code session.fairLock(key)}, granted in the
     * order the backend recorded the requests; the local locks are then fair too). A fair lock and a fenced lock of
     * the same name never exclude each other: all processes sharing a key must use the same kind.
     *
     * @param session the session that will own every grant, not null, without a registry yet; the registry does not
     *                close it
     * @param fair    true for fair locks, false for fenced locks
     * @throws NullPointerException  if {@code session} is null
     * @throws IllegalStateException if {@code session} already has a registry: two registries on one session would
     *         share its grants, and the second one's lock of a key the first holds would fail instead of waiting
     */
    public CoordLockRegistry(Session session, boolean fair) {
        this.session = Objects.requireNonNull(session, "session must not be null");
        this.fair = fair;
        if (SESSIONS_WITH_A_REGISTRY.putIfAbsent(session, Boolean.TRUE) != null) {
            throw new IllegalStateException("session " + session.id() + " already has a CoordLockRegistry: use one "
                    + "registry per session (two would share its grants, and one's lock of a key the other holds "
                    + "would fail instead of waiting); open another session for another registry");
        }
    }

    /**
     * The lock of {@code lockKey}, the same object on every call until its key is expired. Sends nothing to the
     * server.
     *
     * @param lockKey a {@link String}: non-blank, at most {@link Arguments#MAX_NAME_BYTES} UTF-8 bytes; used as the
     *                coord lock name unchanged
     * @return the lock of this key
     * @throws NullPointerException     if {@code lockKey} is null
     * @throws IllegalArgumentException if {@code lockKey} is not a String, is blank or is too long
     */
    @Override
    public CoordLock obtain(Object lockKey) {
        String name = name(lockKey);
        synchronized (this) {
            return state(name).lock;
        }
    }

    /**
     * Forgets the per-key state that is not in use (no thread holds, waits for or is locking the key, no release
     * pending) and was last used more than {@code age} milliseconds ago. Such keys hold nothing on the server.
     *
     * @param age the age in milliseconds; the state must be strictly older
     */
    @Override
    public void expireUnusedOlderThan(long age) {
        long now = System.currentTimeMillis();
        synchronized (this) {
            keys.values().removeIf(s -> s.users == 0 && s.pending == null && now - s.lastUsedMillis > age);
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
        KeyState s = current(name);
        if (s == null || !s.local.isHeldByCurrentThread()) {
            throw new IllegalStateException("cannot renew lock '" + name + "' of " + this
                    + ": the current thread does not hold it");
        }
        if (!s.grant.isHeld()) {
            throw new IllegalStateException("cannot renew lock '" + name + "' of " + this + ": its grant (fencing token "
                    + s.grant.fencingToken() + ") was lost with session " + session.id() + " (" + session.state() + ")");
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

    // ---- Used by CoordLock, on the caller's thread. ----

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
     * Takes a use of the state of {@code name} (made again if it was expired) before a lock call touches its local
     * lock: a used state is never expired, so every thread locking a key meets the same local lock.
     *
     * @param name the lock name
     * @return the key's state, with one more use; give it back with {@link #unpin(KeyState)}
     */
    synchronized KeyState pin(String name) {
        KeyState s = state(name);
        s.users++;
        return s;
    }

    /**
     * Gives back one use taken by {@link #pin(String)}: at the end of a failed lock call, or at an unlock.
     *
     * @param s the state
     */
    synchronized void unpin(KeyState s) {
        s.users--;
        s.lastUsedMillis = System.currentTimeMillis();
    }

    /**
     * The state of {@code name} if it exists (it does while some thread holds the key).
     *
     * @param name the lock name
     * @return the state, or null
     */
    synchronized KeyState current(String name) {
        return keys.get(name);
    }

    /**
     * Called with the key's local lock held, before acquiring: retries a release of this key that the server did
     * not confirm (it would make the acquisition fail with "already held").
     *
     * @param s the state
     * @throws CoordException if the release fails again (the background retry goes on)
     */
    void releasePending(KeyState s) {
        PendingRelease p;
        synchronized (this) {
            p = s.pending;
        }
        if (p != null) {
            p.releaseNow();
        }
    }

    /**
     * Called by an unlock whose release the server did not confirm, with the key's local lock still held: keeps the
     * grant as the key's pending release and starts retrying it in the background.
     *
     * @param s     the state
     * @param grant the grant still counted as held
     */
    void releaseLater(KeyState s, LockGrant grant) {
        PendingRelease p = new PendingRelease(s, grant);
        synchronized (this) {
            s.pending = p;
        }
        retryLater(p, 0);
    }

    /** Schedules attempt {@code attempt} of {@code p} on a new daemon thread, after the backoff (any thread). */
    private void retryLater(PendingRelease p, int attempt) {
        long delay = Math.min(RELEASE_RETRY_MAX_MS, RELEASE_RETRY_FIRST_MS << Math.min(attempt, 10));
        // The JDK's delayer thread only hands over: the blocking release runs on a short-lived thread of its own,
        // never on coord's or a client library's thread, nor on a shared pool.
        CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS, r -> {
            Thread t = new Thread(r, "coord-lock-release-" + p.state.name);
            t.setDaemon(true);
            t.start();
        }).execute(() -> retry(p, attempt));
    }

    /** One background attempt of {@code p}; runs on its own daemon thread. */
    private void retry(PendingRelease p, int attempt) {
        if (p.tryRelease()) {
            return;
        }
        if (session.state().isTerminal()) {
            p.finish(); // the session's end removed the grant from the server
            return;
        }
        if (attempt + 1 < RELEASE_RETRY_ATTEMPTS) {
            retryLater(p, attempt + 1);
        } else {
            log.warn("the release of lock '{}' of {} is still not confirmed after {} attempts; the next lock of this "
                    + "key retries it, and the session's end removes it at the latest", p.state.name, this,
                    RELEASE_RETRY_ATTEMPTS);
        }
    }

    /** Caller holds this monitor: the state of {@code name}, made if absent. */
    private KeyState state(String name) {
        return keys.computeIfAbsent(name, n -> new KeyState(n, new CoordLock(this, n), fair));
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
        if (bytes > Arguments.MAX_NAME_BYTES) {
            throw new IllegalArgumentException("lock key is " + bytes + " UTF-8 bytes long; at most "
                    + Arguments.MAX_NAME_BYTES + " are allowed");
        }
        return name;
    }

    @Override
    public String toString() {
        return "CoordLockRegistry{session=" + session.id() + ", " + (fair ? "fair locks" : "fenced locks") + "}";
    }

    /** The state of one key: its local lock, the grant of the holding thread, its pending release. */
    static final class KeyState {
        final String name;
        /** The lock object {@link CoordLockRegistry#obtain(Object)} returns for this state. */
        final CoordLock lock;
        /** Serialises this process's threads on the key. */
        final ReentrantLock local;
        /** Holds plus threads inside a lock call; guarded by the registry. A used state is never expired. */
        int users;
        /** When last used, on {@link System#currentTimeMillis()}; guarded by the registry. */
        long lastUsedMillis = System.currentTimeMillis();
        /** A release the server did not confirm, or null; guarded by the registry. */
        PendingRelease pending;
        /** The grant of the thread holding {@link #local}; written and read only by that thread. */
        LockGrant grant;

        KeyState(String name, CoordLock lock, boolean fair) {
            this.name = name;
            this.lock = lock;
            this.local = new ReentrantLock(fair);
        }
    }

    /**
     * A grant whose release the server did not confirm. Its monitor serialises the attempts (background or a lock
     * call's), so that a lock call never acquires while an attempt is in flight.
     */
    final class PendingRelease {
        final KeyState state;
        private final LockGrant grant;
        /** Guarded by this. */
        private boolean done;

        PendingRelease(KeyState state, LockGrant grant) {
            this.state = state;
            this.grant = grant;
        }

        /** Releases now if not done; throws coord's exception if the server fails it again. */
        synchronized void releaseNow() {
            if (done) {
                return;
            }
            try {
                grant.release();
            } catch (LockLostException e) {
                // lost meanwhile: nothing of it is left on the server
            }
            finish();
        }

        /** Returns true when done (released, lost, or done before); false if the server failed it again. */
        synchronized boolean tryRelease() {
            try {
                releaseNow();
                return true;
            } catch (CoordException e) {
                log.debug("retrying the release of lock '{}' of {} failed: {}", state.name, CoordLockRegistry.this,
                        e.toString());
                return false;
            }
        }

        /** Marks it done and forgets it (lock order: this, then the registry). */
        synchronized void finish() {
            done = true;
            synchronized (CoordLockRegistry.this) {
                if (state.pending == this) {
                    state.pending = null;
                }
            }
        }
    }
}
