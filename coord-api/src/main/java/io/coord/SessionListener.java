package io.coord;

/**
 * Told of every state change of a session, in order, on the coordinator's event thread (never on a
 * client library's thread). An exception thrown here is logged and does not stop later calls.
 */
@FunctionalInterface
public interface SessionListener {
    void stateChanged(Session session, SessionState previous, SessionState current);
}
