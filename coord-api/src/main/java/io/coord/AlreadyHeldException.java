package io.coord;

/**
 * The session already holds, or is already waiting for, this lock or candidacy. coord locks are
 * not re-entrant: a second request fails at once instead of deadlocking or sharing a token.
 */
public class AlreadyHeldException extends CoordException {
    private static final long serialVersionUID = 1L;

    /** @param message the session, what it already holds or waits for, and what to do instead */
    public AlreadyHeldException(String message) {
        super(message);
    }
}
