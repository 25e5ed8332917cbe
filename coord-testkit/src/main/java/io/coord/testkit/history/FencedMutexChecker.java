package io.coord.testkit.history;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Checks a {@link History} against the fenced-mutex model (the model Jepsen used for Hazelcast's
 * fenced locks), independently for every key. Stateless and thread-safe.
 *
 * <h2>Rules</h2>
 * Events are processed in {@code (nanos, index)} order.
 * <ol type="a">
 *   <li><b>Tokens.</b> Every new grant (ACQUIRE/CAMPAIGN OK of a process not holding the key)
 *       carries a token {@code > 0} strictly greater than every token granted on that key before
 *       it, in grant (OK time) order: {@link Violation.Kind#TOKEN_ORDER}, which also catches two
 *       processes granted the same token. A <em>reentrant</em> grant (same process, same key,
 *       still holding) must return the same token ({@link Violation.Kind#REENTRANT_TOKEN}); it
 *       does not start a new interval, it increments a hold count that releases decrement.</li>
 *   <li><b>No overlap.</b> A hold interval starts at the grant's OK time and ends at the earliest
 *       of: the RELEASE/RESIGN invocation that brings the hold count to 0, a LOST event of that
 *       process on that key (with the grant's token, or token 0), and the holder's lease bound
 *       {@code validUntilNanos} (the value of the latest event of the holder on that key that
 *       carries one, starting with the OK itself). Intervals are half-open {@code [start, end)};
 *       intervals of different processes on one key must not intersect
 *       ({@link Violation.Kind#OVERLAP}).
 *       <p><em>Why this gives no false positives for a correct system:</em> the OK is recorded
 *       after the acquire returned, so after the server granted; the release invocation is
 *       recorded before the release request is sent, so before the server freed the lock; and a
 *       server grants B only after A's release (or A's lease expiry) has reached it. Hence
 *       {@code A.end <= release sent < server frees A < server grants B < B.start}, in real time,
 *       and {@code System.nanoTime()} is monotonic. A loss detected through a lease is bounded by
 *       {@code validUntilNanos}, which coord computes from the send time of the last successful
 *       renewal, so it is never later than the server's own expiry (which precedes B's grant).
 *       A holder that records neither (e.g. a process paused by SIGSTOP that still believes it
 *       holds) does produce an overlap: that is a real overlap of beliefs, exactly what fencing
 *       tokens must make harmless, and {@link RegisterChecker} verifies that they did.</li>
 *   <li><b>Open-ended.</b> A hold with no end in the history is open-ended
 *       ({@link Interval.End#OPEN}) and overlaps every later grant of another process.</li>
 *   <li><b>Pairing.</b> Each process has at most one outstanding invocation; every OK/FAIL
 *       completes the outstanding invocation of the same operation of that process. An OK or
 *       FAIL with nothing outstanding (e.g. an OK after the acquire already failed or timed out),
 *       a completion of a different operation, or an INVOKE while another is outstanding is a
 *       {@link Violation.Kind#PAIRING} violation. LOST and INFO are not completions. An
 *       invocation left without completion (a killed process) is only counted.</li>
 * </ol>
 */
public final class FencedMutexChecker {

    private static final Comparator<Event> TIME_ORDER =
            Comparator.comparingLong(Event::nanos).thenComparingLong(Event::index);

    private FencedMutexChecker() {
    }

    /**
     * Checks every event of {@code history} (a snapshot taken now).
     *
     * @param history the recorded history
     * @return the verdict: every violation found, and the counts
     */
    public static Verdict check(History history) {
        return check(history.events());
    }

    /**
     * Checks {@code events} (any order; they are sorted by {@code (nanos, index)}).
     *
     * @param events the events, not modified
     * @return the verdict: every violation found, and the counts
     */
    public static Verdict check(List<Event> events) {
        return new Run(events).run();
    }

    /** Formats {@code nanos} relative to {@code origin} as "+12.345ms". */
    static String at(long nanos, long origin) {
        if (nanos == Long.MAX_VALUE) {
            return "(open)";
        }
        return String.format(Locale.ROOT, "+%.3fms", (nanos - origin) / 1e6);
    }

    private static final class Hold {
        final Event grant;
        final long token;
        int count = 1;
        long bound; // validUntilNanos, 0 = unknown

        Hold(Event grant) {
            this.grant = grant;
            this.token = grant.token();
            this.bound = grant.validUntilNanos();
        }
    }

    private static final class KeyState {
        final Map<String, Hold> holds = new LinkedHashMap<>();
        long maxToken;
        Event maxTokenGrant;
        final List<Interval> intervals = new ArrayList<>();
    }

    private static final class Run {
        final List<Event> sorted;
        final long origin;
        final List<Violation> violations = new ArrayList<>();
        final Map<String, Event> pending = new HashMap<>();
        final Map<String, KeyState> keys = new LinkedHashMap<>();
        int operations;
        int grants;
        int reentrantGrants;
        int releases;
        int losses;
        int failedAcquires;
        int openGrants;
        int maxConcurrent;

        Run(List<Event> events) {
            sorted = new ArrayList<>(events);
            sorted.sort(TIME_ORDER);
            origin = sorted.isEmpty() ? 0 : sorted.get(0).nanos();
        }

        String t(long nanos) {
            return at(nanos, origin);
        }

        void violation(Violation.Kind kind, Event e, long token, String message) {
            violations.add(new Violation(kind, e.key(), e.process(), token, e.nanos(), message));
        }

        Verdict run() {
            for (Event e : sorted) {
                KeyState ks = keys.computeIfAbsent(e.key(), k -> new KeyState());
                expire(ks, e.nanos());
                switch (e.type()) {
                    case INVOKE -> onInvoke(ks, e);
                    case OK, FAIL -> onCompletion(ks, e);
                    case LOST -> onLost(ks, e);
                    case INFO -> updateBound(ks, e);
                    default -> throw new IllegalStateException("unknown event type " + e.type());
                }
            }
            List<Interval> all = new ArrayList<>();
            for (KeyState ks : keys.values()) {
                for (Hold h : ks.holds.values()) {
                    if (h.bound != 0) {
                        addInterval(ks, h, h.bound, Interval.End.VALID_UNTIL);
                    } else {
                        addInterval(ks, h, Long.MAX_VALUE, Interval.End.OPEN);
                        openGrants++;
                    }
                }
                ks.holds.clear();
                ks.intervals.sort(Comparator.comparingLong(Interval::startNanos)
                        .thenComparingLong(i -> i.grant().index()));
                findOverlaps(ks.intervals);
                all.addAll(ks.intervals);
            }
            return new Verdict(violations, sorted.size(), operations, grants, reentrantGrants, releases,
                    losses, failedAcquires, pending.size(), openGrants, maxConcurrent, all, origin);
        }

        /** Ends every hold of this key whose lease bound has passed by {@code now}. */
        void expire(KeyState ks, long now) {
            for (Iterator<Hold> it = ks.holds.values().iterator(); it.hasNext(); ) {
                Hold h = it.next();
                if (h.bound != 0 && h.bound <= now) {
                    addInterval(ks, h, h.bound, Interval.End.VALID_UNTIL);
                    it.remove();
                }
            }
        }

        void addInterval(KeyState ks, Hold h, long end, Interval.End why) {
            ks.intervals.add(new Interval(h.grant.key(), h.grant.process(), h.token, h.grant.nanos(),
                    end, why, h.grant));
        }

        void onInvoke(KeyState ks, Event e) {
            operations++;
            Event outstanding = pending.put(e.process(), e);
            if (outstanding != null) {
                violation(Violation.Kind.PAIRING, e, e.token(), e.process() + " invoked " + e.op()
                        + " at " + t(e.nanos()) + " while its " + outstanding.op() + " invoked at "
                        + t(outstanding.nanos()) + " had not completed");
            }
            if (e.op().isRelease()) {
                Hold h = ks.holds.get(e.process());
                if (h != null) {
                    releases++;
                    if (--h.count == 0) {
                        ks.holds.remove(e.process());
                        addInterval(ks, h, e.nanos(), Interval.End.RELEASE);
                    }
                }
            }
            updateBound(ks, e);
        }

        void onCompletion(KeyState ks, Event e) {
            Event inv = pending.get(e.process());
            if (inv == null) {
                violation(Violation.Kind.PAIRING, e, e.token(), e.process() + " got " + e.type() + " "
                        + e.op() + (e.token() != 0 ? " (token " + e.token() + ")" : "") + " at "
                        + t(e.nanos()) + " with no outstanding invocation (an answer to an operation"
                        + " that already completed, failed or timed out)");
            } else if (inv.op() != e.op() || !inv.key().equals(e.key())) {
                pending.remove(e.process());
                violation(Violation.Kind.PAIRING, e, e.token(), e.process() + " got " + e.type() + " "
                        + e.op() + " on '" + e.key() + "' at " + t(e.nanos()) + " but its outstanding"
                        + " invocation is " + inv.op() + " on '" + inv.key() + "' invoked at "
                        + t(inv.nanos()));
            } else {
                pending.remove(e.process());
            }
            if (e.op().isGrant()) {
                if (e.type() == EventType.OK) {
                    onGrant(ks, e);
                } else {
                    failedAcquires++;
                }
            }
            updateBound(ks, e);
        }

        void onGrant(KeyState ks, Event e) {
            long token = e.token();
            if (token <= 0) {
                violation(Violation.Kind.INVALID_TOKEN, e, token, e.process() + " was granted '" + e.key()
                        + "' at " + t(e.nanos()) + " with token " + token + " (tokens must be > 0)");
            }
            Hold h = ks.holds.get(e.process());
            if (h != null) {
                reentrantGrants++;
                h.count++;
                if (token != h.token) {
                    violation(Violation.Kind.REENTRANT_TOKEN, e, token, e.process() + " re-entered '"
                            + e.key() + "' at " + t(e.nanos()) + " with token " + token
                            + " but holds it with token " + h.token + " since " + t(h.grant.nanos())
                            + " (a reentrant grant must keep its token)");
                }
                return;
            }
            grants++;
            if (token > 0 && token <= ks.maxToken) {
                Event prev = ks.maxTokenGrant;
                violation(Violation.Kind.TOKEN_ORDER, e, token, e.process() + " was granted '" + e.key()
                        + "' at " + t(e.nanos()) + " with token " + token + ", not greater than token "
                        + ks.maxToken + " granted to " + prev.process() + " at " + t(prev.nanos()));
            }
            if (token > ks.maxToken) {
                ks.maxToken = token;
                ks.maxTokenGrant = e;
            }
            ks.holds.put(e.process(), new Hold(e));
        }

        void onLost(KeyState ks, Event e) {
            losses++;
            Hold h = ks.holds.get(e.process());
            if (h != null && (e.token() == 0 || e.token() == h.token)) {
                ks.holds.remove(e.process());
                addInterval(ks, h, e.nanos(), Interval.End.LOST);
            }
        }

        /** A holder's event carrying a lease bound moves the end of its belief to that bound. */
        void updateBound(KeyState ks, Event e) {
            if (e.validUntilNanos() == 0) {
                return;
            }
            Hold h = ks.holds.get(e.process());
            if (h != null && (e.token() == 0 || e.token() == h.token)) {
                h.bound = e.validUntilNanos();
            }
        }

        void findOverlaps(List<Interval> intervals) {
            List<Interval> active = new ArrayList<>();
            for (Interval iv : intervals) {
                if (iv.endNanos() <= iv.startNanos()) {
                    continue; // empty: the holder's bound had passed before the OK
                }
                active.removeIf(a -> a.endNanos() <= iv.startNanos());
                for (Interval a : active) {
                    if (!a.process().equals(iv.process())) {
                        Event g = iv.grant();
                        violations.add(new Violation(Violation.Kind.OVERLAP, g.key(), g.process(),
                                iv.token(), g.nanos(), g.process() + " was granted '" + g.key()
                                + "' with token " + iv.token() + " at " + t(iv.startNanos())
                                + " (held until " + t(iv.endNanos()) + ", " + iv.end() + ") while "
                                + a.process() + " still held it with token " + a.token()
                                + " since " + t(a.startNanos()) + " (until " + t(a.endNanos()) + ", "
                                + a.end() + ")"));
                    }
                }
                active.add(iv);
                maxConcurrent = Math.max(maxConcurrent, active.size());
            }
        }
    }
}
