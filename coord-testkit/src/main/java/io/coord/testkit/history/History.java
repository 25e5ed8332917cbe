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
     */
    public History(Consumer<String> lineSink) {
        this.lineSink = lineSink;
    }

    /** Records an event happening now ({@link System#nanoTime()} read under the lock). */
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
     */
    public Event recordAt(long nanos, String process, EventType type, Operation op, String key,
                          long token, long validUntilNanos, String detail) {
        synchronized (lock) {
            return append(new Event(events.size(), nanos, process, type, op, key, token,
                    validUntilNanos, detail));
        }
    }

    /** Records a copy of {@code e} (its {@code nanos} kept, its index replaced). */
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
     */
    public Recorder recorder(String process, String key) {
        return new Recorder(this, process, key);
    }

    /**
     * Merges event lines (see {@link EventFormat}) into this history, in the given order. Lines
     * that do not start with the event marker are skipped (so a child's whole stdout can be fed).
     *
     * @return the number of events ingested
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

    /** Like {@link #ingest(Iterable)}, reading lines until end of stream. */
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

    /** A snapshot of all events, in index order. */
    public List<Event> events() {
        synchronized (lock) {
            return List.copyOf(events);
        }
    }

    /** Number of events recorded so far. */
    public int size() {
        synchronized (lock) {
            return events.size();
        }
    }

    /** All events as {@link EventFormat} lines, in index order. */
    public List<String> toLines() {
        return EventFormat.formatAll(events());
    }

    /** Writes all events as {@link EventFormat} lines, each followed by {@code '\n'}. */
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

        public String process() {
            return process;
        }

        public String key() {
            return key;
        }

        public Event invoke(Operation op) {
            return history.record(process, EventType.INVOKE, op, key, 0, 0, "");
        }

        public Event ok(Operation op) {
            return ok(op, 0, 0);
        }

        public Event ok(Operation op, long token) {
            return ok(op, token, 0);
        }

        /** An OK carrying the token granted and the lease bound of the holder's belief. */
        public Event ok(Operation op, long token, long validUntilNanos) {
            return history.record(process, EventType.OK, op, key, token, validUntilNanos, "");
        }

        /** A definite failure; say why in {@code detail} (e.g. "timeout", "interrupted"). */
        public Event fail(Operation op, String detail) {
            return history.record(process, EventType.FAIL, op, key, 0, 0, detail);
        }

        /** The loss signal of the grant with {@code token} (0 = whatever this process holds). */
        public Event lost(long token, String detail) {
            return history.record(process, EventType.LOST, Operation.ACQUIRE, key, token, 0, detail);
        }

        /** An annotation, e.g. a renewed {@code validUntilNanos} for the grant with {@code token}. */
        public Event info(Operation op, long token, long validUntilNanos, String detail) {
            return history.record(process, EventType.INFO, op, key, token, validUntilNanos, detail);
        }
    }
}
