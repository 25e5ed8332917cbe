package io.coord;

/** Base of coord's own exceptions. Bad arguments are reported with the JDK's IllegalArgumentException / NullPointerException. */
public class CoordException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what went wrong and, where it helps, what to do about it */
    public CoordException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong
     * @param cause   the underlying failure, or {@code null}
     */
    public CoordException(String message, Throwable cause) {
        super(message, cause);
    }
}
