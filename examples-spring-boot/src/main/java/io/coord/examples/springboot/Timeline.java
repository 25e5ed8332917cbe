package io.coord.examples.springboot;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;

/**
 * What happened, in order, across both application instances: each event is printed at once with the time since
 * the demo started and the instance that did it, and kept for the summary.
 *
 * <p>Threads: {@link #note} is called from any thread (the instances' scheduler threads, the leader initiators'
 * threads delivering Spring's leader events, the main thread); one monitor orders the events and wakes
 * {@link #await} so that the main thread waits for what it needs without polling or sleeping.
 */
final class Timeline {

    private final PrintStream out;
    private final long startNanos = System.nanoTime();
    private final List<String> events = new ArrayList<>();

    Timeline(PrintStream out) {
        this.out = out;
    }

    /** Records and prints one event of {@code instance} ({@code "-"} for the demo itself). */
    synchronized void note(String instance, String what) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        String line = String.format(Locale.ROOT, "%7.3fs [%s] %s", seconds, instance, what);
        events.add(line);
        out.println(line);
        notifyAll();
    }

    /**
     * Waits until {@code condition} holds, re-checking after every event; false if {@code max} passed first.
     *
     * @throws InterruptedException if the main thread is interrupted
     */
    synchronized boolean await(BooleanSupplier condition, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }

    /** Where the events are printed. */
    PrintStream out() {
        return out;
    }

    /** The events so far (for the watchdog, which prints them when the run overruns). */
    synchronized List<String> events() {
        return List.copyOf(events);
    }
}
