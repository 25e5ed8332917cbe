package io.coord;

/** A leader-only operation was attempted by a leadership that was lost or resigned. */
public class NotLeaderException extends CoordException {
    private static final long serialVersionUID = 1L;

    /** @param message the election, the term, and whether the leadership was resigned or lost */
    public NotLeaderException(String message) {
        super(message);
    }
}
