package io.coord;

/** The session ended (expired, or closed by its owner) before or while the operation ran. */
public class SessionExpiredException extends CoordException {
    private static final long serialVersionUID = 1L;
    /** The state the session ended in. */
    private final SessionState state;

    /**
     * @param sessionId the session's {@link Session#id()}
     * @param state     the state it ended in: {@link SessionState#EXPIRED} or {@link SessionState#CLOSED}
     */
    public SessionExpiredException(String sessionId, SessionState state) {
        super("session " + sessionId + " is " + state.name().toLowerCase(java.util.Locale.ROOT)
                + (state == SessionState.CLOSED ? "" : ": everything it held is lost") + "; open a new session");
        this.state = state;
    }

    /**
     * The state the session ended in.
     *
     * @return {@link SessionState#EXPIRED} or {@link SessionState#CLOSED}
     */
    public SessionState state() {
        return state;
    }
}
