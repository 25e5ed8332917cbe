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

    /** A copy of this event with another index. */
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
