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
    /** A process starts an operation. */
    INVOKE,
    /** The operation the process invoked last completed successfully. */
    OK,
    /** The operation the process invoked last definitely did not take effect. */
    FAIL,
    /** A grant the process held is gone (an asynchronous signal, not a completion). */
    LOST,
    /** An annotation, not a completion (e.g. a new {@code validUntilNanos}). */
    INFO
}
