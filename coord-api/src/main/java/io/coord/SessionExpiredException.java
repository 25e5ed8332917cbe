package io.coord;

/** The session ended (expired, or closed by its owner) before or while the operation ran. */
public class SessionExpiredException extends CoordException {
    private static final long serialVersionUID = 1L;
    private final SessionState state;

    public SessionExpiredException(String sessionId, SessionState state) {
        super("session " + sessionId + " is " + state.name().toLowerCase(java.util.Locale.ROOT)
                + (state == SessionState.CLOSED ? "" : ": everything it held is lost") + "; open a new session");
        this.state = state;
    }

    /** EXPIRED or CLOSED. */
    public SessionState state() {
        return state;
    }
}
