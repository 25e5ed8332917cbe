package io.coord.testkit.history;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A thread-safe, append-only recorder of operation {@link Event}s (Jepsen-style history), to be
 * checked afterwards by {@link FencedMutexChecker} and {@link RegisterChecker}.
 *
 * <h2>Concurrency and ordering</h2>
 * Recording takes one private monitor for a handful of instructions: it reads
 * {@link System#nanoTime()}, assigns the next index and appends to an array list (plus the optional
 * line sink, see below). Because the clock is read inside that critical section, index order and
 * time order agree for events recorded in this JVM, and the events of one process appear in the
 * order that process recorded them. There is no I/O on the recording path unless a sink is set.
 * {@link #events()} returns a snapshot copy; recording may continue concurrently.
 *
 * <h2>Times from other JVMs</h2>
 * {@link #ingest(Iterable)} merges events that child JVMs printed in {@link EventFormat}, keeping
 * their {@code nanos} values unchanged. This relies on one assumption, stated here on purpose: on
 * Linux, HotSpot's {@link System#nanoTime()} is {@code clock_gettime(CLOCK_MONOTONIC)}, a
 * machine-wide clock (since boot, not per process), so values taken by different JVMs on the
 * same machine are directly comparable. The Java specification does not promise this (it only
 * promises comparability within one JVM), so the kit's multi-process scenarios are Linux-only
 * (they are anyway: they use SIGSTOP and {@code kill -9}). Ingested events get fresh indices in
 * ingestion order; the checkers order events by {@code (nanos, index)}.
 *
 * <h2>Recording from a child JVM</h2>
 * A child creates {@code new History(line -> System.out.println(line))}: every event is then also
 * written as one line, in index order, at the moment it is recorded (System.out flushes on
 * println), so the events recorded before a {@code kill -9} survive. The parent feeds the child's
 * stdout lines to {@link #ingest(Iterable)}, which skips non-event lines.
 *
 * <h2>Process ids</h2>
 * A process id names one logical thread of control that has at most one operation outstanding
 * (invoked but not yet completed), as in Jepsen. Concurrent actors need distinct ids.
 */
public final class History {

    private final Object lock = new Object();
    private final List<Event> events = new ArrayList<>(); // guarded by lock
    private final Consumer<String> lineSink;              // called under lock; may be null

    /** An in-memory history. */
    public History() {
        this(null);
    }

    /**
     * A history that also hands every recorded event, formatted by {@link EventFormat#format},
     * to {@code lineSink}, in index order, while holding the recording lock (keep it fast).
     *
     * @param lineSink receives each event's line; null for none
     */
    public History(Consumer<String> lineSink) {
        this.lineSink = lineSink;
    }

    /**
     * Records an event happening now ({@link System#nanoTime()} read under the lock).
     *
     * @param process the logical process, not empty
     * @param type the event's kind
     * @param op the operation
     * @param key the lock or election name, {@code ""} if none
     * @param token the fencing token or term, {@code 0} if none
     * @param validUntilNanos the holder's lease bound, {@code 0} if unknown
     * @param detail free text, or null for none
     * @return the recorded event, with its index in this history
     * @throws IllegalArgumentException if the event is invalid (see {@link Event})
     */
    public Event record(String process, EventType type, Operation op, String key, long token,
                        long validUntilNanos, String detail) {
        synchronized (lock) {
            return append(new Event(events.size(), System.nanoTime(), process, type, op, key, token,
                    validUntilNanos, detail));
        }
    }

    /**
     * Records an event with an explicit time: for constructed histories in tests and for events
     * measured elsewhere. The checkers order by time, so this may be out of index order.
     *
     * @param nanos when the event happened ({@link System#nanoTime()})
     * @param process the logical process, not empty
     * @param type the event's kind
     * @param op the operation
     * @param key the lock or election name, {@code ""} if none
     * @param token the fencing token or term, {@code 0} if none
     * @param validUntilNanos the holder's lease bound, {@code 0} if unknown
     * @param detail free text, or null for none
     * @return the recorded event, with its index in this history
     * @throws IllegalArgumentException if the event is invalid (see {@link Event})
     */
    public Event recordAt(long nanos, String process, EventType type, Operation op, String key,
                          long token, long validUntilNanos, String detail) {
        synchronized (lock) {
            return append(new Event(events.size(), nanos, process, type, op, key, token,
                    validUntilNanos, detail));
        }
    }

    /**
     * Records a copy of {@code e} (its {@code nanos} kept, its index replaced).
     *
     * @param e the event
     * @return the recorded event, with its index in this history
     */
    public Event add(Event e) {
        Objects.requireNonNull(e, "event");
        synchronized (lock) {
            return append(e.withIndex(events.size()));
        }
    }

    private Event append(Event e) { // caller holds lock
        events.add(e);
        if (lineSink != null) {
            lineSink.accept(EventFormat.format(e));
        }
        return e;
    }

    /**
     * A convenience view that records events for one process and one key.
     *
     * @param process the process id, non-empty
     * @param key     the lock or election name ({@code ""} if none)
     * @return a recorder writing to this history
     */
    public Recorder recorder(String process, String key) {
        return new Recorder(this, process, key);
    }

    /**
     * Merges event lines (see {@link EventFormat}) into this history, in the given order. Lines
     * that do not start with the event marker are skipped (so a child's whole stdout can be fed).
     *
     * @return the number of events ingested
     * @param lines the lines, e.g. a child's whole stdout
     * @throws IllegalArgumentException on a malformed event line (nothing after it is ingested)
     */
    public int ingest(Iterable<String> lines) {
        int n = 0;
        for (String line : lines) {
            if (EventFormat.isEventLine(line)) {
                add(EventFormat.parse(line));
                n++;
            }
        }
        return n;
    }

    /**
     * Like {@link #ingest(Iterable)}, reading lines until end of stream.
     *
     * @param reader the lines' source, read to its end (not closed)
     * @return the number of events ingested
     * @throws IllegalArgumentException on a malformed event line
     * @throws java.io.UncheckedIOException if reading fails (nothing is ingested)
     */
    public int ingest(BufferedReader reader) {
        List<String> lines = new ArrayList<>();
        try {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                lines.add(line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ingest(lines);
    }

    /**
     * A snapshot of all events, in index order.
     *
     * @return the events recorded so far, immutable
     */
    public List<Event> events() {
        synchronized (lock) {
            return List.copyOf(events);
        }
    }

    /**
     * Number of events recorded so far.
     *
     * @return the count
     */
    public int size() {
        synchronized (lock) {
            return events.size();
        }
    }

    /**
     * All events as {@link EventFormat} lines, in index order.
     *
     * @return the lines, immutable
     */
    public List<String> toLines() {
        return EventFormat.formatAll(events());
    }

    /**
     * Writes all events as {@link EventFormat} lines, each followed by {@code '\n'}.
     *
     * @param out where the lines go
     * @throws java.io.UncheckedIOException if {@code out} fails
     */
    public void writeTo(Appendable out) {
        try {
            for (String line : toLines()) {
                out.append(line).append('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Records the events of one process on one key; every method records "now". Thread-safe. */
    public static final class Recorder {
        private final History history;
        private final String process;
        private final String key;

        private Recorder(History history, String process, String key) {
            this.history = Objects.requireNonNull(history, "history");
            Objects.requireNonNull(process, "process");
            if (process.isEmpty()) {
                throw new IllegalArgumentException("process id must not be empty");
            }
            this.process = process;
            this.key = Objects.requireNonNull(key, "key");
        }

        /**
         * The process this recorder records for.
         *
         * @return the process id
         */
        public String process() {
            return process;
        }

        /**
         * The key this recorder records for.
         *
         * @return the lock or election name, {@code ""} if none
         */
        public String key() {
            return key;
        }

        /**
         * An INVOKE: this process starts {@code op}.
         *
         * @param op the operation
         * @return the recorded event
         */
        public Event invoke(Operation op) {
            return history.record(process, EventType.INVOKE, op, key, 0, 0, "");
        }

        /**
         * An OK of {@code op} carrying no token.
         *
         * @param op the operation
         * @return the recorded event
         */
        public Event ok(Operation op) {
            return ok(op, 0, 0);
        }

        /**
         * An OK of {@code op} carrying the token granted, no lease bound.
         *
         * @param op the operation
         * @param token the fencing token or term
         * @return the recorded event
         */
        public Event ok(Operation op, long token) {
            return ok(op, token, 0);
        }

        /**
         * An OK carrying the token granted and the lease bound of the holder's belief.
         *
         * @param op the operation
         * @param token the fencing token or term
         * @param validUntilNanos the lease bound, {@code 0} if unknown
         * @return the recorded event
         */
        public Event ok(Operation op, long token, long validUntilNanos) {
            return history.record(process, EventType.OK, op, key, token, validUntilNanos, "");
        }

        /**
         * A definite failure; say why in {@code detail} (e.g. "timeout", "interrupted").
         *
         * @param op the operation
         * @param detail why it failed
         * @return the recorded event
         */
        public Event fail(Operation op, String detail) {
            return history.record(process, EventType.FAIL, op, key, 0, 0, detail);
        }

        /**
         * The loss signal of the grant with {@code token} (0 = whatever this process holds).
         *
         * @param token the lost grant's token, or 0
         * @param detail how the loss was learnt (e.g. the loss reason)
         * @return the recorded event
         */
        public Event lost(long token, String detail) {
            return history.record(process, EventType.LOST, Operation.ACQUIRE, key, token, 0, detail);
        }

        /**
         * An annotation, e.g. a renewed {@code validUntilNanos} for the grant with {@code token}.
         *
         * @param op the operation
         * @param token the grant's token
         * @param validUntilNanos the new lease bound, {@code 0} if none
         * @param detail free text
         * @return the recorded event
         */
        public Event info(Operation op, long token, long validUntilNanos, String detail) {
            return history.record(process, EventType.INFO, op, key, token, validUntilNanos, detail);
        }
    }
}
