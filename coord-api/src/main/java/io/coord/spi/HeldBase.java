package io.coord.spi;

import io.coord.BackendUnavailableException;
import io.coord.CoordException;
import io.coord.LossReason;
import io.coord.Primitive;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a lock grant and a leadership share: the queue entry that backs them, their token, and a
 * small state machine HELD → RELEASING → RELEASED, or HELD → LOST.
 *
 * <p>{@code mutex} guards the state. The loss signal completes on the coordinator's event thread.
 * A release that fails on the server (unreachable) returns the state to HELD and throws, so the
 * caller may retry; closing the session frees the entry in any case.
 */
public abstract class HeldBase {

    private static final Logger log = LoggerFactory.getLogger(HeldBase.class);

    private enum State { HELD, RELEASING, RELEASED, LOST }

    /** The session that holds this grant or leadership. */
    protected final SessionBase session;
    private final Primitive primitive;
    private final String claimKey;
    private final String name;
    private final long token;
    /** The queue entry that backs this grant or leadership; removing it releases them. */
    protected final QueueEntry entry;
    private final Object mutex = new Object();
    private State state = State.HELD;
    private LossReason lossReason;
    private final CompletableFuture<LossReason> lost = new CompletableFuture<>();

    HeldBase(SessionBase session, Primitive primitive, String claimKey, String name, long token, QueueEntry entry) {
        this.session = session;
        this.primitive = primitive;
        this.claimKey = claimKey;
        this.name = name;
        this.token = token;
        this.entry = entry;
    }

    final String name() {
        return name;
    }

    /** LOCK, FAIR_LOCK or ELECTION. */
    final Primitive primitive() {
        return primitive;
    }

    final long token() {
        return token;
    }

    /**
     * Held, and the session's validity deadline has not passed: exact at every instant, without
     * waiting for the session's deadline timer to run.
     */
    final boolean isHeldNow() {
        synchronized (mutex) {
            if (state != State.HELD) {
                return false;
            }
        }
        return System.nanoTime() - session.validUntilNanos() < 0;
    }

    final CompletableFuture<LossReason> lossSignal() {
        return lost.copy();
    }

    /** The exception that a release of a lost grant throws. */
    abstract CoordException lostError(LossReason reason);

    /**
     * For backends: the entry was found deleted while the session lives. No-op unless still held.
     *
     * @param reason why it was lost, normally {@link LossReason#ENTRY_DELETED}
     */
    public final void markLost(LossReason reason) {
        if (becomeLost(reason)) {
            // Uncounted (held goes down) before anyone is told: an observer reading stats sees the final count.
            session.forget(this);
            session.unclaim(claimKey);
            reportLost(reason);
        }
    }

    /** Called by the session when it ends (it has uncounted the grant already); true if this call lost it. */
    final boolean lose(LossReason reason) {
        if (!becomeLost(reason)) {
            return false;
        }
        reportLost(reason);
        return true;
    }

    /** HELD → LOST; false if it was not held. */
    private boolean becomeLost(LossReason reason) {
        synchronized (mutex) {
            if (state != State.HELD) {
                return false;
            }
            state = State.LOST;
            lossReason = reason;
            return true;
        }
    }

    /** Once the state is final: the log, the observers, then the loss signal (in finally: whatever the hook does). */
    private void reportLost(LossReason reason) {
        log.warn("{} '{}' (token {}) lost: {}", getClass().getSimpleName(), name, token, reason);
        try {
            session.coordinator().observers().lost(primitive, name, reason);
        } finally {
            session.coordinator().events().execute(() -> lost.complete(reason));
        }
    }

    /**
     * Removes the entry on the server (one round trip, sent from the caller's thread, which waits for
     * the reply); idempotent; throws if lost.
     */
    final void releaseEntry() {
        if (!beginRelease()) {
            return;
        }
        boolean interrupted = Thread.interrupted();
        try {
            awaitReply(entry.remove());
        } catch (Exception e) {
            throw releaseFailed(e, true);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        released();
    }

    /**
     * Best-effort release used when a grant raced a cancellation; never blocks (may run on an I/O thread).
     *
     * @return completes (never exceptionally) once the release was answered or failed, or at once if there was
     *         nothing to release
     */
    final CompletableFuture<Void> releaseQuietly() {
        try {
            if (!beginRelease()) {
                return CompletableFuture.completedFuture(null);
            }
        } catch (RuntimeException lost) {
            return CompletableFuture.completedFuture(null);
        }
        return entry.remove().handle((v, e) -> {
            if (e == null) {
                released();
                return null;
            }
            try {
                // Not reported as lost: the caller never saw this grant, and its acquisition is counted already.
                throw releaseFailed(e, false);
            } catch (RuntimeException failed) {
                log.warn("releasing abandoned '{}' failed; its session frees it", name, failed);
            }
            return null;
        });
    }

    /** Waits for one server reply, bounded by the coordinator's operation timeout; unwraps its failure. */
    final <T> T awaitReply(CompletableFuture<T> reply) throws Exception {
        try {
            return reply.get(session.coordinator().operationTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof Exception ex ? ex : e;
        } catch (TimeoutException e) {
            reply.cancel(false);
            throw new BackendUnavailableException("no reply from " + session.coordinator().backend() + " within "
                    + session.coordinator().operationTimeout().toMillis() + " ms", e);
        }
    }

    /** HELD → RELEASING; false if already releasing or released; throws if lost. */
    private boolean beginRelease() {
        synchronized (mutex) {
            switch (state) {
                case RELEASING, RELEASED:
                    return false;
                case LOST:
                    throw lostError(lossReason);
                default:
                    state = State.RELEASING;
                    return true;
            }
        }
    }

    private void released() {
        synchronized (mutex) {
            state = State.RELEASED;
        }
        session.forget(this);
        session.unclaim(claimKey);
    }

    /**
     * A failed removal: lost if the session ended meanwhile (told to observers only if {@code reportLoss}: not for an
     * abandoned grant the caller never saw), else HELD again (the caller may retry).
     */
    private CoordException releaseFailed(Throwable e, boolean reportLoss) {
        io.coord.SessionState ended = session.state();
        if (ended.isTerminal()) {
            // The session ended while we released: the entry is gone with it; the grant is lost.
            LossReason reason = ended == io.coord.SessionState.CLOSED ? LossReason.SESSION_CLOSED : LossReason.SESSION_EXPIRED;
            synchronized (mutex) {
                state = State.LOST;
                lossReason = reason;
            }
            if (reportLoss) {
                reportLost(reason);
            } else {
                session.coordinator().events().execute(() -> lost.complete(reason));
            }
            return lostError(reason);
        }
        synchronized (mutex) {
            if (state == State.RELEASING) {
                state = State.HELD;
            }
        }
        return e instanceof CoordException ce ? ce
                : new BackendUnavailableException("releasing '" + name + "' failed; it is still held (retry, or close the session): " + e, e);
    }
}
