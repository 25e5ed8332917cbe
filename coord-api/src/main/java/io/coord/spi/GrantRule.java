package io.coord.spi;

/**
 * When an entry of a queue is granted, stated over the entries ahead of it: each primitive's rule is
 * written once, here, and every backend's queue serves it. A rule must be monotone: once it grants an
 * entry, later departures cannot revoke the grant (entries only join behind it).
 */
public interface GrantRule {

    /** Locks and elections: granted when no entry stands ahead; otherwise wait for the nearest one only. */
    GrantRule FIRST_IN_LINE = new GrantRule() {
        @Override
        public int lookahead() {
            return 1;
        }

        @Override
        public Position.Ahead blocker(Position position) {
            return position.ahead().isEmpty() ? null : position.ahead().get(0);
        }

        @Override
        public String toString() {
            return "first in line";
        }
    };

    /**
     * How many entries ahead (nearest first) the backend must report for this rule to decide.
     *
     * @return the lookahead passed to {@link QueueEntry#enqueue(int)} and {@link QueueEntry#position(int)}
     */
    int lookahead();

    /**
     * The entry whose departure may grant this one, or {@code null} if {@code position} is granted.
     * Waiting for one entry only is what makes one release wake one waiter.
     *
     * @param position a read in which the entry is {@link Position#present() present}
     * @return the one entry to wait for, or {@code null} if the entry is granted
     */
    Position.Ahead blocker(Position position);
}
