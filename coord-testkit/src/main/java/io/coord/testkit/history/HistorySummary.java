package io.coord.testkit.history;

import java.util.ArrayList;
import java.util.List;

/**
 * The counts of one checked run, independent of the workload, in a form a results table
 * (fault x backend) can print. Immutable.
 *
 * @param operations          invocations recorded
 * @param grants              new grants
 * @param reentrantGrants     reentrant grants
 * @param releases            releases made while holding
 * @param losses              loss signals
 * @param failedAcquires      failed / timed-out acquires
 * @param maxConcurrentHolders most distinct holders of one key at one instant
 * @param overlaps            overlapping pairs of grants
 * @param tokenViolations     TOKEN_ORDER + REENTRANT_TOKEN + INVALID_TOKEN violations
 * @param pairingViolations   PAIRING violations
 * @param writesAccepted      register writes accepted (-1 if no register was checked)
 * @param staleWritesRejected register writes rejected as stale (-1 if no register was checked)
 * @param registerViolations  REGISTER_ORDER + UNKNOWN_TOKEN violations (-1 if no register)
 */
public record HistorySummary(int operations, int grants, int reentrantGrants, int releases, int losses,
                             int failedAcquires, int maxConcurrentHolders, int overlaps,
                             int tokenViolations, int pairingViolations, int writesAccepted,
                             int staleWritesRejected, int registerViolations) {

    private static final List<String> COLUMNS = List.of("operations", "grants", "reentrant", "releases",
            "losses", "failed acquires", "max holders", "overlaps", "token violations",
            "pairing violations", "writes accepted", "stale writes rejected", "register violations");

    /**
     * The summary of a mutex verdict alone.
     *
     * @param mutex the {@link FencedMutexChecker}'s verdict
     * @return the summary, register columns {@code -1}
     */
    public static HistorySummary of(Verdict mutex) {
        return of(mutex, null);
    }

    /**
     * The summary of a mutex verdict and a register verdict ({@code null} if none).
     *
     * @param mutex the {@link FencedMutexChecker}'s verdict
     * @param register the {@link RegisterChecker}'s verdict, or null
     * @return the summary
     */
    public static HistorySummary of(Verdict mutex, RegisterVerdict register) {
        int tokenViolations = mutex.count(Violation.Kind.TOKEN_ORDER)
                + mutex.count(Violation.Kind.REENTRANT_TOKEN) + mutex.count(Violation.Kind.INVALID_TOKEN);
        return new HistorySummary(mutex.operations(), mutex.grants(), mutex.reentrantGrants(),
                mutex.releases(), mutex.losses(), mutex.failedAcquires(), mutex.maxConcurrentHolders(),
                mutex.overlaps(), tokenViolations, mutex.count(Violation.Kind.PAIRING),
                register == null ? -1 : register.acceptedWrites(),
                register == null ? -1 : register.staleWritesRejected(),
                register == null ? -1 : register.violations().size());
    }

    /**
     * The column names, in {@link #cells()} order.
     *
     * @return the names, immutable
     */
    public static List<String> columns() {
        return COLUMNS;
    }

    /**
     * The values as strings, in {@link #columns()} order ({@code "-"} for "no register").
     *
     * @return the values, one per column
     */
    public List<String> cells() {
        List<String> c = new ArrayList<>();
        for (int v : new int[] {operations, grants, reentrantGrants, releases, losses, failedAcquires,
                maxConcurrentHolders, overlaps, tokenViolations, pairingViolations, writesAccepted,
                staleWritesRejected, registerViolations}) {
            c.add(v < 0 ? "-" : Integer.toString(v));
        }
        return c;
    }

    /**
     * A Markdown table header: {@code leading} column names, then {@link #columns()}.
     *
     * @param leading names of the columns before the summary's
     * @return the header line and the separator line
     */
    public static String markdownHeader(String... leading) {
        List<String> all = new ArrayList<>(List.of(leading));
        all.addAll(COLUMNS);
        return "| " + String.join(" | ", all) + " |\n|" + "---|".repeat(all.size());
    }

    /**
     * A Markdown table row: {@code leading} cells (e.g. fault, backend), then {@link #cells()}.
     *
     * @param leading the cells before the summary's
     * @return the row
     */
    public String markdownRow(String... leading) {
        List<String> all = new ArrayList<>(List.of(leading));
        all.addAll(cells());
        return "| " + String.join(" | ", all) + " |";
    }
}
