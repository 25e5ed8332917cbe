package io.coord;

/**
 * How one acquisition of a lock or fair lock, or one election campaign, ended, as told to
 * {@link CoordObserver#acquisitionEnded}. Every acquisition that started ends in exactly one of these, reported
 * before the acquisition completes its result (a caller who cancels the future completes it itself, at once: its
 * CANCELLED follows once the queue entry is removed; a blocked caller's interrupt returns after that).
 *
 * <p>A call rejected before it starts (bad arguments, {@link AlreadyHeldException}, a session
 * already ended at the call, a closed coordinator) is not an acquisition and has no outcome.
 */
public enum AcquisitionOutcome {
    /** The caller got the grant or the leadership. */
    GRANTED,
    /** The timed form ran out of time; the queue entry was removed. */
    TIMED_OUT,
    /**
     * The caller gave up: the future was cancelled (or completed by the caller), or the blocked
     * thread was interrupted; the queue entry was removed. A grant made after the caller gave up is
     * released at once and counts here too; one that won the race by an instant against the cancel or
     * interrupt counts as GRANTED (and is released at once: the caller never sees it).
     */
    CANCELLED,
    /**
     * The session expired ({@link SessionState#EXPIRED}) while waiting, or before the grant could be adopted;
     * {@link LossReason#SESSION_EXPIRED} is its counterpart for a grant already held.
     */
    SESSION_EXPIRED,
    /**
     * The session was closed by its owner ({@link SessionState#CLOSED}) while waiting, or before the grant could be
     * adopted; {@link LossReason#SESSION_CLOSED} is its counterpart for a grant already held.
     */
    SESSION_CLOSED,
    /** The backend failed (unreachable, timed out, refused); the caller got that error. */
    FAILED
}
