package io.coord.spi;

import io.coord.AlreadyHeldException;
import io.coord.LossReason;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.SessionExpiredException;
import io.coord.SessionListener;
import io.coord.SessionState;
import io.coord.Subscription;
import io.coord.election.Election;
import io.coord.lock.FairLock;
import io.coord.lock.FencedLock;
import io.coord.lock.ReadWriteLock;
import io.coord.semaphore.Semaphore;
import io.coord.shard.ShardListener;
import io.coord.shard.ShardOwnership;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The session state machine every backend shares; the backend supplies one renewal round trip,
 * the revocation, and the recipes.
 *
 * <h2>Renewal and validity</h2>
 * Every TTL/3 the scheduler thread starts a renewal round: it sends {@link #renewOnce()} and notes
 * the send time {@code s}. On success, {@code validUntil = max(validUntil, s + grantedTtl)}: the
 * server got the renewal after {@code s}, so it cannot expire the lease before that deadline. A
 * round is hedged: an attempt that has not answered within a quarter of the interval (or failed) is
 * followed by another, at most {@value #RENEWAL_ATTEMPTS} per round, and the first success ends the
 * round. One member of a cluster that freezes with its connections open (answering nothing until
 * the client's transport keep-alive gives up on it) would otherwise hold the session's only
 * renewal until it times out, twice in a row within one TTL; a second attempt goes to another
 * member. Renewals are idempotent, so a duplicate costs one request. The first failed attempt of a
 * round that has not succeeded makes the session SUSPENDED; when every attempt failed, a new round
 * starts sooner; when {@code validUntil} passes with no newer
 * success it becomes EXPIRED — a conservative local verdict, given a guard interval (TTL/5, at
 * most 500 ms) before the deadline so that the loss signals fire no later than the deadline,
 * whatever the network does. If the server answers that the lease is gone,
 * the session is EXPIRED at once.
 *
 * <h2>Ownership of state</h2>
 * {@code mutex} guards the state, the deadline, the timers and the claims. Listener and loss
 * callbacks are never run under it: they are queued, in order, on the coordinator's event thread.
 * Backends report a server-side expiry from any thread with {@link #expired(String)}.
 *
 * <h2>Reporting state changes</h2>
 * Every state change is recorded, in the mutex, at the moment it happens, in a queue of
 * transitions; only changes that happened are recorded (a renewal reply and an expiry racing on two
 * threads each see the state the other left). Outside the mutex, one thread at a time — whichever
 * recorded a change and found no other thread publishing — drains the queue in order: it tells the
 * coordinator's observers on its own thread, and queues the session listeners' calls (then the
 * completion of {@link #whenEnded()}) on the event thread. So observers and listeners see each
 * change exactly once, in order: a chain ending in one terminal state. A session its caller never
 * got (see {@link #announce()}) reports nothing to observers.
 *
 * <h2>Ending</h2>
 * On EXPIRED or CLOSED, every pending acquisition is aborted (it removes its own queue entry), every grant and leadership is marked lost, and the backend's
 * client resources are released. Close revokes the lease on the server before returning.
 */
public abstract class SessionBase implements Session {

    private static final Logger log = LoggerFactory.getLogger(SessionBase.class);

    /** The coordinator that opened this session. */
    protected final CoordinatorBase coordinator;
    private final String id;
    private final Duration requestedTtl;
    private final Duration grantedTtl;
    private final long ttlNanos;
    private final long renewIntervalNanos;
    /** How long before {@code validUntil} the local expiry verdict is given. */
    private final long expiryGuardNanos;

    /** Attempts at most per renewal round (see the class comment). */
    static final int RENEWAL_ATTEMPTS = 3;

    private final Object mutex = new Object();
    private SessionState state = SessionState.ACTIVE;
    private long validUntil;
    private ScheduledFuture<?> renewTimer;
    private ScheduledFuture<?> deadlineTimer;
    /** Lock/election names this session holds or waits for, mapped to the holder of the claim. */
    private final Map<String, Object> claims = new HashMap<>();
    private final List<Waiter<?>> pending = new ArrayList<>();
    private final List<HeldBase> held = new ArrayList<>();
    private final List<SessionMembership> memberships = new ArrayList<>();

    /** One recorded state change, or (with {@code from == null}) the session's announcement; see the class comment. */
    private record Transition(SessionState from, SessionState to, boolean observed) {
    }

    /** State changes not yet published, in the order they happened; guarded by mutex. */
    private final ArrayDeque<Transition> transitions = new ArrayDeque<>();
    /** Whether a thread is draining {@link #transitions}; guarded by mutex. */
    private boolean publishing;
    /** Whether the session was returned to its caller, so that observers hear of its changes; guarded by mutex. */
    private boolean announced;

    private final CopyOnWriteArrayList<SessionListener> listeners = new CopyOnWriteArrayList<>();
    private final CompletableFuture<SessionState> ended = new CompletableFuture<>();

    /**
     * Sets the first validity deadline, {@code grantSentNanos + grantedTtl}; renewals start with {@link #start()}.
     *
     * @param coordinator    the coordinator opening the session
     * @param id             the backend's identity of the session (see {@link Session#id()})
     * @param requestedTtl   the TTL the caller asked for
     * @param grantedTtl     the TTL the server granted; a renewal round starts every third of it (but at most every 20 ms)
     * @param grantSentNanos {@link System#nanoTime()} just before the request that created the lease was sent
     */
    protected SessionBase(CoordinatorBase coordinator, String id, Duration requestedTtl, Duration grantedTtl, long grantSentNanos) {
        this.coordinator = coordinator;
        this.id = id;
        this.requestedTtl = requestedTtl;
        this.grantedTtl = grantedTtl;
        this.ttlNanos = grantedTtl.toNanos();
        this.renewIntervalNanos = Math.max(ttlNanos / 3, TimeUnit.MILLISECONDS.toNanos(20));
        this.expiryGuardNanos = Math.min(ttlNanos / 5, TimeUnit.MILLISECONDS.toNanos(500));
        this.validUntil = grantSentNanos + ttlNanos;
        if (!grantedTtl.equals(requestedTtl)) {
            log.warn("{} session {}: requested TTL {} ms, the server granted {} ms", coordinator.backend(), id,
                    requestedTtl.toMillis(), grantedTtl.toMillis());
        }
    }

    // ---- backend hooks -------------------------------------------------------------------

    /**
     * One renewal round trip, asynchronous; must not block. Completes with {@code true} if the
     * lease was extended by a full granted TTL, {@code false} if the server says it no longer
     * exists, or exceptionally on a transient failure.
     *
     * @return the reply; a reply later than the renewal interval counts as a transient failure
     */
    protected abstract CompletableFuture<Boolean> renewOnce();

    /**
     * Deletes the lease and everything under it on the server (close).
     *
     * @return completes when the server has deleted it; the base waits at most the operation timeout, and after a
     *         failure the server frees the lease when its TTL runs out
     */
    protected abstract CompletableFuture<Void> revoke();

    /** Releases local client resources once the session has ended. Default: nothing. */
    protected void releaseResources() {
    }

    /**
     * The one recipe hook: a new, not yet enqueued entry of this session in the queue of
     * {@code primitive} named {@code name}, carrying {@code value} (empty for locks, the candidate's
     * value for elections). Every primitive's waiting loop and grant rule run over it.
     *
     * @param primitive {@link Primitive#LOCK}, {@link Primitive#FAIR_LOCK}, {@link Primitive#ELECTION},
     *                  {@link Primitive#SEMAPHORE} or {@link Primitive#READ_WRITE_LOCK}, each with queues of its own
     * @param name      the primitive's name, already checked
     * @param value     the value the entry carries: {@code ""} for locks, the candidate's value for elections, and
     *                  the tag reported to the entries behind ({@link Position.Ahead#tag()}) for semaphores (the
     *                  number of permits, in decimal) and read-write locks ({@link GrantRule#READ} or
     *                  {@link GrantRule#WRITE})
     * @return a new entry; creating it sends nothing, one is created per acquisition or campaign
     */
    protected abstract QueueEntry newEntry(Primitive primitive, String name, String value);

    /**
     * Group hook: stores member {@code memberId} of {@code group} with {@code metadata}, tied to this session's
     * lease (the server deletes it when the session ends), unless another live session holds that member id.
     * A member of this session already there is a retried request whose first try was applied (the base claims
     * each member id once per session): it is returned as the member. A holder whose session the server has
     * dropped does not count (backends whose server does not delete it by itself remove it first).
     *
     * @param group    the group's name, already checked
     * @param memberId the member id, already checked
     * @param metadata the metadata, already checked
     * @return the member as stored, or failing with {@link io.coord.MemberIdInUseException} (another session holds
     *         the id) or a backend error
     */
    protected abstract CompletableFuture<io.coord.group.Member> joinGroup(String group, String memberId, String metadata);

    /**
     * Group hook: replaces the metadata of {@code current} only while the stored member is that join of this
     * session (same join token), in one round trip.
     *
     * @param group    the group's name
     * @param current  the member as this session last wrote it
     * @param metadata the new metadata, already checked
     * @return the member as written (a greater version), or empty if the stored member is not that join any more
     */
    protected abstract CompletableFuture<java.util.Optional<io.coord.group.Member>> updateMember(String group,
            io.coord.group.Member current, String metadata);

    /**
     * Group hook: deletes {@code current} only while the stored member is that join of this session.
     *
     * @param group   the group's name
     * @param current the member as this session last wrote it
     * @return true if it was deleted, false if it was not there (any more)
     */
    protected abstract CompletableFuture<Boolean> leaveGroup(String group, io.coord.group.Member current);

    // ---- the public contract -------------------------------------------------------------

    @Override
    public final String id() {
        return id;
    }

    @Override
    public final Duration requestedTtl() {
        return requestedTtl;
    }

    @Override
    public final Duration grantedTtl() {
        return grantedTtl;
    }

    @Override
    public final SessionState state() {
        synchronized (mutex) {
            return state;
        }
    }

    @Override
    public final long validUntilNanos() {
        synchronized (mutex) {
            return validUntil;
        }
    }

    @Override
    public final Subscription addListener(SessionListener listener) {
        Arguments.notNull("session listener", listener);
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    @Override
    public final CompletableFuture<SessionState> whenEnded() {
        return ended.copy();
    }

    @Override
    public final FencedLock lock(String name) {
        Arguments.name("lock", name);
        ensureLive();
        return new SessionLock(this, name, Primitive.LOCK, () -> newEntry(Primitive.LOCK, name, ""));
    }

    @Override
    public final FairLock fairLock(String name) {
        Arguments.name("fair lock", name);
        ensureLive();
        return new SessionFairLock(this, name, () -> newEntry(Primitive.FAIR_LOCK, name, ""));
    }

    @Override
    public final Semaphore semaphore(String name, int permits) {
        Arguments.name("semaphore", name);
        Arguments.permits(permits);
        ensureLive();
        return new SessionSemaphore(this, name, permits, () -> newEntry(Primitive.SEMAPHORE, name, Integer.toString(permits)));
    }

    @Override
    public final ReadWriteLock readWriteLock(String name) {
        Arguments.name("read-write lock", name);
        ensureLive();
        return new SessionReadWriteLock(this, name, mode -> newEntry(Primitive.READ_WRITE_LOCK, name, mode));
    }

    @Override
    public final Election election(String name) {
        Arguments.name("election", name);
        ensureLive();
        return new SessionElection(this, coordinator.createElectionView(name), value -> newEntry(Primitive.ELECTION, name, value));
    }

    @Override
    public final io.coord.group.Membership join(String group, String memberId, String metadata) {
        Arguments.name("group", group);
        Arguments.name("member id", memberId);
        Arguments.metadata(metadata);
        ensureLive();
        return SessionMembership.join(this, group, memberId, metadata);
    }

    @Override
    public final ShardOwnership shards(String group, String memberId, int shardCount, ShardListener listener) {
        Arguments.name("group", group);
        Arguments.name("member id", memberId);
        if (shardCount < 1 || shardCount > ShardOwnership.MAX_SHARDS) {
            throw new IllegalArgumentException("shard count must be between 1 and " + ShardOwnership.MAX_SHARDS
                    + " (got " + shardCount + ")");
        }
        Arguments.name("group (with its shard locks' suffix)", ShardOwnership.lockName(group, shardCount - 1));
        Arguments.notNull("shard listener", listener);
        ensureLive();
        return SessionShards.start(this, group, memberId, shardCount, listener);
    }

    @Override
    public final void close() {
        if (!end(SessionState.CLOSED, "closed by its owner")) {
            return;
        }
        try {
            revoke().get(coordinator.operationTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("interrupted while revoking session {}; the server frees it after its TTL", id);
        } catch (Exception e) {
            log.warn("revoking session {} failed; the server frees it after its TTL", id, e);
        } finally {
            releaseResources();
            coordinator.sessionEnded(this);
        }
    }

    @Override
    public String toString() {
        return coordinator.backend() + " session " + id + " (" + state() + ")";
    }

    // ---- for backends and recipes --------------------------------------------------------

    /**
     * The coordinator that opened this session.
     *
     * @return the coordinator
     */
    public final CoordinatorBase coordinator() {
        return coordinator;
    }

    /**
     * The counters of this session's coordinator.
     *
     * @return the coordinator's {@link CoordinatorBase#statsRecorder()}
     */
    public final StatsRecorder stats() {
        return coordinator.statsRecorder();
    }

    /** Throws {@link SessionExpiredException} unless the session is ACTIVE or SUSPENDED. */
    public final void ensureLive() {
        coordinator.ensureOpen();
        SessionState s = state();
        if (s.isTerminal()) {
            throw new SessionExpiredException(id, s);
        }
    }

    /**
     * Reports that the server dropped this session (from any thread). Idempotent: only the first end counts.
     *
     * @param why what the backend saw, for the log
     */
    public final void expired(String why) {
        if (end(SessionState.EXPIRED, why)) {
            cleanUpAfterExpiry();
        }
    }

    // ---- claims, pending acquisitions, held grants (used by SessionLock / SessionElection) --

    final void claim(String key, String description) {
        synchronized (mutex) {
            if (state.isTerminal()) {
                throw new SessionExpiredException(id, state);
            }
            if (claims.containsKey(key)) {
                throw new AlreadyHeldException("session " + id + " already holds or waits for " + description
                        + "; coord is not re-entrant: release or leave it first, or use another session");
            }
            claims.put(key, key);
        }
    }

    final void unclaim(String key) {
        synchronized (mutex) {
            claims.remove(key);
        }
    }

    /** Registers a running acquisition; false if the session already ended. */
    final boolean addPending(Waiter<?> a) {
        synchronized (mutex) {
            if (state.isTerminal()) {
                return false;
            }
            pending.add(a);
            return true;
        }
    }

    final void removePending(Waiter<?> a) {
        synchronized (mutex) {
            pending.remove(a);
        }
    }

    /** Registers a fresh grant or leadership; false if the session already ended (the caller must undo it). */
    final boolean adopt(HeldBase h) {
        synchronized (mutex) {
            if (state.isTerminal()) {
                return false;
            }
            held.add(h);
            stats().adjustHeld(h.primitive(), 1);
            return true;
        }
    }

    /** Registers a fresh membership, lost with the session; false if the session already ended (the caller loses it). */
    final boolean adoptMembership(SessionMembership m) {
        synchronized (mutex) {
            if (state.isTerminal()) {
                return false;
            }
            memberships.add(m);
            return true;
        }
    }

    final void forgetMembership(SessionMembership m) {
        synchronized (mutex) {
            memberships.remove(m);
        }
    }

    /** Why what this session holds is lost when it ends or has ended: closed by its owner, or expired (also while its validity has passed). */
    final LossReason endReason() {
        synchronized (mutex) {
            return state == SessionState.CLOSED ? LossReason.SESSION_CLOSED : LossReason.SESSION_EXPIRED;
        }
    }

    final void forget(HeldBase h) {
        synchronized (mutex) {
            if (held.remove(h)) {
                stats().adjustHeld(h.primitive(), -1);
            }
        }
    }

    // ---- the state machine ---------------------------------------------------------------

    /**
     * The coordinator is about to return this session to its caller: observers are told it opened (before any
     * later change of it), and from now on of its changes. False if it has already ended: then it is never
     * reported at all.
     */
    final boolean announce() {
        synchronized (mutex) {
            if (state.isTerminal()) {
                return false;
            }
            announced = true;
            transitions.add(new Transition(null, state, true));
        }
        publish();
        return true;
    }

    final void start() {
        synchronized (mutex) {
            if (state.isTerminal()) {
                return;
            }
            renewTimer = coordinator.scheduler().schedule(this::renew, renewIntervalNanos, TimeUnit.NANOSECONDS);
            armDeadline();
        }
    }

    /** One renewal round's attempts; guarded by {@code mutex}. */
    private static final class Round {
        int sent;
        int failed;
        boolean over;
        ScheduledFuture<?> hedge;
    }

    private void renew() {
        synchronized (mutex) {
            if (state.isTerminal()) {
                return;
            }
        }
        sendAttempt(new Round());
    }

    /** Sends the round's next attempt, unless the round is over or has sent them all; arms the next hedge. */
    private void sendAttempt(Round round) {
        synchronized (mutex) {
            if (state.isTerminal() || round.over || round.sent == RENEWAL_ATTEMPTS) {
                return;
            }
            round.sent++;
            cancel(round.hedge);
            if (round.sent < RENEWAL_ATTEMPTS) {
                round.hedge = coordinator.scheduler().schedule(() -> sendAttempt(round), renewIntervalNanos / 4, TimeUnit.NANOSECONDS);
            }
        }
        long sentAt = System.nanoTime();
        stats().roundTrip(Primitive.SESSION);
        CompletableFuture<Boolean> reply;
        try {
            reply = renewOnce();
        } catch (RuntimeException e) {
            reply = CompletableFuture.failedFuture(e);
        }
        reply.orTimeout(renewIntervalNanos, TimeUnit.NANOSECONDS)
                .whenCompleteAsync((alive, error) -> renewed(round, sentAt, alive, error), coordinator.scheduler());
    }

    private void renewed(Round round, long sentAt, Boolean alive, Throwable error) {
        SessionState before;
        boolean sendNext = false;
        boolean changed = false;
        Duration observed;
        synchronized (mutex) {
            if (state.isTerminal()) {
                return;
            }
            before = state;
            long now = System.nanoTime();
            observed = Duration.ofNanos(Math.max(0, now - sentAt));
            if (error == null && Boolean.TRUE.equals(alive)) {
                if (sentAt + ttlNanos > validUntil) {
                    validUntil = sentAt + ttlNanos;
                    armDeadline();
                }
                state = SessionState.ACTIVE;
                if (!round.over) { // a late success of an earlier round only extends the validity
                    round.over = true;
                    cancel(round.hedge);
                    renewTimer = coordinator.scheduler().schedule(this::renew,
                            Math.max(0, sentAt + renewIntervalNanos - now), TimeUnit.NANOSECONDS);
                }
            } else if (error == null) {
                before = null; // expire below, outside the mutex
            } else if (!round.over) { // a failure of a round that has not succeeded (yet): renewals are failing
                state = SessionState.SUSPENDED;
                if (before == SessionState.ACTIVE) {
                    log.info("{}: renewal failed ({}); suspended, valid for {} ms more", this, error.toString(),
                            TimeUnit.NANOSECONDS.toMillis(validUntil - now));
                }
                if (++round.failed < RENEWAL_ATTEMPTS) {
                    sendNext = round.failed == round.sent; // every attempt so far failed: do not wait for the hedge
                } else {
                    round.over = true;
                    long retry = Math.max(TimeUnit.MILLISECONDS.toNanos(20), renewIntervalNanos / 4);
                    renewTimer = coordinator.scheduler().schedule(this::renew, retry, TimeUnit.NANOSECONDS);
                }
            }
            if (before != null && before != state) { // recorded here, in the mutex: it happened exactly now
                recordTransition(before, state);
                changed = true;
            }
        }
        // Observers are told outside the mutex, on this (the scheduler) thread.
        if (error == null && Boolean.TRUE.equals(alive)) {
            coordinator.observers().renewed(id, observed);
        } else {
            coordinator.observers().renewalFailed(id, observed, error == null ? SessionExpiredException.class : failureType(error));
        }
        if (changed) {
            publish();
        }
        if (sendNext) {
            sendAttempt(round);
        }
        if (before == null) {
            expired("the server reports the lease is gone"); // end() records and publishes the terminal change
        }
    }

    /**
     * Must hold mutex. The local verdict fires a guard interval before {@code validUntil}, so that
     * loss signals arrive no later than the deadline even when the timer thread runs a little late.
     */
    private void armDeadline() {
        cancel(deadlineTimer);
        long delay = validUntil - expiryGuardNanos - System.nanoTime();
        deadlineTimer = coordinator.scheduler().schedule(this::deadlinePassed, Math.max(0, delay), TimeUnit.NANOSECONDS);
    }

    private void deadlinePassed() {
        synchronized (mutex) {
            if (state.isTerminal()) {
                return;
            }
            if (System.nanoTime() - (validUntil - expiryGuardNanos) < 0) {
                armDeadline();
                return;
            }
        }
        if (end(SessionState.EXPIRED, "no successful renewal before the validity deadline")) {
            cleanUpAfterExpiry();
        }
    }

    /** After a local or server-side expiry: make the server agree (if it can be reached) and free resources. */
    private void cleanUpAfterExpiry() {
        CompletableFuture<Void> revoked;
        try {
            revoked = revoke();
        } catch (RuntimeException e) {
            revoked = CompletableFuture.failedFuture(e);
        }
        revoked.orTimeout(coordinator.operationTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .whenCompleteAsync((v, e) -> {
                    releaseResources();
                    coordinator.sessionEnded(this);
                }, coordinator.workers());
    }

    /** Moves to a final state once; aborts pending work and loses held grants. */
    private boolean end(SessionState terminal, String why) {
        SessionState before;
        List<Waiter<?>> aborted;
        List<HeldBase> lost;
        List<SessionMembership> left;
        synchronized (mutex) {
            if (state.isTerminal()) {
                return false;
            }
            before = state;
            state = terminal;
            cancel(renewTimer);
            cancel(deadlineTimer);
            aborted = new ArrayList<>(pending);
            lost = new ArrayList<>(held);
            pending.clear();
            for (HeldBase h : held) {
                stats().adjustHeld(h.primitive(), -1);
            }
            held.clear();
            left = new ArrayList<>(memberships);
            memberships.clear();
            claims.clear();
            recordTransition(before, terminal); // the one terminal change: only the first end gets here
        }
        if (terminal == SessionState.EXPIRED) {
            log.warn("{}: expired ({}); {} grant(s) lost, {} acquisition(s) aborted", this, why, lost.size(), aborted.size());
        }
        SessionExpiredException cause = new SessionExpiredException(id, terminal);
        LossReason reason = terminal == SessionState.CLOSED ? LossReason.SESSION_CLOSED : LossReason.SESSION_EXPIRED;
        try {
            for (Waiter<?> a : aborted) {
                a.abort(cause);
            }
            for (HeldBase h : lost) {
                h.lose(reason);
            }
            for (SessionMembership m : left) {
                m.lose(reason);
            }
        } finally {
            publish(); // the terminal change, after the waiters and grants it ended
        }
        return true;
    }

    /** Must hold mutex: records that the state just changed from {@code from} to {@code to}. */
    private void recordTransition(SessionState from, SessionState to) {
        transitions.add(new Transition(from, to, announced));
    }

    /**
     * Publishes the recorded changes in order, unless another thread is doing so (it then publishes ours too).
     * Runs on the thread that recorded a change, holding no lock while it tells anyone.
     */
    private void publish() {
        synchronized (mutex) {
            if (publishing) {
                return;
            }
            publishing = true;
        }
        boolean drained = false;
        try {
            while (true) {
                Transition t;
                synchronized (mutex) {
                    t = transitions.poll();
                    if (t == null) {
                        publishing = false;
                        drained = true;
                        return;
                    }
                }
                deliver(t);
            }
        } finally {
            if (!drained) {
                synchronized (mutex) {
                    publishing = false;
                }
            }
        }
    }

    /** Tells the coordinator's observers on this thread, then queues this session's listeners on the event thread. */
    private void deliver(Transition t) {
        if (t.from() == null) {
            coordinator.observers().sessionOpened(id);
            return;
        }
        SessionState from = t.from();
        SessionState to = t.to();
        if (t.observed()) {
            coordinator.observers().sessionStateChanged(id, from, to);
        }
        coordinator.events().execute(() -> {
            for (SessionListener l : listeners) {
                try {
                    l.stateChanged(this, from, to);
                } catch (RuntimeException e) {
                    log.warn("session listener failed", e);
                }
            }
        });
        if (to.isTerminal()) {
            coordinator.events().execute(() -> ended.complete(to));
        }
    }

    /** The type of a renewal's failure, unwrapped from the future's wrappers. */
    private static Class<? extends Throwable> failureType(Throwable error) {
        Throwable t = error;
        while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getClass();
    }

    private static void cancel(ScheduledFuture<?> timer) {
        if (timer != null) {
            timer.cancel(false);
        }
    }
}
