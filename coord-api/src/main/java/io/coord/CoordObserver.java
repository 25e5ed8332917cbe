package io.coord;

import java.time.Duration;

/**
 * Told what a coordinator's sessions, acquisitions, grants and leaderships do, as it happens: the
 * hook for metrics and tracing (coord-micrometer's {@code CoordMetrics} is one). Register it with
 * {@link Coordinator#addObserver(CoordObserver)}; every method has an empty default, so implement
 * only what you need.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>Every acquisition and campaign that started is reported exactly once to
 *       {@link #acquisitionEnded}, with one {@link AcquisitionOutcome}.</li>
 *   <li>Every grant or leadership that ends other than by its holder's release or resignation is
 *       reported exactly once to {@link #lost}.</li>
 *   <li>Nothing passed here carries a secret: sessions are identified by their id (never the
 *       live {@link Session}, so an observer cannot call into a session from an I/O thread), failures by
 *       their exception type only, never their message.</li>
 *   <li>An observer that throws — anything, {@link Error}s included — is logged (at WARN the first time, then
 *       at DEBUG) and changes nothing in coord: each event is reported once coord's own state is final, the
 *       event has happened either way, and later events are still reported.</li>
 * </ul>
 *
 * <p>Threads: each method runs <em>synchronously on the thread that saw the event</em> — the
 * caller's thread, coord's scheduler thread, or a client library's I/O thread — possibly on
 * several threads at once, and not necessarily in the order the events happened on different
 * threads. Implementations must therefore be thread-safe, fast and non-blocking: no I/O, no
 * waiting, no calls that block on the coordinator (counting or timing into a meter is the intended
 * use). A method never runs while coord holds a lock of its own.
 */
public interface CoordObserver {

    /**
     * A session was opened ({@link SessionState#ACTIVE}, renewing), called once per session on the thread that
     * opened it, before the session is returned to its caller. A session the caller never got (its coordinator
     * closed while it was being opened) is not reported, nor are its state changes.
     *
     * @param sessionId the new session's {@link Session#id()}
     */
    default void sessionOpened(String sessionId) {
    }

    /**
     * A session changed state (ACTIVE ↔ SUSPENDED, then EXPIRED or CLOSED once), called before the
     * session's own {@link SessionListener}s are told on the event thread. Each change is reported exactly once
     * and one session's changes in the order they happened, so they form a chain: each call's {@code previous}
     * is the {@code current} of the call before it (ACTIVE for the first), and the terminal state is reported
     * once, last.
     *
     * @param sessionId the session's {@link Session#id()}
     * @param previous  the state before the change
     * @param current   the state after it
     */
    default void sessionStateChanged(String sessionId, SessionState previous, SessionState current) {
    }

    /**
     * One renewal attempt succeeded (the lease was extended by its granted TTL).
     *
     * @param sessionId the renewed session's {@link Session#id()}
     * @param latency   from sending the renewal to handling its reply
     */
    default void renewed(String sessionId, Duration latency) {
    }

    /**
     * One renewal attempt failed: an error, no reply within the renewal interval
     * ({@link java.util.concurrent.TimeoutException}), or the server saying the lease is gone
     * ({@link SessionExpiredException}, followed by EXPIRED). Not reported once the session has ended.
     *
     * @param sessionId the session's {@link Session#id()}
     * @param latency   from sending the renewal to handling the failure
     * @param error     the failure's type only (its message may name an endpoint or an identity)
     */
    default void renewalFailed(String sessionId, Duration latency, Class<? extends Throwable> error) {
    }

    /**
     * An acquisition of a lock or fair lock, or a campaign, ended (see {@link AcquisitionOutcome}).
     *
     * @param primitive {@link Primitive#LOCK}, {@link Primitive#FAIR_LOCK} or {@link Primitive#ELECTION}
     * @param name      the lock's or election's name
     * @param outcome   how it ended
     * @param waited    from the start of the acquisition to its end, never negative
     */
    default void acquisitionEnded(Primitive primitive, String name, AcquisitionOutcome outcome, Duration waited) {
    }

    /**
     * A grant or leadership was lost: it ended other than by its holder's release or resignation.
     *
     * @param primitive {@link Primitive#LOCK}, {@link Primitive#FAIR_LOCK} or {@link Primitive#ELECTION}
     * @param name      the lock's or election's name
     * @param reason    why it was lost
     */
    default void lost(Primitive primitive, String name, LossReason reason) {
    }
}
