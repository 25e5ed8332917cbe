package io.coord.examples.springboot;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts how many instances are inside one guarded piece of work at once, across both instances (they share one
 * JVM, so one counter sees both). {@link #overlaps()} must stay 0: the guard (ShedLock or the LockRegistry) lets
 * one instance in at a time.
 */
final class Overlap {

    private final AtomicInteger inside = new AtomicInteger();
    private final AtomicInteger runs = new AtomicInteger();
    private final AtomicInteger overlaps = new AtomicInteger();

    /** Called on entering the guarded work; counts an overlap if another instance is inside. */
    void enter() {
        if (inside.incrementAndGet() > 1) {
            overlaps.incrementAndGet();
        }
        runs.incrementAndGet();
    }

    /** Called on leaving it. */
    void exit() {
        inside.decrementAndGet();
    }

    int runs() {
        return runs.get();
    }

    int overlaps() {
        return overlaps.get();
    }
}
