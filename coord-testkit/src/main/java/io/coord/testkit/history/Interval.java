package io.coord.testkit.history;

/**
 * The time during which one process held (believed it held) one grant: from its ACQUIRE (or
 * CAMPAIGN) OK to the earliest of its RELEASE (RESIGN) invocation, its LOST event and its last
 * reported {@code validUntilNanos}. Reentrant grants extend the same interval.
 *
 * @param key        the lock / election name
 * @param process    the holder
 * @param token      the grant's token
 * @param startNanos the OK time
 * @param endNanos   the end time, {@link Long#MAX_VALUE} if {@link End#OPEN}
 * @param end        why it ended
 * @param grant      the OK event that started it
 */
public record Interval(String key, String process, long token, long startNanos, long endNanos, End end,
                       Event grant) {

    /** Why an interval ended. */
    public enum End {
        /** The holder invoked the release (of its last reentrant hold). */
        RELEASE,
        /** The holder recorded a LOST event. */
        LOST,
        /** The holder's last reported lease bound passed. */
        VALID_UNTIL,
        /** Still held at the end of the history, with no lease bound: open-ended. */
        OPEN
    }

    /**
     * True iff the interval has no end in the history.
     *
     * @return true if {@code end == End.OPEN}
     */
    public boolean open() {
        return end == End.OPEN;
    }

    /**
     * True iff {@code t} lies in {@code [startNanos, endNanos)}.
     *
     * @param t a {@link System#nanoTime()} instant
     * @return true if the holder held the grant at {@code t}
     */
    public boolean contains(long t) {
        return t >= startNanos && t < endNanos;
    }

    /**
     * True iff the two half-open intervals share at least one instant.
     *
     * @param o another interval
     * @return true if they overlap (two holders at once, if both are of one key)
     */
    public boolean intersects(Interval o) {
        return startNanos < o.endNanos && o.startNanos < endNanos;
    }
}
