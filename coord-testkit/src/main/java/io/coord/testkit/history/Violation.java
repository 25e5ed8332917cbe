package io.coord.testkit.history;

/**
 * One rule broken by a history (or by a register's accepted writes).
 *
 * @param kind    which rule
 * @param key     the lock / election name concerned ({@code ""} if none)
 * @param process the process whose event exposed the violation
 * @param token   the token concerned, 0 if none
 * @param nanos   when (the {@code nanos} of the offending event)
 * @param message human-readable: names the processes, tokens and times (relative to the first
 *                event of the history, in milliseconds)
 */
public record Violation(Kind kind, String key, String process, long token, long nanos, String message) {

    /** The rules. */
    public enum Kind {
        /** A new grant's token is not strictly greater than every token granted before it. */
        TOKEN_ORDER,
        /** A reentrant grant (same process, still holding, same key) changed the token. */
        REENTRANT_TOKEN,
        /** A grant carried a token {@code <= 0}. */
        INVALID_TOKEN,
        /** Two different processes held (believed they held) the same key at the same time. */
        OVERLAP,
        /**
         * A completion (OK/FAIL) without an outstanding invocation of the same operation by that
         * process (e.g. an OK after a FAIL or a timeout), or an invocation while another one of
         * the same process is outstanding.
         */
        PAIRING,
        /** The register accepted a write whose token is lower than an earlier accepted one. */
        REGISTER_ORDER,
        /** The register accepted a write whose token no grant in the history carries. */
        UNKNOWN_TOKEN
    }

    @Override
    public String toString() {
        return kind + ": " + message;
    }
}
