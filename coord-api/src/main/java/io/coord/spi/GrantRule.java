package io.coord.spi;

import java.util.List;

/**
 * When an entry of a queue is granted, stated over the entries ahead of it: each primitive's rule is
 * written once, here, and every backend's queue serves it. A rule must be monotone: once it grants an
 * entry, later departures cannot revoke the grant (entries only join behind it).
 *
 * <p>A waiting entry waits for a number of departures among a set of the entries ahead ({@link Wait}). Every
 * rule below except {@link #FIRST_IN_LINE} is <em>exact</em>: the entry is granted precisely when that many of
 * them have left, so a waiter wakes once, when it is let in, and a release wakes only the waiters it lets in.
 */
public interface GrantRule {

    /** {@link #lookahead()} of a rule that must see every entry ahead. */
    int ALL = Integer.MAX_VALUE;

    /** The tag of a read-write lock's read request. */
    String READ = "r";

    /** The tag of a read-write lock's write request. */
    String WRITE = "w";

    /** Locks and elections: granted when no entry stands ahead; otherwise wait for the nearest one only. */
    GrantRule FIRST_IN_LINE = new GrantRule() {
        @Override
        public int lookahead() {
            return 1;
        }

        @Override
        public Wait waitFor(Position position) {
            return position.ahead().isEmpty() ? null : new Wait(List.of(position.ahead().get(0)), 1);
        }

        @Override
        public String toString() {
            return "first in line";
        }
    };

    /**
     * A read-write lock's read request: granted when no write request stands ahead (readers share); otherwise
     * wait until every write request ahead has left.
     */
    GrantRule READER = new GrantRule() {
        @Override
        public int lookahead() {
            return ALL;
        }

        @Override
        public Wait waitFor(Position position) {
            List<Position.Ahead> writers = position.ahead().stream().filter(a -> WRITE.equals(a.tag())).toList();
            return writers.isEmpty() ? null : new Wait(writers, writers.size());
        }

        @Override
        public String toString() {
            return "no writer ahead";
        }
    };

    /** A read-write lock's write request: granted when nothing stands ahead; otherwise wait until all ahead left. */
    GrantRule WRITER = new GrantRule() {
        @Override
        public int lookahead() {
            return ALL;
        }

        @Override
        public Wait waitFor(Position position) {
            List<Position.Ahead> ahead = position.ahead();
            return ahead.isEmpty() ? null : new Wait(ahead, ahead.size());
        }

        @Override
        public String toString() {
            return "nothing ahead";
        }
    };

    /**
     * A semaphore of {@code permits}: granted when fewer than {@code permits} entries stand ahead. With
     * {@code k >= permits} ahead, the entry is granted exactly when {@code k - permits + 1} of them have left
     * (departures are the only way its rank falls), so it waits for that many departures among them, and of the
     * waiters only the one at rank {@code permits} reaches its count on a release. Every entry is tagged with its
     * number of permits; an entry ahead with another number fails the read with {@link IllegalStateException}.
     * A granted entry claims one of {@code permits} slots ({@link #slots()}).
     *
     * @param permits     between 1 and {@link io.coord.semaphore.Semaphore#MAX_PERMITS}, checked by the caller
     * @param description the semaphore, for the mismatch message, e.g. {@code "semaphore 'workers'"}
     * @return the rule
     */
    static GrantRule fewerThan(int permits, String description) {
        String tag = Integer.toString(permits);
        return new GrantRule() {
            @Override
            public int lookahead() {
                return ALL;
            }

            @Override
            public Wait waitFor(Position position) {
                List<Position.Ahead> ahead = position.ahead();
                for (Position.Ahead a : ahead) {
                    if (!tag.equals(a.tag())) {
                        throw new IllegalStateException(description + " is in use with " + a.tag()
                                + " permits by the sessions that asked before; this request asked with " + permits
                                + " (every session must use the same number while any holds or waits)");
                    }
                }
                return ahead.size() < permits ? null : new Wait(ahead, ahead.size() - permits + 1);
            }

            @Override
            public int slots() {
                return permits;
            }

            @Override
            public String toString() {
                return "fewer than " + permits + " ahead";
            }
        };
    }

    /**
     * How many entries ahead (nearest first) the backend must report for this rule to decide.
     *
     * @return the lookahead passed to {@link QueueEntry#enqueue(int)} and {@link QueueEntry#position(int)};
     *         {@link #ALL} for every entry ahead
     */
    int lookahead();

    /**
     * What the entry must wait for, or {@code null} if {@code position} is granted.
     *
     * @param position a read in which the entry is {@link Position#present() present}
     * @return the departures to wait for, or {@code null} if the entry is granted
     * @throws IllegalStateException if the read shows a request the rule refuses to queue behind (a semaphore's
     *                               other number of permits); the engine removes the entry and reports it
     */
    Wait waitFor(Position position);

    /**
     * How many numbered slots exist for granted entries to claim one of ({@link QueueEntry#claimSlot(int)}).
     *
     * @return the semaphore's number of permits; 0 (the default) if a grant claims no slot
     */
    default int slots() {
        return 0;
    }

    /**
     * Wait until {@code departures} of {@code entries} have left the queue after the read that listed them.
     *
     * @param entries    entries ahead, from the read; not empty
     * @param departures between 1 and {@code entries.size()}
     */
    record Wait(List<Position.Ahead> entries, int departures) {

        /**
         * Copies {@code entries} and checks {@code departures}.
         *
         * @param entries    entries ahead, from the read
         * @param departures how many of them must leave
         */
        public Wait {
            entries = List.copyOf(entries);
            if (departures < 1 || departures > entries.size()) {
                throw new IllegalArgumentException("departures " + departures + " of " + entries.size() + " entries");
            }
        }
    }
}
