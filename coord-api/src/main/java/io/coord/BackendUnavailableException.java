package io.coord;

/** The backend could not be reached or did not answer within the configured timeout. */
public class BackendUnavailableException extends CoordException {
    private static final long serialVersionUID = 1L;

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
