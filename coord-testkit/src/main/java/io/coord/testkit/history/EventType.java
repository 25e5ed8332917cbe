package io.coord.testkit.history;

/**
 * The kind of a history {@link Event}, after Jepsen's history model.
 *
 * <ul>
 *   <li>{@link #INVOKE}: a process starts an operation.</li>
 *   <li>{@link #OK}: the operation the process invoked last completed successfully.</li>
 *   <li>{@link #FAIL}: the operation the process invoked last definitely did not take effect
 *       (including a timed-out, interrupted or cancelled acquire; say which in the detail).</li>
 *   <li>{@link #LOST}: an asynchronous signal, not a completion: the process learnt that a grant
 *       it held (the event's token, or any grant on the key if the token is 0) is gone.</li>
 *   <li>{@link #INFO}: an annotation, not a completion: for example a holder reporting a new
 *       {@code validUntilNanos} after a lease renewal.</li>
 * </ul>
 */
public enum EventType {
    INVOKE, OK, FAIL, LOST, INFO
}
