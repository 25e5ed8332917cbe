package io.coord;

/**
 * Told of every state change of a session, in order, on the coordinator's event thread (never on a
 * client library's thread). An exception thrown here is logged and does not stop later calls.
 */
@FunctionalInterface
public interface SessionListener {
    /**
     * Called after the session moved from {@code previous} to {@code current}.
     *
     * @param session  the session whose state changed
     * @param previous the state before the change
     * @param current  the state after it
     */
    void stateChanged(Session session, SessionState previous, SessionState current);
}
