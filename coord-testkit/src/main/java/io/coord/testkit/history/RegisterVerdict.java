package io.coord.testkit.history;

import java.util.List;

/**
 * The result of {@link RegisterChecker#check}: whether the fenced register's accepted writes are
 * consistent with the grants in the history, and the counts a results table needs. Immutable.
 *
 * @param violations             {@link Violation.Kind#REGISTER_ORDER} and
 *                               {@link Violation.Kind#UNKNOWN_TOKEN} violations
 * @param acceptedWrites         writes the register accepted
 * @param staleWritesRejected    writes the register rejected because a newer token had been seen
 *                               (each one a stale holder stopped by fencing)
 * @param acceptedAfterBeliefEnd accepted writes made after their grant's interval had ended
 *                               (released, lost or past its lease bound) but before any newer
 *                               token reached the register: harmless under fencing, counted
 *                               because they show a holder outliving its belief
 */
public record RegisterVerdict(List<Violation> violations, int acceptedWrites, int staleWritesRejected,
                              int acceptedAfterBeliefEnd) {

    /**
     * Copies the violations (immutable).
     *
     * @param violations the violations found
     * @param acceptedWrites writes the register accepted
     * @param staleWritesRejected writes the register rejected
     * @param acceptedAfterBeliefEnd accepted writes made after their grant's interval had ended
     */
    public RegisterVerdict {
        violations = List.copyOf(violations);
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
     * A multi-line description for assertion messages and logs.
     *
     * @return the counts, then one line per violation
     */
    public String describe() {
        StringBuilder b = new StringBuilder()
                .append(ok() ? "register OK" : "register has " + violations.size() + " violation(s)")
                .append(": acceptedWrites=").append(acceptedWrites)
                .append(", staleWritesRejected=").append(staleWritesRejected)
                .append(", acceptedAfterBeliefEnd=").append(acceptedAfterBeliefEnd);
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
