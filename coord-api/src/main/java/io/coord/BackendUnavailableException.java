package io.coord;

/** The backend could not be reached or did not answer within the configured timeout. */
public class BackendUnavailableException extends CoordException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message the backend and what could not be done
     * @param cause   the underlying failure (I/O error, timeout, interrupt), or {@code null}
     */
    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
