package io.coord.spring.integration;

import io.coord.AlreadyHeldException;
import io.coord.BackendUnavailableException;
import io.coord.CoordException;
import io.coord.LossReason;
import io.coord.NotLeaderException;
import io.coord.Session;
import io.coord.SessionExpiredException;
import io.coord.election.Leadership;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
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
 *   <li>Elected → {@code onGranted(context)}, then {@code OnGrantedEvent}. {@link CoordContext#fencingToken()} is the
 *       leadership's {@link Leadership#term() term}: strictly greater than every earlier leader's.</li>
 *   <li>{@link CoordContext#yield()} → {@link Leadership#resign()}, {@code onRevoked}, {@code OnRevokedEvent}, then a
 *       new campaign: the next candidate in line (if any) leads, this one queues behind it.</li>
 *   <li>{@link #stop()} → the pending campaign is withdrawn, or the leadership resigned, followed by
 *       {@code onRevoked} and {@code OnRevokedEvent}; no further campaign.</li>
 *   <li>Leadership lost ({@link Leadership#whenLost()}: session expired or closed, entry deleted) →
 *       {@code onRevoked} and {@code OnRevokedEvent}. If the session still lives (its entry was deleted by someone
 *       else) the initiator campaigns again. <b>If the session has ended, the initiator stops</b> ({@link #isRunning()}
 *       turns false, one WARN): it is bound to that one session and never opens another. Open a new session and a new
 *       initiator to take part again.</li>
 *   <li>A campaign the server failed (not a session end) is logged at WARN and started again one second later on
 *       the initiator's thread. After a {@link #stop()}, {@link #start()} campaigns again (once coord has withdrawn
 *       the earlier candidacy).</li>
 *   <li>No {@code OnFailedToAcquireMutexEvent} is published: a coord campaign waits in the queue, it does not poll.</li>
 * </ul>
 *
 * <p>Threads: every candidate callback and every event is delivered on this initiator's own thread, named
 * {@code coord-leader-<election name>} (one daemon thread, started on demand, ending when idle), one at a time and in
 * order, never on coord's or a client library's thread. A candidate may do its leadership work inside
 * {@code onGranted}: loss, {@link #stop()} and a yield from another thread interrupt that thread, and
 * {@code onRevoked} follows when {@code onGranted} has returned. The coord callbacks only hand over to that thread.
 */
public final class CoordLeaderInitiator implements SmartLifecycle, ApplicationEventPublisherAware, DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(CoordLeaderInitiator.class);
    private static final int MAX_VALUE_BYTES = 4096;
    /** Pause before campaigning again after the server failed a campaign. */
    private static final long RETRY_AFTER_FAILURE_MS = 1000;
    /** Pause before campaigning again while the previous candidacy is still being withdrawn. */
    private static final long RETRY_ALREADY_HELD_MS = 100;

    private final Session session;
    private final String electionName;
    private final Candidate candidate;
    private final CoordContext context = new CoordContext();
    /** The initiator's thread: runs candidate callbacks, event publishing and the blocking resign round trips. */
    private final ThreadPoolExecutor thread;
    /** The initiator's current thread (there is at most one at a time), so that stop() from a callback does not wait for itself. */
    private volatile Thread worker;

    // Guarded by this: configuration and the election state machine.
    private LeaderEventPublisher leaderEventPublisher;
    private ApplicationEventPublisher applicationEventPublisher;
    private boolean autoStartup = true;
    private int phase = Integer.MAX_VALUE - 1000;
    private boolean running;
    /** The pending campaign, or null. */
    private CompletableFuture<Leadership> campaign;
    /** The current leadership (granted, not yet revoked), or null. */
    private Leadership leadership;
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
     * @param electionName the coord election name: non-blank, at most 256 UTF-8 bytes
     * @param candidate    the candidate, not null; its id (at most 4096 UTF-8 bytes) is the value announced to
     *                     observers of the election, its role is the role of the events
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
        if (bytes > 256) {
            throw new IllegalArgumentException("election name is " + bytes + " UTF-8 bytes long; at most 256 are allowed");
        }
        String id = Objects.requireNonNull(candidate.getId(), "candidate id must not be null");
        int idBytes = id.getBytes(StandardCharsets.UTF_8).length;
        if (idBytes > MAX_VALUE_BYTES) {
            throw new IllegalArgumentException("candidate id is " + idBytes + " UTF-8 bytes long; at most "
                    + MAX_VALUE_BYTES + " are allowed (it is the value announced in the election)");
        }
        this.electionName = electionName;
        this.thread = new ThreadPoolExecutor(1, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "coord-leader-" + electionName);
            t.setDaemon(true);
            worker = t;
            return t;
        });
        this.thread.allowCoreThreadTimeOut(true);
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
     * The context passed to the candidate and carried by the events; the same object for the initiator's life.
     *
     * @return the context
     */
    public CoordContext getContext() {
        return context;
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
     */
    @Override
    public void start() {
        synchronized (this) {
            if (running) {
                return;
            }
            if (leaderEventPublisher == null && applicationEventPublisher != null) {
                leaderEventPublisher = new DefaultLeaderEventPublisher(applicationEventPublisher);
            }
            running = true;
        }
        thread.execute(this::campaign);
    }

    /**
     * Stops taking part: withdraws the pending campaign, or resigns the leadership and then calls {@code onRevoked}
     * and publishes {@code OnRevokedEvent} on the initiator's thread. Waits until that is done, unless called on the
     * initiator's own thread (from a candidate callback), where it returns at once and the rest follows when the
     * callback has returned. No-op if not running. Do not call it on one of coord's threads (a session listener, a
     * {@code whenLost} stage): the resignation's reply may need that thread; use {@link #stop(Runnable)} there.
     */
    @Override
    public void stop() {
        CountDownLatch done = new CountDownLatch(1);
        boolean wait = stopAnd(done::countDown);
        if (wait && !onInitiatorThread()) {
            boolean interrupted = false;
            while (true) {
                try {
                    done.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
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

    /** Same as {@link #stop()}; the initiator's thread ends when idle. */
    @Override
    public void destroy() {
        stop();
    }

    /** Returns false if not running (callback not scheduled). Any thread. */
    private boolean stopAnd(Runnable callback) {
        Leadership held;
        synchronized (this) {
            if (!running) {
                return false;
            }
            running = false;
            if (campaign != null) {
                campaign.cancel(true); // coord withdraws the candidacy; a leadership racing this resigns itself
                campaign = null;
            }
            held = leadership;
            if (held != null && inGranted != null && inGranted != Thread.currentThread()) {
                inGranted.interrupt();
            }
        }
        thread.execute(() -> {
            try {
                if (held != null) {
                    endLeadership(held, true);
                }
            } finally {
                callback.run();
            }
        });
        return true;
    }

    // ---- The state machine; every method below runs on the initiator's thread. ----

    private void campaign() {
        CompletableFuture<Leadership> started;
        synchronized (this) {
            if (!running || campaign != null || leadership != null) {
                return;
            }
            try {
                started = session.election(electionName).campaignAsync(candidate.getId());
            } catch (SessionExpiredException e) {
                sessionEnded(e);
                return;
            } catch (AlreadyHeldException e) {
                // the candidacy withdrawn by an earlier stop() is still being removed (a stop/start restart)
                log.debug("election '{}': the previous candidacy is still being withdrawn; campaigning in {} ms",
                        electionName, RETRY_ALREADY_HELD_MS);
                retryCampaign(RETRY_ALREADY_HELD_MS);
                return;
            } catch (CoordException | IllegalStateException e) {
                running = false;
                log.warn("coord leader initiator for election '{}' cannot campaign and stops: {}", electionName,
                        e.toString());
                return;
            }
            campaign = started;
        }
        // Runs on coord's event thread: only hands the outcome over to the initiator's thread.
        started.whenComplete((l, e) -> thread.execute(() -> campaignDone(started, l, e)));
    }

    /**
     * The campaign {@code done} completed: if it is still the current one, lead (onGranted, OnGrantedEvent) or handle
     * the failure; if stop() withdrew it meanwhile, give back a leadership that raced the withdrawal.
     *
     * @param done    the campaign's future
     * @param elected the leadership, or null on failure
     * @param failure the failure, or null
     */
    private void campaignDone(CompletableFuture<Leadership> done, Leadership elected, Throwable failure) {
        boolean withdrawn = false;
        Throwable cause = null;
        synchronized (this) {
            if (campaign != done) {
                withdrawn = true;
            } else {
                campaign = null;
                if (failure == null) {
                    leadership = elected;
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
                retryCampaign(RETRY_AFTER_FAILURE_MS);
            }
            return;
        }
        // Runs on coord's event thread: interrupts onGranted if running, then hands over.
        elected.whenLost().whenComplete((reason, x) -> {
            interruptGranted(elected);
            thread.execute(() -> lost(elected, reason));
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
        }
        LeaderEventPublisher publisher = publisher();
        if (publisher != null) {
            try {
                publisher.publishOnGranted(this, context, candidate.getRole());
            } catch (RuntimeException e) {
                log.warn("publishing OnGrantedEvent of election '{}' failed", electionName, e);
            }
        }
    }

    private void lost(Leadership l, LossReason reason) {
        synchronized (this) {
            if (leadership != l) {
                return; // already revoked (yield or stop)
            }
        }
        log.info("leadership of election '{}' (term {}) lost: {}", electionName, l.term(), reason);
        endLeadership(l, false);
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

    private void yieldNow(Leadership l) {
        synchronized (this) {
            if (leadership != l || !running) {
                return;
            }
        }
        log.debug("yielding leadership of election '{}' (term {})", electionName, l.term());
        if (endLeadership(l, true)) {
            campaign();
        }
    }

    /**
     * Resigns (if asked), then revokes: onRevoked and OnRevokedEvent. Returns false if the resignation failed for want
     * of the server (the leadership then stays, as coord counts it as held again).
     */
    private boolean endLeadership(Leadership l, boolean resign) {
        if (resign) {
            try {
                l.resign();
            } catch (NotLeaderException e) {
                // lost meanwhile: revoked below all the same
            } catch (BackendUnavailableException e) {
                synchronized (this) {
                    if (running) {
                        log.warn("resigning election '{}' (term {}) failed; still the leader", electionName, l.term(), e);
                        return false;
                    }
                }
                log.warn("resigning election '{}' (term {}) failed on stop; the leadership ends with the session at "
                        + "the latest", electionName, l.term(), e);
            }
        }
        synchronized (this) {
            if (leadership != l) {
                return true;
            }
            leadership = null;
        }
        try {
            candidate.onRevoked(context);
        } catch (RuntimeException e) {
            log.warn("onRevoked of election '{}' threw", electionName, e);
        }
        LeaderEventPublisher publisher = publisher();
        if (publisher != null) {
            try {
                publisher.publishOnRevoked(this, context, candidate.getRole());
            } catch (RuntimeException e) {
                log.warn("publishing OnRevokedEvent of election '{}' failed", electionName, e);
            }
        }
        return true;
    }

    /** Caller holds the monitor. */
    private void sessionEnded(Throwable cause) {
        running = false;
        log.warn("coord leader initiator for election '{}' stops: session {} is {}; it campaigns on that session only "
                + "(open a new session and a new initiator){}", electionName, session.id(), session.state(),
                cause == null ? "" : " (" + cause + ")");
    }

    /**
     * Campaigns again on the initiator's thread after {@code delayMs}: the delay is kept by the JDK's shared delayer
     * thread, which only hands the task over and holds no thread of ours meanwhile.
     *
     * @param delayMs the delay in milliseconds
     */
    private void retryCampaign(long delayMs) {
        CompletableFuture.delayedExecutor(delayMs, TimeUnit.MILLISECONDS, thread).execute(this::campaign);
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

    private synchronized LeaderEventPublisher publisher() {
        return leaderEventPublisher;
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
     * The {@link Context} of a {@link CoordLeaderInitiator}: leadership state, role, yield, and the leadership's term as
     * the fencing token. Every method may be called from any thread.
     */
    public final class CoordContext implements Context {

        private CoordContext() {
        }

        /**
         * Whether the candidate leads now: false from the instant the session's validity deadline passes, even before
         * the loss is signalled.
         *
         * @return true while this initiator holds a live leadership
         */
        @Override
        public boolean isLeader() {
            Leadership l = current();
            return l != null && l.isLeader();
        }

        /**
         * Gives up the leadership: resign, {@code onRevoked}, {@code OnRevokedEvent}, then campaign again behind the
         * candidates already waiting. Returns at once (the rest runs on the initiator's thread); if called from another
         * thread while {@code onGranted} runs, that thread is interrupted. No effect if not the leader.
         */
        @Override
        public void yield() {
            Leadership l;
            synchronized (CoordLeaderInitiator.this) {
                l = leadership;
                if (l == null) {
                    return;
                }
                if (inGranted != null && inGranted != Thread.currentThread()) {
                    inGranted.interrupt();
                }
            }
            thread.execute(() -> yieldNow(l));
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
         * The fencing token of the current leadership: its term, strictly greater than every earlier leader's term in
         * this election. Send it with every write the leader makes, and have the resource reject lower ones.
         *
         * @return the term, {@code > 0}
         * @throws IllegalStateException if the candidate does not lead now
         */
        public long fencingToken() {
            Leadership l = current();
            if (l == null || !l.isLeader()) {
                throw new IllegalStateException("candidate " + candidate.getId() + " does not lead election '"
                        + electionName + "': a fencing token exists only while leading");
            }
            return l.term();
        }

        private Leadership current() {
            synchronized (CoordLeaderInitiator.this) {
                return leadership;
            }
        }

        @Override
        public String toString() {
            return "CoordContext{election='" + electionName + "', role=" + candidate.getRole() + ", id="
                    + candidate.getId() + ", isLeader=" + isLeader() + "}";
        }
    }
}
