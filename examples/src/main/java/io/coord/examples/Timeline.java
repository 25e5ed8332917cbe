package io.coord.examples;

import java.io.PrintStream;
import java.util.Locale;

/** Prints an example's story, one line per event, each prefixed by the seconds since the start. Thread-safe. */
public final class Timeline {

    private final PrintStream out;
    private final long startNanos = System.nanoTime();

    /**
     * A timeline starting now.
     *
     * @param out where the lines go
     */
    public Timeline(PrintStream out) {
        this.out = out;
    }

    /**
     * Prints one event.
     *
     * @param format a {@link String#format} pattern (root locale)
     * @param args   its arguments
     */
    public void say(String format, Object... args) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        synchronized (out) {
            out.printf(Locale.ROOT, "[%6.2f s] %s%n", seconds, String.format(Locale.ROOT, format, args));
        }
    }
}
