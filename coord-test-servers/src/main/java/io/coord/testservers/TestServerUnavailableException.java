package io.coord.testservers;

/**
 * Thrown (failing the test, never skipping it) when a test needs a server that cannot be found or
 * started. The message always says how to get one.
 */
public final class TestServerUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception whose message is the whole explanation.
     *
     * @param message what is missing and how to install or point at it
     */
    public TestServerUnavailableException(String message) {
        super(message);
    }

    /**
     * An exception explaining a failed start.
     *
     * @param message what failed and how to fix it
     * @param cause   the underlying failure
     */
    public TestServerUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
