package io.coord;

/**
 * Counters of one coordinator, readable at any time from any thread (for tests of round-trip and
 * herd-freedom claims, and for export as metrics): {@link #roundTrips} and {@link #wakeups} only
 * increase; {@link #held} is what is live right now.
 *
 * <p>Compatibility (pre-1.0): {@link #held} is a new abstract method; an implementation outside coord must add it.
 */
public interface CoordStats {
    /**
     * Requests sent to the server on behalf of this primitive (each counts once, answered or not).
     *
     * @param primitive which primitive's requests
     * @return the count since the coordinator was created; never decreases
     */
    long roundTrips(Primitive primitive);

    /**
     * Times a waiter of this primitive woke up to re-check after a notification (watch event, message, poll).
     *
     * @param primitive which primitive's waiters
     * @return the count since the coordinator was created, never decreasing; a spurious wake-up (watch error,
     *         reconnect, safety-net timer) is not counted
     */
    long wakeups(Primitive primitive);

    /**
     * What this coordinator's sessions hold right now: for {@link Primitive#LOCK} and
     * {@link Primitive#FAIR_LOCK} the grants acquired and not yet released or lost, for
     * {@link Primitive#ELECTION} the leaderships won and not yet resigned or lost, for
     * {@link Primitive#SESSION} the sessions open (ACTIVE or SUSPENDED).
     *
     * @param primitive which primitive
     * @return the current number; it goes up and down, and is never negative (coord's kit checks this: the
     *         count is not clamped, so a miscount would show)
     */
    long held(Primitive primitive);
}
