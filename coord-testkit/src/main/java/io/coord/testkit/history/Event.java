package io.coord.testkit.history;

import java.util.Objects;

/**
 * One immutable history event.
 *
 * @param index           position in the recording {@link History} (assigned by it; {@code -1}
 *                        for an event parsed but not yet recorded)
 * @param nanos           {@link System#nanoTime()} when the event happened (see {@link History}
 *                        for why values from child JVMs on the same Linux machine are comparable)
 * @param process         the logical process (single thread of control) the event belongs to
 * @param type            invoke / ok / fail / lost / info
 * @param op              the operation
 * @param key             the lock or election name the event is about ({@code ""} if none); the
 *                        checker treats each key as an independent mutex
 * @param token           the fencing token (or leader term), {@code 0} if none
 * @param validUntilNanos the {@link System#nanoTime()} up to which the process may believe it
 *                        holds its grant (the lease bound, e.g. a session's {@code validUntil()}),
 *                        {@code 0} if unknown
 * @param detail          free text ({@code ""} if none)
 */
public record Event(long index, long nanos, String process, EventType type, Operation op, String key,
                    long token, long validUntilNanos, String detail) {

    /**
     * Checks the event: a non-empty process, a type, an operation and a key (possibly empty), a token {@code >= 0};
     * a null detail becomes {@code ""}.
     *
     * @param index position in the recording history, or {@code -1}
     * @param nanos when the event happened ({@link System#nanoTime()})
     * @param process the logical process, not empty
     * @param type the event's kind
     * @param op the operation
     * @param key the lock or election name, {@code ""} if none
     * @param token the fencing token or term, {@code 0} if none
     * @param validUntilNanos the lease bound, {@code 0} if unknown
     * @param detail free text, or null for none
     * @throws NullPointerException if {@code process}, {@code type}, {@code op} or {@code key} is null
     * @throws IllegalArgumentException if {@code process} is empty or {@code token < 0}
     */
    public Event {
        Objects.requireNonNull(process, "process");
        if (process.isEmpty()) {
            throw new IllegalArgumentException("process id must not be empty");
        }
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(key, "key");
        if (token < 0) {
            throw new IllegalArgumentException("token must be >= 0 (0 = none), got " + token);
        }
        detail = detail == null ? "" : detail;
    }

    /**
     * A copy of this event with another index.
     *
     * @param newIndex the copy's index
     * @return the copy; this event is unchanged
     */
    public Event withIndex(long newIndex) {
        return new Event(newIndex, nanos, process, type, op, key, token, validUntilNanos, detail);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder().append('#').append(index).append(' ').append(nanos)
                .append(' ').append(process).append(' ').append(type).append(' ').append(op);
        if (!key.isEmpty()) {
            b.append(" key=").append(key);
        }
        if (token != 0) {
            b.append(" token=").append(token);
        }
        if (validUntilNanos != 0) {
            b.append(" validUntil=").append(validUntilNanos);
        }
        if (!detail.isEmpty()) {
            b.append(" (").append(detail).append(')');
        }
        return b.toString();
    }
}
