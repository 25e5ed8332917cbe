package io.coord.shedlock;

import io.coord.AlreadyHeldException;
import io.coord.CoordException;
import io.coord.LockLostException;
import io.coord.LossReason;
import io.coord.Session;
import io.coord.lock.LockGrant;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.javacrumbs.shedlock.core.AbstractSimpleLock;
import net.javacrumbs.shedlock.core.ClockProvider;
import net.javacrumbs.shedlock.core.ExtensibleLockProvider;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.SimpleLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A ShedLock {@link ExtensibleLockProvider} whose locks are coord fenced locks owned by one {@link Session}.
 *
 * <h2>The mapping</h2>
 * <ul>
 *   <li><b>Names.</b> A ShedLock lock name is used as the coord lock name unchanged:
 *       {@code @SchedulerLock(name = "report")} is {@code session.lock("report")}, so it excludes every other coord
 *       user of that lock name in the same namespace (a ShedLock task and a plain coord holder of {@code "report"}
 *       never run together). Legal names are coord's: non-blank, at most 256 UTF-8 bytes, any characters (the
 *       backend percent-encodes them into its keys); anything else fails {@link #lock} with an
 *       {@link IllegalArgumentException}.</li>
 *   <li><b>{@link #lock lock()}</b> is {@code session.lock(name).tryAcquire(Duration.ZERO)}: one attempt, no
 *       waiting, on the caller's thread. Held elsewhere → empty. Already held by this provider (its task still
 *       runs, or its release is deferred by lockAtLeastFor) or by this same session through another handle →
 *       empty, not an exception. A session that has ended throws {@link io.coord.SessionExpiredException}; a
 *       failing server throws {@link io.coord.BackendUnavailableException} (ShedLock then skips the run and the
 *       scheduler logs the error). An interrupted caller gets empty, its interrupt flag set again.</li>
 *   <li><b>lockAtMostFor.</b> When {@code createdAt + lockAtMostFor} (as ShedLock computes
 *       {@link LockConfiguration#getLockAtMostUntil()}) has passed and the lock is still held, the provider
 *       releases the grant itself, from its timer, even if the task still runs: another node can then take the
 *       lock, as ShedLock promises. The task is not stopped; {@link #currentToken(String)} is empty from then on
 *       and a later {@link SimpleLock#unlock()} does nothing.</li>
 *   <li><b>lockAtLeastFor.</b> {@link SimpleLock#unlock()} before {@code createdAt + lockAtLeastFor} does not
 *       release: the release is deferred to that instant (a timer) and the lock stays held, for this provider
 *       too, until then. At or after it, {@code unlock()} releases at once (one server round trip on the caller's
 *       thread).</li>
 *   <li><b>{@link SimpleLock#extend extend(lockAtMostFor, lockAtLeastFor)}</b> moves both deadlines to
 *       now + the new durations, only while the grant is held and neither released nor scheduled for release
 *       (not unlocked, lockAtMostFor not yet elapsed, session alive); otherwise it returns empty. As ShedLock
 *       defines it, the lock extended (or unlocked) is spent: calling {@code unlock()} or {@code extend()} on it
 *       again throws {@link IllegalStateException}; use the returned lock.</li>
 *   <li><b>The holder dies.</b> The provider's timers die with the process, so lockAtMostFor is not what frees
 *       the lock then: the grant is freed with its session's lease, when the server expires it, at most the
 *       session's {@link Session#grantedTtl() TTL} after its last renewal (at once if the session or its
 *       coordinator is closed). Other ShedLock providers keep a dead holder's lock until lockAtMostFor; coord
 *       frees it when the lease runs out, which is usually <em>earlier</em> (a long lockAtMostFor no longer delays
 *       the next run after a crash) and later only if the TTL is longer than what remains of lockAtMostFor. Hence:
 *       choose a session TTL no longer than your shortest lockAtMostFor if a dead holder must never block longer
 *       than lockAtMostFor; and do not count on lockAtLeastFor across a crash (a holder that finished its task
 *       and died within lockAtLeastFor frees the lock when its lease expires, so the task can run again sooner):
 *       if a second run within that period would do harm, make the task check the fencing token or a record of
 *       its last run in the store it writes to. The same holds for a holder that pauses (GC, a frozen VM) past its
 *       TTL: its session expires, its grant is lost and another node may run the task while the paused one
 *       resumes; only a resource that checks fencing tokens rejects the late writes.</li>
 *   <li><b>Fencing.</b> {@link #currentToken(String)} returns the fencing token of the grant this provider holds
 *       for a name: call it inside the task and send it with each write to the protected resource.</li>
 * </ul>
 *
 * <h2>Threads and ownership</h2>
 * The provider owns one daemon timer thread ({@code coord-shedlock-timer-<n>}) that runs the lockAtMostFor and
 * lockAtLeastFor deadlines; a release run by a timer blocks that thread for one round trip, bounded by the
 * coordinator's operation timeout (never a client library's thread). A release the server does not confirm is
 * retried from the timer every second until it succeeds or the grant is lost with its session. The provider
 * does not own the session: {@link #close()} releases what this provider holds (deferred releases included) and
 * stops the timer, but leaves the session open; closing the session instead frees everything too.
 * All methods are thread-safe.
 */
public final class CoordLockProvider implements ExtensibleLockProvider, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CoordLockProvider.class);
    private static final int MAX_NAME_BYTES = 256;
    private static final Duration RELEASE_RETRY = Duration.ofSeconds(1);
    /** How long {@link #close()} waits for a release already running on the timer thread. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(30);
    /** Deadlines further away than this (about 73 years) are treated as this far: no overflow on the nanoTime scale. */
    private static final long MAX_DELAY_NANOS = Long.MAX_VALUE / 4;
    private static final AtomicInteger TIMER_THREADS = new AtomicInteger();

    private final Session session;
    private final ScheduledThreadPoolExecutor timer;
    /** The grants this provider holds, by lock name: at most one per name (a session holds a name at most once). */
    private final ConcurrentHashMap<String, Held> held = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * A provider whose locks are all owned by {@code session}.
     *
     * @param session the session that owns every lock of this provider, not null; it stays the caller's to close
     * @throws NullPointerException if {@code session} is null
     */
    public CoordLockProvider(Session session) {
        this.session = Objects.requireNonNull(session, "session must not be null: the coord Session that owns the ShedLock locks");
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "coord-shedlock-timer-" + TIMER_THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /**
     * The session that owns this provider's locks.
     *
     * @return the session given to the constructor
     */
    public Session session() {
        return session;
    }

    /**
     * Tries once to acquire the lock named by {@code configuration}; see the class comment for the exact mapping.
     *
     * @param configuration ShedLock's lock configuration, not null; its name must be a legal coord lock name
     * @return the lock, held by this provider's session until unlocked (and then until lockAtLeastFor), or until
     *         lockAtMostFor has elapsed, whichever comes first; empty if the lock is held by anyone, this provider
     *         included
     * @throws NullPointerException if {@code configuration} is null
     * @throws IllegalArgumentException if the name is blank or longer than 256 UTF-8 bytes
     * @throws IllegalStateException if this provider, or the session's coordinator, is closed
     * @throws io.coord.SessionExpiredException if the session has ended
     * @throws io.coord.BackendUnavailableException if the server fails the request
     */
    @Override
    public Optional<SimpleLock> lock(LockConfiguration configuration) {
        Objects.requireNonNull(configuration, "configuration must not be null");
        String name = checkName(configuration.getName());
        if (closed) {
            throw new IllegalStateException("this CoordLockProvider is closed; lock '" + shorten(name) + "' cannot be acquired");
        }
        // Both deadlines are ShedLock's (createdAt + duration, on ShedLock's clock), carried over to the monotonic
        // clock at this instant: from here on a wall-clock step changes neither.
        Instant wallNow = ClockProvider.now();
        long now = System.nanoTime();
        long atMostUntil = now + nanosUntil(wallNow, configuration.getLockAtMostUntil());
        long atLeastUntil = now + nanosUntil(wallNow, configuration.getLockAtLeastUntil());
        if (held.containsKey(name)) {
            return Optional.empty(); // this provider holds it (task running, or release deferred by lockAtLeastFor)
        }
        Optional<LockGrant> acquired;
        try {
            acquired = session.lock(name).tryAcquire(Duration.ZERO);
        } catch (AlreadyHeldException e) {
            return Optional.empty(); // this session holds or waits for it through another handle
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
        if (acquired.isEmpty()) {
            return Optional.empty();
        }
        Held h = new Held(name, acquired.get(), atLeastUntil);
        held.put(name, h); // absent: the session held no grant of this name a moment ago
        boolean scheduled;
        synchronized (h) {
            scheduled = scheduleExpiry(h, atMostUntil - System.nanoTime());
            if (!scheduled) {
                h.state = State.RELEASED;
            }
        }
        if (!scheduled) { // closed while we acquired
            release(h, "the provider was closed");
            throw new IllegalStateException("this CoordLockProvider was closed; lock '" + shorten(name) + "' was released again");
        }
        // Runs on the coordinator's event thread: only bookkeeping, never a server call.
        h.grant.whenLost().thenAccept(reason -> lost(h, reason));
        return Optional.of(new CoordSimpleLock(this, h, configuration));
    }

    /**
     * The fencing token of the grant this provider holds for {@code lockName} at the instant of the call: inside a
     * task run under that lock, send it with every write to the resource the task protects.
     *
     * @param lockName the ShedLock lock name, not null
     * @return the token ({@code > 0}) while this provider holds the lock (its task running, or its release deferred
     *         by lockAtLeastFor); empty once released (unlocked, or lockAtMostFor elapsed), lost with the session,
     *         or never acquired here
     * @throws NullPointerException if {@code lockName} is null
     */
    public OptionalLong currentToken(String lockName) {
        Objects.requireNonNull(lockName, "lockName must not be null");
        Held h = held.get(lockName);
        if (h == null) {
            return OptionalLong.empty();
        }
        synchronized (h) {
            return h.state != State.RELEASED && h.grant.isHeld() ? OptionalLong.of(h.grant.fencingToken()) : OptionalLong.empty();
        }
    }

    /**
     * Releases every lock this provider holds, deferred releases included (lockAtLeastFor is not waited for), and
     * stops its timer thread. The session stays open. Idempotent. Later {@link #lock} calls throw
     * {@link IllegalStateException}; an {@link SimpleLock#unlock()} of a lock released here does nothing.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        timer.shutdown(); // drops pending deadlines; a release already running on the timer finishes
        try {
            if (!timer.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("the coord-shedlock timer did not finish a release within {}; closing anyway", CLOSE_WAIT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Everything still in the map is held on the server: running tasks, deferred releases, and releases whose
        // retry the timer's shutdown just dropped. A second release of a grant is a no-op.
        List<Held> toRelease = new ArrayList<>();
        for (Held h : held.values()) {
            synchronized (h) {
                h.state = State.RELEASED;
                cancelTimer(h);
            }
            toRelease.add(h);
        }
        for (Held h : toRelease) {
            release(h, "the provider was closed");
        }
    }

    /**
     * Names the session and the locks held, for logs.
     *
     * @return e.g. {@code CoordLockProvider[session 7f3a…, holding [report]]}; no secret is ever part of it
     */
    @Override
    public String toString() {
        return "CoordLockProvider[session " + session.id() + ", holding " + new TreeSet<>(held.keySet())
                + (closed ? ", closed]" : "]");
    }

    // --- the lock's life; each method says which thread runs it ---

    /** {@link SimpleLock#unlock()}, on the task's thread. */
    private void unlock(Held h) {
        synchronized (h) {
            if (h.state != State.HELD) {
                log.debug("lock '{}' was already released (lockAtMostFor elapsed, lost with its session, or provider closed)",
                        shorten(h.name));
                return;
            }
            cancelTimer(h);
            long wait = h.atLeastUntilNanos - System.nanoTime();
            if (wait > 0 && scheduleDeferredRelease(h, wait)) {
                h.state = State.RELEASE_DEFERRED;
                return;
            }
            h.state = State.RELEASED;
        }
        release(h, "unlocked");
    }

    /** {@link SimpleLock#extend}, on the task's thread. */
    private Optional<SimpleLock> extend(Held h, LockConfiguration next) {
        Instant wallNow = ClockProvider.now();
        long now = System.nanoTime();
        synchronized (h) {
            if (h.state != State.HELD || !h.grant.isHeld()) {
                return Optional.empty();
            }
            cancelTimer(h);
            h.atLeastUntilNanos = now + nanosUntil(wallNow, next.getLockAtLeastUntil());
            if (!scheduleExpiry(h, now + nanosUntil(wallNow, next.getLockAtMostUntil()) - System.nanoTime())) {
                return Optional.empty(); // closing: close() releases it
            }
        }
        return Optional.of(new CoordSimpleLock(this, h, next));
    }

    /** The lockAtMostFor deadline, on the timer thread. */
    private void expire(Held h, int generation) {
        synchronized (h) {
            if (h.generation != generation || h.state != State.HELD) {
                return;
            }
            h.state = State.RELEASED;
        }
        log.warn("lock '{}' held longer than lockAtMostFor: released while its task may still run (fencing token {})",
                shorten(h.name), h.grant.fencingToken());
        release(h, "lockAtMostFor elapsed");
    }

    /** The lockAtLeastFor deadline after an early unlock, on the timer thread. */
    private void releaseDeferred(Held h, int generation) {
        synchronized (h) {
            if (h.generation != generation || h.state != State.RELEASE_DEFERRED) {
                return;
            }
            h.state = State.RELEASED;
        }
        release(h, "lockAtLeastFor elapsed after unlock");
    }

    /** The grant was lost with its session, on the coordinator's event thread: bookkeeping only. */
    private void lost(Held h, LossReason reason) {
        State was;
        synchronized (h) {
            was = h.state;
            h.state = State.RELEASED;
            cancelTimer(h);
        }
        held.remove(h.name, h);
        if (was == State.HELD) {
            log.warn("lock '{}' (fencing token {}) was lost while its task may still run: {}", shorten(h.name),
                    h.grant.fencingToken(), reason);
        }
    }

    /**
     * Releases the grant of {@code h}, whose state is already RELEASED, on the calling thread (a task's, the
     * timer's or the closing thread). Forgets it once the server confirmed the release or the grant is lost; retries
     * from the timer if the server did not confirm.
     */
    private void release(Held h, String why) {
        try {
            h.grant.release();
            held.remove(h.name, h);
            log.debug("lock '{}' released: {}", shorten(h.name), why);
        } catch (LockLostException e) {
            held.remove(h.name, h);
            log.warn("lock '{}' (fencing token {}) had been lost before its release ({}): {}", shorten(h.name),
                    h.grant.fencingToken(), why, e.reason());
        } catch (CoordException | IllegalStateException e) {
            if (closed || session.state().isTerminal() || !retryLater(h, why)) {
                held.remove(h.name, h);
                log.warn("lock '{}' could not be released ({}); it stays held until its session ends: {}",
                        shorten(h.name), why, e.toString());
            } else {
                log.warn("lock '{}' could not be released ({}); retrying in {}: {}", shorten(h.name), why,
                        RELEASE_RETRY, e.toString());
            }
        }
    }

    private boolean retryLater(Held h, String why) {
        try {
            timer.schedule(() -> release(h, why), RELEASE_RETRY.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (RejectedExecutionException closing) {
            return false;
        }
    }

    /** Caller holds {@code h}'s monitor. False if the timer no longer accepts work (closing). */
    private boolean scheduleExpiry(Held h, long delayNanos) {
        int generation = ++h.generation;
        try {
            h.timer = timer.schedule(() -> expire(h, generation), Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
            return true;
        } catch (RejectedExecutionException closing) {
            return false;
        }
    }

    /** Caller holds {@code h}'s monitor. False if the timer no longer accepts work (closing). */
    private boolean scheduleDeferredRelease(Held h, long delayNanos) {
        int generation = ++h.generation;
        try {
            h.timer = timer.schedule(() -> releaseDeferred(h, generation), delayNanos, TimeUnit.NANOSECONDS);
            return true;
        } catch (RejectedExecutionException closing) {
            return false;
        }
    }

    /** Caller holds {@code h}'s monitor. */
    private static void cancelTimer(Held h) {
        h.generation++; // a deadline already running sees a newer generation and does nothing
        if (h.timer != null) {
            h.timer.cancel(false);
            h.timer = null;
        }
    }

    private static long nanosUntil(Instant from, Instant to) {
        Duration d = Duration.between(from, to);
        if (d.isNegative()) {
            return 0;
        }
        return d.compareTo(Duration.ofNanos(MAX_DELAY_NANOS)) > 0 ? MAX_DELAY_NANOS : d.toNanos();
    }

    private static String checkName(String name) {
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (name.isBlank() || bytes > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("ShedLock lock name '" + shorten(name) + "' is not a coord lock name ("
                    + (name.isBlank() ? "blank" : bytes + " UTF-8 bytes") + "): it must be non-blank and at most "
                    + MAX_NAME_BYTES + " UTF-8 bytes; any characters are allowed");
        }
        return name;
    }

    private static String shorten(String name) {
        return name.length() <= 80 ? name : name.substring(0, 80) + "…";
    }

    /** Where a grant of this provider is in its life. */
    private enum State {
        /** Acquired; the task runs; released by unlock(), or by the lockAtMostFor timer. */
        HELD,
        /** unlock() came before lockAtLeastFor: held until the deferred-release timer runs. */
        RELEASE_DEFERRED,
        /** Released, being released, or lost: nothing more to do. */
        RELEASED
    }

    /** One grant this provider holds. Mutable fields are guarded by the object's monitor. */
    private static final class Held {
        final String name;
        final LockGrant grant;
        State state = State.HELD;
        long atLeastUntilNanos;
        /** The pending deadline (lockAtMostFor while HELD, lockAtLeastFor while RELEASE_DEFERRED), or null. */
        ScheduledFuture<?> timer;
        /** Incremented whenever the pending deadline changes, so that a superseded one does nothing. */
        int generation;

        Held(String name, LockGrant grant, long atLeastUntilNanos) {
            this.name = name;
            this.grant = grant;
            this.atLeastUntilNanos = atLeastUntilNanos;
        }
    }

    /**
     * The lock ShedLock's task holds: ShedLock's {@link AbstractSimpleLock} enforces that an unlocked or extended
     * lock is spent (a second call throws {@link IllegalStateException}).
     */
    private static final class CoordSimpleLock extends AbstractSimpleLock {
        private final CoordLockProvider provider;
        private final Held held;

        CoordSimpleLock(CoordLockProvider provider, Held held, LockConfiguration configuration) {
            super(configuration);
            this.provider = provider;
            this.held = held;
        }

        @Override
        protected void doUnlock() {
            provider.unlock(held);
        }

        @Override
        protected Optional<SimpleLock> doExtend(LockConfiguration next) {
            return provider.extend(held, next);
        }

        @Override
        public String toString() {
            return "CoordSimpleLock[" + shorten(lockConfiguration.getName()) + ", fencing token " + held.grant.fencingToken() + "]";
        }
    }
}
