package io.coord.shedlock;

import io.coord.AlreadyHeldException;
import io.coord.BackendUnavailableException;
import io.coord.CoordException;
import io.coord.LockLostException;
import io.coord.LossReason;
import io.coord.Session;
import io.coord.lock.FencedLock;
import io.coord.lock.LockGrant;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
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
 *       never run together). Legal names are coord's ({@link Session#lock(String)} checks them); a name coord
 *       refuses fails {@link #lock} with an {@link IllegalArgumentException} that quotes coord's rule.</li>
 *   <li><b>{@link #lock lock()}</b> is {@code session.lock(name).tryAcquire(Duration.ZERO)}: one attempt, no
 *       waiting, on the caller's thread; it may take several server round trips (add an entry, read what is ahead
 *       of it, remove the entry again when it lost), none of which waits for another holder. Held elsewhere →
 *       empty. Already held by this provider (its task still runs, or its release is deferred by lockAtLeastFor)
 *       or by this same session through another handle → empty, not an exception. A session that has ended
 *       throws {@link io.coord.SessionExpiredException}; a failing server throws
 *       {@link io.coord.BackendUnavailableException} (ShedLock then skips the run and the scheduler logs the
 *       error). An interrupted caller gets empty, its interrupt flag set again.</li>
 *   <li><b>lockAtMostFor.</b> When {@code createdAt + lockAtMostFor} (as ShedLock computes
 *       {@link LockConfiguration#getLockAtMostUntil()}) has passed and the lock is still held, the provider
 *       releases the grant itself, even if the task still runs: another node can then take the lock, as ShedLock
 *       promises. The task is not stopped; {@link #currentToken(String)} is empty from then on and a later
 *       {@link SimpleLock#unlock()} does nothing. A lockAtMostFor that has already passed when {@code lock()} got
 *       the grant (shorter than its round trips) releases it at once.</li>
 *   <li><b>lockAtLeastFor.</b> {@link SimpleLock#unlock()} before {@code createdAt + lockAtLeastFor} does not
 *       release: the release is deferred to that instant (a timer) and the lock stays held, for this provider
 *       too, until then. At or after it, {@code unlock()} releases at once (one server round trip on the caller's
 *       thread).</li>
 *   <li><b>{@link SimpleLock#extend extend(lockAtMostFor, lockAtLeastFor)}</b> moves both deadlines to
 *       now + the new durations, only while the grant is held and neither released nor scheduled for release
 *       (not unlocked, lockAtMostFor not yet elapsed, session alive); otherwise it returns empty. As ShedLock
 *       defines it, the lock extended (or unlocked) is spent: calling {@code unlock()} or {@code extend()} on it
 *       again throws {@link IllegalStateException}; use the returned lock. A lockAtLeastFor longer than the
 *       lockAtMostFor ({@code extend(1s, 5s)}) is refused by ShedLock itself with an
 *       {@link IllegalArgumentException} before this provider is asked: the lock is then not spent, it stays held
 *       with its old deadlines and can still be unlocked or extended.</li>
 *   <li><b>The holder dies.</b> The provider's timers die with the process, so lockAtMostFor is not what frees
 *       the lock then: the grant is freed with its session's lease, when the server expires it, as
 *       {@link Session} guarantees (not before {@link Session#validUntilNanos()}; how much later depends on the
 *       backend: a leader failover can extend an etcd lease, ZooKeeper expires sessions on tick boundaries), and
 *       at once if the session or its coordinator is closed. Other ShedLock providers keep a dead holder's lock
 *       until lockAtMostFor; coord frees it when the lease runs out, which is usually <em>earlier</em> (a long
 *       lockAtMostFor no longer delays the next run after a crash) and later only if the TTL is longer than what
 *       remains of lockAtMostFor. Hence: choose a session TTL well below your shortest lockAtMostFor if a dead
 *       holder must not block longer than lockAtMostFor; and do not count on lockAtLeastFor across a crash (a
 *       holder that finished its task and died within lockAtLeastFor frees the lock when its lease expires, so the
 *       task can run again sooner): if a second run within that period would do harm, make the task check the
 *       fencing token or a record of its last run in the store it writes to. The same holds for a holder that
 *       pauses (GC, a frozen VM) past its TTL: its session expires, its grant is lost and another node may run the
 *       task while the paused one resumes; only a resource that checks fencing tokens rejects the late
 *       writes.</li>
 *   <li><b>An ended session is final.</b> A session that expired (one pause or outage longer than its TTL) or
 *       was closed never comes back: from then on every {@link #lock} of this provider throws
 *       {@link io.coord.SessionExpiredException} and the task never runs on this node again. The provider does
 *       not open a new session; watch {@link Session#state()} or {@link Session#whenEnded()} (e.g. a health check
 *       that fails, so that the node is restarted) or build a new session and a new provider when it ends.</li>
 *   <li><b>Fencing.</b> {@link #currentToken(String)} returns the fencing token of the run on the calling
 *       thread (ShedLock's {@code DefaultLockingTaskExecutor}, which {@code @SchedulerLock} uses, calls
 *       {@code lock()}, the task and {@code unlock()} on one thread); {@link #fencingToken(SimpleLock)} returns
 *       it for a lock you hold. Send it with each write to the protected resource. A task that hands work to
 *       another thread must read the token first, on the task's thread, and pass it along.</li>
 * </ul>
 *
 * <h2>Threads and ownership</h2>
 * The provider owns one daemon timer thread ({@code coord-shedlock-timer-<n>}) that only keeps the lockAtMostFor
 * and lockAtLeastFor deadlines, and up to two daemon release threads ({@code coord-shedlock-release-<n>}, ended
 * when idle) that send the releases those deadlines call for, so that a slow release never delays another lock's
 * deadline; never a client library's thread. A release the server does not confirm
 * ({@link BackendUnavailableException}) is retried every second, at most 30 times and only while the session
 * lives; any other failure (e.g. {@link io.coord.AuthenticationException}) is logged once and not retried. Either
 * way a grant whose release was given up stays held until its session ends, which frees it. The provider does
 * not own the session: {@link #close()} releases what this provider holds (deferred releases included) and stops
 * its threads, but leaves the session open; closing the session instead frees everything too.
 * All methods are thread-safe.
 */
public final class CoordLockProvider implements ExtensibleLockProvider, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CoordLockProvider.class);
    private static final Duration RELEASE_RETRY = Duration.ofSeconds(1);
    /** Attempts of one release that the server does not confirm, the first included. */
    private static final int RELEASE_ATTEMPTS = 30;
    /** How long {@link #close()} waits for releases already under way, in all. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(30);
    /** Deadlines further away than this (about 73 years) are treated as this far: no overflow on the nanoTime scale. */
    private static final long MAX_DELAY_NANOS = Long.MAX_VALUE / 4;
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final Session session;
    /** Keeps the deadlines; its tasks only change state and hand releases to {@link #releaser}. */
    private final ScheduledThreadPoolExecutor timer;
    /** Sends the releases the deadlines (and retries) call for; blocking server calls run here. */
    private final ThreadPoolExecutor releaser;
    /** The grants this provider holds, by lock name: at most one live grant per name (a session holds a name once). */
    private final ConcurrentHashMap<String, Held> held = new ConcurrentHashMap<>();
    /** The runs of the calling thread, by lock name: read and written by that thread only. */
    private final ThreadLocal<Map<String, Held>> runs = ThreadLocal.withInitial(HashMap::new);
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * A provider whose locks are all owned by {@code session}.
     *
     * @param session the session that owns every lock of this provider, not null; it stays the caller's to close
     * @throws NullPointerException if {@code session} is null
     */
    public CoordLockProvider(Session session) {
        this.session = Objects.requireNonNull(session, "session must not be null: the coord Session that owns the ShedLock locks");
        this.timer = new ScheduledThreadPoolExecutor(1, daemon("coord-shedlock-timer-"));
        timer.setRemoveOnCancelPolicy(true);
        timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.releaser = new ThreadPoolExecutor(2, 2, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                daemon("coord-shedlock-release-"));
        releaser.allowCoreThreadTimeOut(true);
    }

    private static ThreadFactory daemon(String prefix) {
        return r -> {
            Thread t = new Thread(r, prefix + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
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
     * @throws IllegalArgumentException if coord refuses the name (blank, or too long)
     * @throws IllegalStateException if this provider, or the session's coordinator, is closed, also while this
     *         call ran (the grant it got is then released again)
     * @throws io.coord.SessionExpiredException if the session has ended
     * @throws io.coord.BackendUnavailableException if the server fails the request
     */
    @Override
    public Optional<SimpleLock> lock(LockConfiguration configuration) {
        Objects.requireNonNull(configuration, "configuration must not be null");
        String name = configuration.getName();
        if (closed.get()) {
            throw new IllegalStateException("this CoordLockProvider is closed; lock '" + shorten(name) + "' cannot be acquired");
        }
        FencedLock lock;
        try {
            lock = session.lock(name); // coord checks the name (and that the session lives); nothing is sent
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("ShedLock lock name '" + shorten(name) + "' is not a legal coord lock name: "
                    + e.getMessage(), e);
        }
        Map<String, Held> mine = runs.get();
        mine.values().removeIf(Held::isOver); // forget this thread's finished runs
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
            acquired = lock.tryAcquire(Duration.ZERO);
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
        Held previous = held.put(name, h);
        // The session granted the name, so an entry still mapped is one whose release (or loss) is just finishing.
        assert previous == null || !previous.grant.isHeld() : "two live grants of '" + name + "'";
        boolean scheduled;
        synchronized (h) {
            scheduled = scheduleExpiry(h, atMostUntil - System.nanoTime());
            if (!scheduled) {
                h.state = State.RELEASED;
            }
        }
        if (!scheduled) { // closed while we acquired, before close() looked at the map
            release(h, "the provider was closed", RELEASE_ATTEMPTS);
            throw new IllegalStateException("this CoordLockProvider was closed; lock '" + shorten(name) + "' was released again");
        }
        // Runs on the coordinator's event thread (or here, if already lost): only bookkeeping, never a server call.
        h.grant.whenLost().thenAccept(reason -> lost(h, reason));
        if (closed.get()) { // h is in the map, so close() releases it (or already did)
            throw new IllegalStateException("this CoordLockProvider was closed; lock '" + shorten(name) + "' was released again");
        }
        mine.put(name, h);
        return Optional.of(new CoordSimpleLock(this, h, configuration));
    }

    /**
     * The fencing token of the run of {@code lockName} on the calling thread: inside a task run under that lock,
     * send it with every write to the resource the task protects. It answers for the lock that this thread's own
     * {@link #lock} call acquired, never for another run of the same name (a run whose lockAtMostFor elapsed gets
     * empty even if this provider took the name again for a newer run).
     *
     * <p>A task that hands its work to other threads must read the token here first and pass it along: other
     * threads get empty.
     *
     * @param lockName the ShedLock lock name, not null
     * @return the token ({@code > 0}) while this thread's run holds the lock; empty once it unlocked, once
     *         lockAtMostFor elapsed, once the grant was lost with the session or the provider closed, and on a
     *         thread that did not acquire it
     * @throws NullPointerException if {@code lockName} is null
     */
    public OptionalLong currentToken(String lockName) {
        Objects.requireNonNull(lockName, "lockName must not be null");
        Held h = runs.get().get(lockName);
        return h == null ? OptionalLong.empty() : h.token();
    }

    /**
     * The fencing token of the grant behind {@code lock}, a lock this provider returned (or an extension of one).
     * It is fixed for the grant's life and still returned after the lock was released: whether a write carrying it
     * is late is for the protected resource's fence to decide (it rejects a token once a greater one was used).
     *
     * @param lock a lock returned by this provider's {@link #lock} or by {@link SimpleLock#extend} on one, not null
     * @return its grant's fencing token, {@code > 0}
     * @throws NullPointerException if {@code lock} is null
     * @throws IllegalArgumentException if {@code lock} does not come from this provider
     */
    public long fencingToken(SimpleLock lock) {
        Objects.requireNonNull(lock, "lock must not be null");
        if (!(lock instanceof CoordSimpleLock ours) || ours.provider != this) {
            throw new IllegalArgumentException("not a lock of this CoordLockProvider: " + lock.getClass().getName()
                    + "; pass a SimpleLock that this provider's lock() (or extend() on one of its locks) returned");
        }
        return ours.held.grant.fencingToken();
    }

    /**
     * Releases every lock this provider holds, deferred releases included (lockAtLeastFor is not waited for), and
     * stops its threads; best effort: a task still running loses its lock (its {@link #currentToken} becomes empty,
     * its later {@code unlock()} does nothing). Waits for releases already under way on other threads, in all at
     * most 30 seconds (each is bounded by the coordinator's operation timeout); a release that fails is logged and
     * its grant stays held until the session ends. The session stays open. Idempotent. Later {@link #lock} calls
     * throw {@link IllegalStateException}.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
        timer.shutdown();    // drops pending deadlines and retries; a running one finishes (it only hands work over)
        awaitTermination(timer, deadline);
        releaser.shutdown(); // releases already handed over still run; the map keeps what they did not finish
        awaitTermination(releaser, deadline);
        // Everything still in the map is held on the server: running tasks, deferred releases, retries the shutdown
        // dropped, and releases under way on task threads (release() leaves those to their thread; we wait below).
        List<Held> toRelease = new ArrayList<>(held.values());
        for (Held h : toRelease) {
            synchronized (h) {
                h.state = State.RELEASED;
                cancelTimer(h);
            }
        }
        for (Held h : toRelease) {
            release(h, "the provider was closed", RELEASE_ATTEMPTS);
        }
        for (Held h : toRelease) {
            try {
                h.done.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                log.warn("lock '{}': its release did not finish within {} of close(); it stays held until it does or the "
                        + "session ends", shorten(h.name), CLOSE_WAIT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException e) {
                throw new IllegalStateException("unreachable: done never completes exceptionally", e);
            }
        }
    }

    private static void awaitTermination(ExecutorService executor, long deadline) {
        try {
            if (!executor.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                log.warn("a coord-shedlock release did not finish within {} of close(); closing anyway", CLOSE_WAIT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
                + (closed.get() ? ", closed]" : "]");
    }

    // --- the lock's life; each method says which thread runs it ---

    /** {@link SimpleLock#unlock()}, on the thread that unlocks (the task's, as ShedLock does it, or any other). */
    private void unlock(Held h) {
        runs.get().remove(h.name, h); // the run is over (a no-op on a thread that did not lock it)
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
        release(h, "unlocked", 1);
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

    /** The lockAtMostFor deadline, on the timer thread: state only; the release runs on the releaser. */
    private void expire(Held h, int generation) {
        synchronized (h) {
            if (h.generation != generation || h.state != State.HELD) {
                return;
            }
            h.state = State.RELEASED;
        }
        log.warn("lock '{}' held longer than lockAtMostFor: released while its task may still run (fencing token {})",
                shorten(h.name), h.grant.fencingToken());
        releaseLater(h, "lockAtMostFor elapsed", 1);
    }

    /** The lockAtLeastFor deadline after an early unlock, on the timer thread: state only. */
    private void releaseDeferred(Held h, int generation) {
        synchronized (h) {
            if (h.generation != generation || h.state != State.RELEASE_DEFERRED) {
                return;
            }
            h.state = State.RELEASED;
        }
        releaseLater(h, "lockAtLeastFor elapsed after unlock", 1);
    }

    /** The grant was lost with its session, on the coordinator's event thread: bookkeeping only. */
    private void lost(Held h, LossReason reason) {
        State was;
        synchronized (h) {
            was = h.state;
            h.state = State.RELEASED;
            cancelTimer(h);
        }
        finish(h);
        if (was == State.HELD) {
            log.warn("lock '{}' (fencing token {}) was lost while its task may still run: {}", shorten(h.name),
                    h.grant.fencingToken(), reason);
        }
    }

    /**
     * Hands the release of {@code h} (state RELEASED) to the releaser; on the timer thread. If the releaser is shut
     * down, close() is running and releases what is still in the map itself.
     */
    private void releaseLater(Held h, String why, int attempt) {
        try {
            releaser.execute(() -> release(h, why, attempt));
        } catch (RejectedExecutionException closing) {
            log.debug("lock '{}': release left to close()", shorten(h.name));
        }
    }

    /**
     * Releases the grant of {@code h}, whose state is already RELEASED, on the calling thread (a task's, a
     * releaser's or the closing thread); one release of a grant at a time, the others return at once. Forgets it
     * once the server confirmed the release or the grant is lost; retries an unconfirmed release
     * ({@link BackendUnavailableException}) a second later, at most {@link #RELEASE_ATTEMPTS} attempts in all and
     * only while the session lives and the provider is open; gives up at once on any other failure.
     */
    private void release(Held h, String why, int attempt) {
        synchronized (h) {
            if (h.releasing || h.done.isDone()) {
                return; // another thread releases it now (close() waits for h.done), or it is finished
            }
            h.releasing = true;
        }
        boolean retry = false;
        try {
            h.grant.release();
            finish(h);
            log.debug("lock '{}' released: {}", shorten(h.name), why);
        } catch (LockLostException e) {
            finish(h);
            log.warn("lock '{}' (fencing token {}) had been lost before its release ({}): {}", shorten(h.name),
                    h.grant.fencingToken(), why, e.reason());
        } catch (BackendUnavailableException e) {
            if (closed.get() || session.state().isTerminal() || attempt >= RELEASE_ATTEMPTS) {
                finish(h);
                log.warn("lock '{}' could not be released ({}, attempt {}); given up, it stays held until its session "
                        + "ends: {}", shorten(h.name), why, attempt, e.toString());
            } else {
                retry = true;
                log.warn("lock '{}' could not be released ({}, attempt {} of {}); retrying in {}: {}", shorten(h.name),
                        why, attempt, RELEASE_ATTEMPTS, RELEASE_RETRY, e.toString());
            }
        } catch (CoordException | IllegalStateException e) {
            finish(h); // not a passing failure (e.g. AuthenticationException, coordinator closed): not retried
            log.warn("lock '{}' could not be released ({}); not retried, it stays held until its session ends: {}",
                    shorten(h.name), why, e.toString());
        } finally {
            if (retry) {
                synchronized (h) {
                    h.releasing = false;
                }
            }
        }
        if (retry) {
            try {
                timer.schedule(() -> releaseLater(h, why, attempt + 1), RELEASE_RETRY.toNanos(), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException closing) {
                // close() runs; it may have looked at the map already (and waits for h.done): one last attempt here
                release(h, why, RELEASE_ATTEMPTS);
            }
        }
    }

    /** Forgets {@code h}: its grant is released, lost, or given up to the session's end. Any thread; idempotent. */
    private void finish(Held h) {
        held.remove(h.name, h);
        h.done.complete(null);
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

    private static String shorten(String name) {
        return name == null || name.length() <= 80 ? name : name.substring(0, 80) + "…";
    }

    /** Where a grant of this provider is in its life. */
    private enum State {
        /** Acquired; the task runs; released by unlock(), or by the lockAtMostFor timer. */
        HELD,
        /** unlock() came before lockAtLeastFor: held until the deferred-release timer runs. */
        RELEASE_DEFERRED,
        /** Released, being released, or lost: nothing more to do for the task. */
        RELEASED
    }

    /** One grant this provider holds. Mutable fields are guarded by the object's monitor. */
    private static final class Held {
        final String name;
        final LockGrant grant;
        /** Completed once the grant is released, lost, or given up to the session's end. */
        final CompletableFuture<Void> done = new CompletableFuture<>();
        State state = State.HELD;
        /** True while one thread sends the release; the others leave it to that thread. */
        boolean releasing;
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

        /** The token while the run holds the grant (not unlocked, not expired, not lost); any thread. */
        synchronized OptionalLong token() {
            return state == State.HELD && grant.isHeld() ? OptionalLong.of(grant.fencingToken()) : OptionalLong.empty();
        }

        /** True once the run no longer holds the grant; any thread. */
        synchronized boolean isOver() {
            return state == State.RELEASED;
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
