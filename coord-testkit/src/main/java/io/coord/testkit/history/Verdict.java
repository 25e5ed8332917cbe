package io.coord.testkit.history;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The result of {@link FencedMutexChecker#check}: the violations found and the counts a results
 * table needs. Immutable.
 *
 * @param violations           every rule broken, in history order (overlaps last)
 * @param events               number of events checked
 * @param operations           number of INVOKE events (all operations)
 * @param grants               new grants (ACQUIRE/CAMPAIGN OK that started a hold)
 * @param reentrantGrants      grants to a process already holding the key
 * @param releases             RELEASE/RESIGN invocations made while holding
 * @param losses               LOST events
 * @param failedAcquires       ACQUIRE/CAMPAIGN FAILs (timeouts, interruptions, cancellations, errors)
 * @param pendingInvocations   invocations with no completion at the end of the history
 * @param openGrants           holds still open (no release, loss or lease bound) at the end
 * @param maxConcurrentHolders most distinct processes holding one key at one instant (1 if correct)
 * @param intervals            every hold interval, per key in grant order
 * @param originNanos          {@code nanos} of the earliest event (times in messages are relative to it)
 */
public record Verdict(List<Violation> violations, int events, int operations, int grants,
                      int reentrantGrants, int releases, int losses, int failedAcquires,
                      int pendingInvocations, int openGrants, int maxConcurrentHolders,
                      List<Interval> intervals, long originNanos) {

    /**
     * Copies the lists (immutable).
     *
     * @param violations every rule broken
     * @param events number of events checked
     * @param operations number of INVOKE events
     * @param grants new grants
     * @param reentrantGrants reentrant grants
     * @param releases releases made while holding
     * @param losses LOST events
     * @param failedAcquires failed acquires
     * @param pendingInvocations invocations never completed
     * @param openGrants holds still open at the end
     * @param maxConcurrentHolders most holders of one key at one instant
     * @param intervals every hold interval
     * @param originNanos {@code nanos} of the earliest event
     */
    public Verdict {
        violations = List.copyOf(violations);
        intervals = List.copyOf(intervals);
    }

    /**
     * True iff no rule was broken.
     *
     * @return true if there is no violation
     */
    public boolean ok() {
        return violations.isEmpty();
    }

    /**
     * True iff every violation is of a tolerated kind: for a backend that declares a weakness
     * (Redis under failover may grant twice) the kit measures {@link Violation.Kind#OVERLAP}
     * instead of failing on it.
     *
     * @param tolerated the kinds to tolerate (none: the same as {@link #ok()})
     * @return true if every violation is of a tolerated kind
     */
    public boolean okIgnoring(Violation.Kind... tolerated) {
        Set<Violation.Kind> t = tolerated.length == 0 ? EnumSet.noneOf(Violation.Kind.class)
                : EnumSet.of(tolerated[0], tolerated);
        return violations.stream().allMatch(v -> t.contains(v.kind()));
    }

    /**
     * The violations of one kind.
     *
     * @param kind the kind
     * @return those violations, in history order
     */
    public List<Violation> violations(Violation.Kind kind) {
        return violations.stream().filter(v -> v.kind() == kind).toList();
    }

    /**
     * Number of violations of one kind.
     *
     * @param kind the kind
     * @return how many violations are of that kind
     */
    public int count(Violation.Kind kind) {
        return (int) violations.stream().filter(v -> v.kind() == kind).count();
    }

    /**
     * Number of overlapping pairs of grants.
     *
     * @return the number of {@link Violation.Kind#OVERLAP} violations
     */
    public int overlaps() {
        return count(Violation.Kind.OVERLAP);
    }

    /**
     * A multi-line description (counts, then every violation) for assertion messages and logs.
     *
     * @return the counts, then one line per violation
     */
    public String describe() {
        StringBuilder b = new StringBuilder()
                .append(ok() ? "history OK" : "history has " + violations.size() + " violation(s)")
                .append(": events=").append(events).append(", operations=").append(operations)
                .append(", grants=").append(grants).append(", reentrantGrants=").append(reentrantGrants)
                .append(", releases=").append(releases).append(", losses=").append(losses)
                .append(", failedAcquires=").append(failedAcquires)
                .append(", pendingInvocations=").append(pendingInvocations)
                .append(", openGrants=").append(openGrants)
                .append(", maxConcurrentHolders=").append(maxConcurrentHolders);
        for (Violation v : violations) {
            b.append("\n  ").append(v);
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return describe();
    }
}
