package io.coord;

/**
 * Counters of one coordinator, monotonically increasing, readable at any time (for tests of
 * round-trip and herd-freedom claims, and for export as metrics).
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
}
