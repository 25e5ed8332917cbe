package io.coord;

/**
 * Counters of one coordinator, monotonically increasing, readable at any time (for tests of
 * round-trip and herd-freedom claims, and for export as metrics).
 */
public interface CoordStats {
    /** Requests sent to the server on behalf of this primitive (each counts once, answered or not). */
    long roundTrips(Primitive primitive);

    /** Times a waiter of this primitive woke up to re-check after a notification (watch event, message, poll). */
    long wakeups(Primitive primitive);
}
