package io.coord.testkit.history;

import java.util.List;

/**
 * The one-line text form of an {@link Event}, used to ship events from child JVMs (issue 5 runs
 * holders in separate processes) to the test's {@link History}.
 *
 * <h2>Format (version 1)</h2>
 * One event per line, nine fields separated by a single TAB, no trailing TAB:
 * <pre>
 * E1 &lt;nanos&gt; &lt;process&gt; &lt;TYPE&gt; &lt;OP&gt; &lt;key&gt; &lt;token&gt; &lt;validUntilNanos&gt; &lt;detail&gt;
 * </pre>
 * <ul>
 *   <li>{@code E1} is a literal marker; lines without it are not events (so a child may mix them
 *       with other output on stdout).</li>
 *   <li>{@code nanos}, {@code token}, {@code validUntilNanos}: decimal longs
 *       ({@code nanos} is the child's {@link System#nanoTime()}).</li>
 *   <li>{@code TYPE}: an {@link EventType} name; {@code OP}: an {@link Operation} name.</li>
 *   <li>{@code process}, {@code key}, {@code detail}: text in which backslash, TAB, LF and CR are
 *       written {@code \\}, {@code \t}, {@code \n}, {@code \r}; nothing else is escaped.</li>
 * </ul>
 * The event index is not part of the line: the receiving {@link History} assigns its own.
 */
public final class EventFormat {

    /** The marker that starts every event line, followed by a TAB. */
    public static final String MARKER = "E1";

    private static final int FIELDS = 9;

    private EventFormat() {
    }

    /**
     * The line (without line terminator) for {@code e}.
     *
     * @param e the event (its index is not written)
     * @return the line; {@link #parse} gives back an equal event with index {@code -1}
     */
    public static String format(Event e) {
        StringBuilder b = new StringBuilder(96);
        b.append(MARKER).append('\t').append(e.nanos()).append('\t');
        escape(e.process(), b).append('\t').append(e.type().name()).append('\t').append(e.op().name())
                .append('\t');
        escape(e.key(), b).append('\t').append(e.token()).append('\t').append(e.validUntilNanos())
                .append('\t');
        escape(e.detail(), b);
        return b.toString();
    }

    /**
     * True iff {@code line} starts with the event marker (it may still be malformed).
     *
     * @param line any line of output, or null
     * @return true if it starts with {@code E1} and a TAB
     */
    public static boolean isEventLine(String line) {
        return line != null && line.startsWith(MARKER + "\t");
    }

    /**
     * Parses one event line. The returned event has index {@code -1}.
     *
     * @param line a line {@link #format} wrote
     * @return the event, index {@code -1}
     * @throws IllegalArgumentException if the line is not a well-formed version-1 event line; the
     *                                  message quotes the line and says what is wrong
     */
    public static Event parse(String line) {
        if (!isEventLine(line)) {
            throw new IllegalArgumentException("not an event line (must start with '" + MARKER
                    + "<TAB>'): '" + line + "'");
        }
        String[] f = line.split("\t", -1);
        if (f.length != FIELDS) {
            throw new IllegalArgumentException("event line must have " + FIELDS
                    + " TAB-separated fields, has " + f.length + ": '" + line + "'");
        }
        try {
            return new Event(-1, Long.parseLong(f[1]), unescape(f[2]), EventType.valueOf(f[3]),
                    Operation.valueOf(f[4]), unescape(f[5]), Long.parseLong(f[6]), Long.parseLong(f[7]),
                    unescape(f[8]));
        } catch (IllegalArgumentException e) { // NumberFormatException, bad enum name, bad value
            throw new IllegalArgumentException("malformed event line (" + e.getMessage() + "): '"
                    + line + "'", e);
        }
    }

    /**
     * Formats every event, one line each, in list order.
     *
     * @param events the events
     * @return the lines, immutable
     */
    public static List<String> formatAll(List<Event> events) {
        return events.stream().map(EventFormat::format).toList();
    }

    private static StringBuilder escape(String s, StringBuilder b) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '\t' -> b.append("\\t");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                default -> b.append(c);
            }
        }
        return b;
    }

    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (i + 1 >= s.length()) {
                throw new IllegalArgumentException("dangling backslash in '" + s + "'");
            }
            char n = s.charAt(++i);
            switch (n) {
                case '\\' -> b.append('\\');
                case 't' -> b.append('\t');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                default -> throw new IllegalArgumentException("unknown escape '\\" + n + "' in '" + s + "'");
            }
        }
        return b.toString();
    }
}
