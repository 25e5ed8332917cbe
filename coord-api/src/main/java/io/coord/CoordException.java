package io.coord;

/** Base of coord's own exceptions. Bad arguments are reported with the JDK's IllegalArgumentException / NullPointerException. */
public class CoordException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CoordException(String message) {
        super(message);
    }

    public CoordException(String message, Throwable cause) {
        super(message, cause);
    }
}
