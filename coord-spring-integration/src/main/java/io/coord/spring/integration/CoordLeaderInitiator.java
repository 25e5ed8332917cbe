package io.coord.spring.integration;

import io.coord.AlreadyHeldException;
import io.coord.CoordException;
import io.coord.LossReason;
import io.coord.NotLeaderException;
import io.coord.Session;
import io.coord.SessionExpiredException;
import io.coord.SessionState;
import io.coord.election.Leadership;
import io.coord.spi.Arguments;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.ApplicationEventPublisherAware;
import org.springframework.context.SmartLifecycle;
import org.springframework.integration.leader.Candidate;
import org.springframework.integration.leader.Context;
import org.springframework.integration.leader.event.DefaultLeaderEventPublisher;
import org.springframework.integration.leader.event.LeaderEventPublisher;

/**
 * Runs a Spring Integration {@link Candidate} in a coord election on one {@link Session}, like Spring Integration's
 * {@code LockRegistryLeaderInitiator} and ZooKeeper {@code LeaderInitiator}: {@link #start()} campaigns, and each
 * leadership is told to the candidate ({@link Candidate#onGranted}, {@link Candidate#onRevoked}) and published as
 * {@code OnGrantedEvent} / {@code OnRevokedEvent} through the {@link #setLeaderEventPublisher configured}
 * {@link LeaderEventPublisher}, or else a {@link DefaultLeaderEventPublisher} on the application context's
 * publisher (no events without either).
 *
 * <p>Mapping:
 * <ul>
 *   <li>{@link #start()} → {@code session.election(electionName).campaignAsync(candidate.getId())}: the candidate's
 *       id is the value announced to observers. The pending campaign holds no thread.</li>
 *   <li>Elected → {@code onGranted(context)}, then {@code OnGrantedEvent}: Spring's own initiators' order, so
 *       {@code onGranted} should return promptly (start long leader work on a thread of your own, stop it in
 *       {@code onRevoked}); the event follows once it has returned. Each leadership has its own
 *       {@link CoordContext}, passed to {@code onGranted} and {@code onRevoked} and carried by both events: its
 *       {@link CoordContext#fencingToken()} is that leadership's {@link Leadership#term() term} (strictly greater
 *       than every earlier leader's), readable at any time, also after the loss; its {@code isLeader()} and
 *       {@code yield()} concern that leadership only (false / no effect once it has ended). {@link #getContext()}
 *       is live: it follows whichever leadership is current.</li>
 *   <li>{@link CoordContext#yield()} → {@link Leadership#resign()}, {@code onRevoked}, {@code OnRevokedEvent}, then a
 *       new campaign: the next candidate in line (if any) leads, this one queues behind it. If the server does not
 *       confirm the resignation, the candidate is revoked locally at once all the same ({@code onRevoked},
 *       {@code OnRevokedEvent}) and the resignation is retried on the initiator's thread (200 ms, doubling to 5 s,
 *       until it succeeds, the leadership is lost or the session ends); the new campaign follows it.</li>
 *   <li>{@link #stop()} → the pending campaign is withdrawn, or the leadership resigned (retried as for a yield if
 *       the server does not confirm it), followed by {@code onRevoked} and {@code OnRevokedEvent}; no further
 *       campaign.</li>
 *   <li>Leadership lost ({@link Leadership#whenLost()}: session expired or closed, entry deleted) →
 *       {@code onRevoked} and {@code OnRevokedEvent}. If the session still lives (its entry was deleted by someone
 *       else) the initiator campaigns again. <b>If the session has ended, the initiator stops</b> ({@link #isRunning()}
 *       turns false, one WARN): it is bound to that one session and never opens another. Open a new session and a new
 *       initiator to take part again.</li>
 *   <li>A campaign the server failed (not a session end) is logged at WARN and started again one second later on
 *       the initiator's thread. After a {@link #stop()}, {@link #start()} campaigns again (once coord has withdrawn
 *       the earlier candidacy); after {@link #destroy()} it throws {@link IllegalStateException}.</li>
 *   <li>A candidate entry deleted by someone else while the session lives goes unnoticed unless coord reports it
 *       ({@code ENTRY_DELETED}, only to a leader that proclaims, which the initiator does not): the leadership's term
 *       is what protects the resource's writes.</li>
 *   <li>No {@code OnFailedToAcquireMutexEvent} is published: a coord campaign waits in the queue, it does not poll.</li>
 * </ul>
 *
 * <p>Threads: every candidate callback and every event is delivered on this initiator's own thread, named
 * {@code coord-leader-<election name>} (one daemon thread, started on demand, ending 10 s after it fell idle, and at
 * once on {@link #destroy()}), one at a time and in order, never on coord's or a client library's thread. A
 * candidate may do its leadership work inside {@code onGranted}: loss, {@link #stop()} and a yield from another
 * thread interrupt that thread, and {@code onRevoked} follows when {@code onGranted} has returned. The coord callbacks
 * only hand over to that thread.
 */
public final class CoordLeaderInitiator implements SmartLifecycle, ApplicationEventPublisherAware, DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(CoordLeaderInitiator.class);
    /** Pause before campaigning again after the server failed a campaign. */
    private static final long RETRY_AFTER_FAILURE_MS = 1000;
    /** Pause before campaigning again while the previous candidacy is still being withdrawn. */
    private static final long RETRY_ALREADY_HELD_MS = 100;
    /** First pause before retrying a resignation the server did not confirm; doubled per attempt. */
    private static final long RESIGN_RETRY_FIRST_MS = 200;
    /** Longest pause between two resignation attempts. */
    private static final long RESIGN_RETRY_MAX_MS = 5000;

    private final Session session;
    private final String electionName;
    private final Candidate candidate;
    /** The live context: follows the current leadership. */
    private final CoordContext liveContext = new CoordContext(null);
    /**
     * The initiator's single thread: runs the state machine, the candidate callbacks, the event publishing and the
     * blocking resign round trips, one task at a time.
     */
    private final ThreadPoolExecutor initiatorThread;
    /** The initiator's current thread (there is at most one at a time), so that stop() from a callback does not wait for itself. */
    private volatile Thread worker;

    // Guarded by this: configuration and the election state machine. No coord call is made while holding it.
    private LeaderEventPublisher leaderEventPublisher;
    private ApplicationEventPublisher applicationEventPublisher;
    private boolean autoStartup = true;
    private int phase = Integer.MAX_VALUE - 1000;
    private boolean running;
    private boolean destroyed;
    /** The pending campaign, or null. */
    private CompletableFuture<Leadership> campaign;
    /** The current leadership (granted, not yet revoked), or null. */
    private Leadership leadership;
    /** The context of {@link #leadership}, or null. */
    private CoordContext leadershipContext;
    /** A revoked leadership whose resignation the server did not confirm and is being retried, or null. */
    private Leadership resigning;
    /** The initiator's thread while it runs {@code onGranted}, to interrupt on revocation; or null. */
    private Thread inGranted;

    /**
     * An initiator for {@code candidate} in the election named by its {@link Candidate#getRole() role}.
     *
     * @param session   the session that campaigns and owns the leadership, not null; the initiator does not close it
     * @param candidate the candidate, not null; its role names the election, its id is the value announced
     */
    public CoordLeaderInitiator(Session session, Candidate candidate) {
        this(session, Objects.requireNonNull(candidate, "candidate must not be null").getRole(), candidate);
    }

    /**
     * An initiator for {@code candidate} in the election {@code electionName}.
     *
     * @param session      the session that campaigns and owns the leadership, not null; the initiator does not close it
     * @param electionName the coord election name: non-blank, at most {@link Arguments#MAX_NAME_BYTES} UTF-8 bytes
     * @param candidate    the candidate, not null; its id (at most {@link Arguments#MAX_VALUE_BYTES} UTF-8 bytes) is
     *                     the value announced to observers of the election, its role is the role of the events
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the election name or the candidate's id is not allowed
     */
    public CoordLeaderInitiator(Session session, String electionName, Candidate candidate) {
        this.session = Objects.requireNonNull(session, "session must not be null");
        this.candidate = Objects.requireNonNull(candidate, "candidate must not be null");
        Objects.requireNonNull(electionName, "election name must not be null");
        if (electionName.isBlank()) {
            throw new IllegalArgumentException("election name must not be blank (got \"" + electionName + "\")");
        }
        int bytes = electionName.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > Arguments.MAX_NAME_BYTES) {
            throw new IllegalArgumentException("election name is " + bytes + " UTF-8 bytes long; at most "
                    + Arguments.MAX_NAME_BYTES + " are allowed");
        }
        String id = Objects.requireNonNull(candidate.getId(), "candidate id must not be null");
        int idBytes = id.getBytes(StandardCharsets.UTF_8).length;
        if (idBytes > Arguments.MAX_VALUE_BYTES) {
            throw new IllegalArgumentException("candidate id is " + idBytes + " UTF-8 bytes long; at most "
                    + Arguments.MAX_VALUE_BYTES + " are allowed (it is the value announced in the election)");
        }
        this.electionName = electionName;
        this.initiatorThread = new ThreadPoolExecutor(1, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "coord-leader-" + electionName);
            t.setDaemon(true);
            worker = t;
            return t;
        });
        this.initiatorThread.allowCoreThreadTimeOut(true);
    }

    /**
     * Sets the publisher of the leader events; without one, a {@link DefaultLeaderEventPublisher} on the application
     * event publisher is used from {@link #start()} on.
     *
     * @param leaderEventPublisher the publisher, not null
     */
    public synchronized void setLeaderEventPublisher(LeaderEventPublisher leaderEventPublisher) {
        this.leaderEventPublisher = Objects.requireNonNull(leaderEventPublisher, "leaderEventPublisher must not be null");
    }

    /**
     * Called by the application context; the publisher of the default {@link DefaultLeaderEventPublisher}.
     *
     * @param applicationEventPublisher the context's publisher
     */
    @Override
    public synchronized void setApplicationEventPublisher(ApplicationEventPublisher applicationEventPublisher) {
        this.applicationEventPublisher = applicationEventPublisher;
    }

    /**
     * Whether the context starts this initiator itself; true by default.
     *
     * @param autoStartup false to call {@link #start()} yourself
     */
    public synchronized void setAutoStartup(boolean autoStartup) {
        this.autoStartup = autoStartup;
    }

    /**
     * The lifecycle phase; {@code Integer.MAX_VALUE - 1000} by default, as Spring Integration's initiators.
     *
     * @param phase the phase
     */
    public synchronized void setPhase(int phase) {
        this.phase = phase;
    }

    /**
     * Whether the context starts this initiator itself.
     *
     * @return true unless {@link #setAutoStartup(boolean) set} otherwise
     */
    @Override
    public synchronized boolean isAutoStartup() {
        return autoStartup;
    }

    /**
     * The lifecycle phase.
     *
     * @return the phase
     */
    @Override
    public synchronized int getPhase() {
        return phase;
    }

    /**
     * Whether the initiator takes part in the election: from {@link #start()} until {@link #stop()}, or until the
     * session ends.
     *
     * @return true while campaigning or leading
     */
    @Override
    public synchronized boolean isRunning() {
        return running;
    }

    /**
     * The live context: the same object for the initiator's life, following whichever leadership is current (its
     * {@code fencingToken()} is the current term and throws when not leading). The candidate callbacks and the events
     * get each leadership's own context instead.
     *
     * @return the live context
     */
    public CoordContext getContext() {
        return liveContext;
    }

    /**
     * The election this initiator campaigns in.
     *
     * @return the coord election name
     */
    public String getElectionName() {
        return electionName;
    }

    /**
     * Starts campaigning, returning at once (the campaign starts on the initiator's thread). No-op if running.
     *
     * @throws IllegalStateException if the session has ended (the initiator is bound to it: open a new session and a
     *         new initiator) or the initiator was {@linkplain #destroy() destroyed}
     */
    @Override
    public void start() {
        synchronized (this) {
            if (destroyed) {
                throw new IllegalStateException(this + " was destroyed; make a new initiator to campaign again");
            }
            if (running) {
                return;
            }
            SessionState state = session.state();
            if (state.isTerminal()) {
                throw new IllegalStateException("cannot start " + this + ": session " + session.id() + " is " + state
                        + "; an initiator campaigns on its one session only (open a new session and a new initiator)");
            }
            if (leaderEventPublisher == null && applicationEventPublisher != null) {
                leaderEventPublisher = new DefaultLeaderEventPublisher(applicationEventPublisher);
            }
            running = true;
        }
        execute(this::campaign);
    }

    /**
     * Stops taking part: withdraws the pending campaign, or resigns the leadership and then calls {@code onRevoked}
     * and publishes {@code OnRevokedEvent} on the initiator's thread. Waits until that is done, but at most twice the
     * session's granted TTL, and at least 1 s (a resignation is one round trip within the operation timeout; a candidate that does not
     * end {@code onGranted} when interrupted can delay it more): then it logs a WARN and returns, and the revocation
     * follows on the initiator's thread. Called on the initiator's own thread (from a candidate callback), it returns
     * at once and the rest follows when the callback has returned. No-op if not running. Do not call it on one of
     * coord's threads (a session listener, a {@code whenLost} stage): the resignation's reply may need that thread;
     * use {@link #stop(Runnable)} there.
     */
    @Override
    public void stop() {
        CountDownLatch done = new CountDownLatch(1);
        boolean wait = stopAnd(done::countDown);
        if (wait && !onInitiatorThread()) {
            awaitBounded(done, "stop()");
        }
    }

    /**
     * Like {@link #stop()}, but returns at once and runs {@code callback} on the initiator's thread once the
     * leadership (if any) was resigned and revoked.
     *
     * @param callback run when stopped, not null
     */
    @Override
    public void stop(Runnable callback) {
        Objects.requireNonNull(callback, "callback must not be null");
        if (!stopAnd(callback)) {
            callback.run();
        }
    }

    /**
     * {@link #stop()}, then shuts the initiator's thread down: it has ended when this returns (waiting as
     * {@link #stop()} does, bounded the same way), and the initiator cannot be started again. A resignation still
     * being retried is abandoned: the session's end removes the leadership at the latest.
     */
    @Override
    public void destroy() {
        stop();
        synchronized (this) {
            destroyed = true;
        }
        initiatorThread.shutdown();
        if (!onInitiatorThread()) {
            boolean interrupted = false;
            try {
                if (!initiatorThread.awaitTermination(stopBoundMillis(), TimeUnit.MILLISECONDS)) {
                    log.warn("{}: the initiator's thread did not end within {} ms of destroy()", this,
                            stopBoundMillis());
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Returns false if not running (callback not scheduled). Any thread. */
    private boolean stopAnd(Runnable callback) {
        Leadership held;
        CompletableFuture<Leadership> pending;
        synchronized (this) {
            if (!running) {
                return false;
            }
            running = false;
            pending = campaign;
            campaign = null;
            held = leadership;
            if (held != null && inGranted != null && inGranted != Thread.currentThread()) {
                inGranted.interrupt();
            }
        }
        if (pending != null) {
            pending.cancel(true); // outside the monitor: coord withdraws the candidacy; a racing leadership resigns itself
        }
        if (!execute(() -> {
            try {
                if (held != null) {
                    endLeadership(held);
                }
            } finally {
                callback.run();
            }
        })) {
            callback.run();
        }
        return true;
    }

    /** Waits for {@code done} at most {@link #stopBoundMillis()}, keeping the interrupt status. */
    private void awaitBounded(CountDownLatch done, String what) {
        long bound = stopBoundMillis();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(bound);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    if (!done.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                        log.warn("{}: {} gave up waiting after {} ms; the revocation follows on the initiator's thread",
                                this, what, bound);
                    }
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private long stopBoundMillis() {
        return Math.max(1000, session.grantedTtl().multipliedBy(2).toMillis());
    }

    // ---- The state machine; every method below runs on the initiator's thread. ----

    private void campaign() {
        synchronized (this) {
            if (!running || campaign != null || leadership != null || resigning != null) {
                return;
            }
        }
        CompletableFuture<Leadership> started;
        try {
            started = session.election(electionName).campaignAsync(candidate.getId()); // outside the monitor
        } catch (SessionExpiredException e) {
            synchronized (this) {
                sessionEnded(e);
            }
            return;
        } catch (AlreadyHeldException e) {
            // the candidacy withdrawn by an earlier stop() is still being removed (a stop/start restart)
            log.debug("election '{}': the previous candidacy is still being withdrawn; campaigning in {} ms",
                    electionName, RETRY_ALREADY_HELD_MS);
            later(RETRY_ALREADY_HELD_MS, this::campaign);
            return;
        } catch (CoordException | IllegalStateException e) {
            synchronized (this) {
                running = false;
            }
            log.warn("coord leader initiator for election '{}' cannot campaign and stops: {}", electionName,
                    e.toString());
            return;
        }
        boolean keep;
        synchronized (this) {
            keep = running && campaign == null && leadership == null;
            if (keep) {
                campaign = started;
            }
        }
        if (!keep) {
            started.cancel(true); // stopped meanwhile
            return;
        }
        // Runs on coord's event thread: only hands the outcome over to the initiator's thread.
        started.whenComplete((l, e) -> execute(() -> campaignDone(started, l, e)));
    }

    /**
     * The campaign {@code done} completed: if it is still the current one, lead (OnGrantedEvent, onGranted) or handle
     * the failure; if stop() withdrew it meanwhile, give back a leadership that raced the withdrawal.
     *
     * @param done    the campaign's future
     * @param elected the leadership, or null on failure
     * @param failure the failure, or null
     */
    private void campaignDone(CompletableFuture<Leadership> done, Leadership elected, Throwable failure) {
        boolean withdrawn = false;
        Throwable cause = null;
        CoordContext context = null;
        synchronized (this) {
            if (campaign != done) {
                withdrawn = true;
            } else {
                campaign = null;
                if (failure == null) {
                    leadership = elected;
                    context = new CoordContext(elected);
                    leadershipContext = context;
                    inGranted = Thread.currentThread();
                } else {
                    cause = failure instanceof CompletionException && failure.getCause() != null
                            ? failure.getCause() : failure;
                    if (cause instanceof SessionExpiredException || session.state().isTerminal()) {
                        sessionEnded(cause);
                        return;
                    }
                }
            }
        }
        if (withdrawn) {
            if (elected != null) {
                resignQuietly(elected); // a round trip, on this thread, outside the monitor
            }
            return;
        }
        if (cause != null) {
            if (!(cause instanceof CancellationException)) {
                log.warn("coord campaign in election '{}' failed ({}); campaigning again in {} ms", electionName,
                        cause.toString(), RETRY_AFTER_FAILURE_MS);
                later(RETRY_AFTER_FAILURE_MS, this::campaign);
            }
            return;
        }
        // Runs on coord's event thread: interrupts onGranted if running, then hands over.
        elected.whenLost().whenComplete((reason, x) -> {
            interruptGranted(elected);
            execute(() -> lost(elected, reason));
        });
        try {
            candidate.onGranted(context);
        } catch (InterruptedException e) {
            log.debug("onGranted of election '{}' interrupted: leadership ending", electionName);
        } catch (RuntimeException e) {
            log.warn("onGranted of election '{}' threw", electionName, e);
        } finally {
            synchronized (this) {
                inGranted = null;
            }
            Thread.interrupted(); // an interrupt meant for onGranted must not reach the next task
            // After onGranted, as Spring's LockRegistryLeaderInitiator and LeaderInitiator do; also when it threw or
            // was interrupted, so that listeners always hear OnGrantedEvent before this leadership's OnRevokedEvent.
            publish(true, context);
        }
    }

    private void lost(Leadership l, LossReason reason) {
        synchronized (this) {
            if (leadership != l) {
                return; // already revoked (yield or stop)
            }
        }
        log.info("leadership of election '{}' (term {}) lost: {}", electionName, l.term(), reason);
        revoke(l);
        campaignAgain();
    }

    private void yieldNow(Leadership l) {
        synchronized (this) {
            if (leadership != l || !running) {
                return;
            }
        }
        log.debug("yielding leadership of election '{}' (term {})", electionName, l.term());
        if (endLeadership(l)) {
            campaign();
        }
    }

    /** After a revocation: campaigns again if still running and the session lives; stops if it has ended. */
    private void campaignAgain() {
        synchronized (this) {
            if (!running) {
                return;
            }
            if (session.state().isTerminal()) {
                sessionEnded(null);
                return;
            }
        }
        campaign();
    }

    /**
     * Resigns, then revokes (onRevoked, OnRevokedEvent) at once. Returns false if the server did not confirm the
     * resignation: it is then retried in the background (see {@link #resignAgain}), which campaigns again when done.
     */
    private boolean endLeadership(Leadership l) {
        boolean resigned = resign(l);
        if (!resigned) {
            synchronized (this) {
                resigning = l; // no campaign until coord no longer counts it as held
            }
        }
        revoke(l);
        if (!resigned) {
            later(RESIGN_RETRY_FIRST_MS, () -> resignAgain(l, 1));
        }
        return resigned;
    }

    /** One more attempt to resign {@code l} (attempt {@code attempt}); backs off and tries again if it fails. */
    private void resignAgain(Leadership l, int attempt) {
        if (!resign(l)) {
            long delay = Math.min(RESIGN_RETRY_MAX_MS, RESIGN_RETRY_FIRST_MS << Math.min(attempt, 10));
            later(delay, () -> resignAgain(l, attempt + 1));
            return;
        }
        synchronized (this) {
            if (resigning == l) {
                resigning = null;
            }
        }
        campaignAgain();
    }

    /**
     * One resignation round trip. True if coord no longer holds the leadership (resigned, lost before, or the session
     * has ended); false if the server did not confirm it.
     */
    private boolean resign(Leadership l) {
        try {
            l.resign();
            return true;
        } catch (NotLeaderException e) {
            return true; // lost meanwhile
        } catch (CoordException e) {
            if (session.state().isTerminal()) {
                return true; // the session's end removed it
            }
            log.warn("resigning election '{}' (term {}) was not confirmed by the server ({}); revoked locally, "
                    + "retrying the resignation", electionName, l.term(), e.toString());
            return false;
        }
    }

    /** Revokes {@code l} if it is current: onRevoked and OnRevokedEvent with its context. */
    private void revoke(Leadership l) {
        CoordContext context;
        synchronized (this) {
            if (leadership != l) {
                return;
            }
            leadership = null;
            context = leadershipContext;
            leadershipContext = null;
        }
        try {
            candidate.onRevoked(context);
        } catch (RuntimeException e) {
            log.warn("onRevoked of election '{}' threw", electionName, e);
        }
        publish(false, context);
    }

    private void publish(boolean granted, CoordContext context) {
        LeaderEventPublisher publisher;
        synchronized (this) {
            publisher = leaderEventPublisher;
        }
        if (publisher == null) {
            return;
        }
        try {
            if (granted) {
                publisher.publishOnGranted(this, context, candidate.getRole());
            } else {
                publisher.publishOnRevoked(this, context, candidate.getRole());
            }
        } catch (RuntimeException e) {
            log.warn("publishing {} of election '{}' failed", granted ? "OnGrantedEvent" : "OnRevokedEvent",
                    electionName, e);
        }
    }

    /** Caller holds the monitor. */
    private void sessionEnded(Throwable cause) {
        running = false;
        log.warn("coord leader initiator for election '{}' stops: session {} is {}; it campaigns on that session only "
                + "(open a new session and a new initiator){}", electionName, session.id(), session.state(),
                cause == null ? "" : " (" + cause + ")");
    }

    // ---- Any thread. ----

    /**
     * Runs {@code task} on the initiator's thread after {@code delayMs}: the delay is kept by the JDK's shared
     * delayer thread, which only hands the task over and holds no thread of ours meanwhile.
     */
    private void later(long delayMs, Runnable task) {
        CompletableFuture.delayedExecutor(delayMs, TimeUnit.MILLISECONDS, r -> execute(r)).execute(task);
    }

    /** Hands {@code task} to the initiator's thread; false (task dropped) once {@link #destroy()} shut it down. */
    private boolean execute(Runnable task) {
        try {
            initiatorThread.execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            log.debug("{} is destroyed: a task is dropped", this);
            return false;
        }
    }

    private void resignQuietly(Leadership l) {
        try {
            l.resign();
        } catch (RuntimeException e) {
            log.debug("resigning a withdrawn leadership of election '{}' failed: {}", electionName, e.toString());
        }
    }

    private synchronized void interruptGranted(Leadership l) {
        if (leadership == l && inGranted != null && inGranted != Thread.currentThread()) {
            inGranted.interrupt();
        }
    }

    private synchronized Leadership current() {
        return leadership;
    }

    private boolean onInitiatorThread() {
        return Thread.currentThread() == worker;
    }

    @Override
    public String toString() {
        return "CoordLeaderInitiator{election='" + electionName + "', candidate=" + candidate.getId() + ", session="
                + session.id() + "}";
    }

    /**
     * The {@link Context} of a {@link CoordLeaderInitiator}: the role, the leadership state, yield, and the term as
     * the fencing token. Each leadership has its own context (given to the candidate callbacks and carried by the
     * events), bound to that leadership: its {@link #fencingToken()} is that term, readable at any time, and its
     * {@link #isLeader()} and {@link #yield()} concern that leadership only. The initiator's
     * {@link CoordLeaderInitiator#getContext() live context} follows the current leadership instead. Every method may
     * be called from any thread.
     */
    public final class CoordContext implements Context {

        /** The leadership this context is bound to; null for the live context. */
        private final Leadership bound;

        private CoordContext(Leadership bound) {
            this.bound = bound;
        }

        /**
         * Whether the candidate leads now (through this context's leadership, for a leadership's context): false once
         * it was revoked, and from the instant the session's validity deadline passes, even before the loss is
         * signalled.
         *
         * @return true while this context's leadership (or, for the live context, the current one) is live
         */
        @Override
        public boolean isLeader() {
            Leadership l = current();
            return l != null && (bound == null || bound == l) && l.isLeader();
        }

        /**
         * Gives up the leadership: resign, {@code onRevoked}, {@code OnRevokedEvent}, then campaign again behind the
         * candidates already waiting. Returns at once (the rest runs on the initiator's thread); if called from another
         * thread while {@code onGranted} runs, that thread is interrupted. No effect if not the leader, or if this is
         * the context of a leadership that has already ended.
         */
        @Override
        public void yield() {
            Leadership l;
            synchronized (CoordLeaderInitiator.this) {
                l = leadership;
                if (l == null || (bound != null && bound != l)) {
                    return;
                }
                if (inGranted != null && inGranted != Thread.currentThread()) {
                    inGranted.interrupt();
                }
            }
            execute(() -> yieldNow(l));
        }

        /**
         * The candidate's role, the role of the events.
         *
         * @return {@link Candidate#getRole()}
         */
        @Override
        public String getRole() {
            return candidate.getRole();
        }

        /**
         * The fencing token: the leadership's term, strictly greater than every earlier leader's term in this
         * election. Send it with every write the leader makes, and have the resource reject lower ones. A leadership's
         * context returns its term at any time (like {@code LockGrant.fencingToken()}); the live context returns the
         * current leadership's.
         *
         * @return the term, {@code > 0}
         * @throws IllegalStateException if this is the live context and the candidate does not lead now
         */
        public long fencingToken() {
            if (bound != null) {
                return bound.term();
            }
            Leadership l = current();
            if (l == null || !l.isLeader()) {
                throw new IllegalStateException("candidate " + candidate.getId() + " does not lead election '"
                        + electionName + "': the live context has a fencing token only while leading (each "
                        + "leadership's own context, given to onGranted and carried by the events, always has it)");
            }
            return l.term();
        }

        @Override
        public String toString() {
            return "CoordContext{election='" + electionName + "', role=" + candidate.getRole() + ", id="
                    + candidate.getId() + (bound == null ? ", live" : ", term=" + bound.term()) + ", isLeader="
                    + isLeader() + "}";
        }
    }
}
