package io.coord;

/**
 * The backend refused who the client is: the credentials were wrong, none were sent where the
 * server requires them, or its access control (an ACL) denied a request coord needs. Retrying
 * with the same configuration fails the same way; unlike {@link BackendUnavailableException},
 * this is not an outage.
 *
 * <p>The message names the backend, the endpoint ({@code host:port}) and what was refused (the
 * user name, the server's error). It never contains a password or any other secret.
 */
public class AuthenticationException extends CoordException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message the backend, the endpoint and what was refused; never a secret
     * @param cause   the client library's error that reported the refusal
     */
    public AuthenticationException(String message, Throwable cause) {
        super(message, cause);
    }
}
