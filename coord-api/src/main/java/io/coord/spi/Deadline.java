package io.coord.spi;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A point on the monotonic clock by which a wait must end, or none. Immutable. */
public final class Deadline {

    private static final Deadline NONE = new Deadline(0, false);

    private final long at;
    private final boolean bounded;

    private Deadline(long at, boolean bounded) {
        this.at = at;
        this.bounded = bounded;
    }

    public static Deadline none() {
        return NONE;
    }

    public static Deadline after(Duration timeout) {
        return new Deadline(System.nanoTime() + timeout.toNanos(), true);
    }

    public boolean isBounded() {
        return bounded;
    }

    public boolean hasPassed() {
        return bounded && System.nanoTime() - at >= 0;
    }

    /** Nanoseconds left (0 once passed), or {@link Long#MAX_VALUE} if unbounded. */
    public long remainingNanos() {
        return bounded ? Math.max(0, at - System.nanoTime()) : Long.MAX_VALUE;
    }

    /** Waits for the latch; false if the deadline passed first. */
    public boolean await(CountDownLatch latch) throws InterruptedException {
        if (!bounded) {
            latch.await();
            return true;
        }
        return latch.await(remainingNanos(), TimeUnit.NANOSECONDS);
    }

    /** Waits for the future's value; throws {@link TimeoutException} if the deadline passes first. */
    public <T> T await(CompletableFuture<T> future) throws InterruptedException, ExecutionException, TimeoutException {
        return bounded ? future.get(remainingNanos(), TimeUnit.NANOSECONDS) : future.get();
    }

    /** Throws {@link TimeoutException} if the deadline has passed. */
    public void check(String what) throws TimeoutException {
        if (hasPassed()) {
            throw new TimeoutException(what + " timed out");
        }
    }
}
