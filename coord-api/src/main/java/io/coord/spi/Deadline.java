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

    /**
     * The deadline that never passes.
     *
     * @return the one unbounded deadline
     */
    public static Deadline none() {
        return NONE;
    }

    /**
     * The deadline {@code timeout} from now.
     *
     * @param timeout not null; zero (or negative) gives a deadline that has already passed
     * @return a bounded deadline
     */
    public static Deadline after(Duration timeout) {
        return new Deadline(System.nanoTime() + timeout.toNanos(), true);
    }

    /**
     * Whether this deadline can pass.
     *
     * @return false only for {@link #none()}
     */
    public boolean isBounded() {
        return bounded;
    }

    /**
     * Whether the deadline has passed.
     *
     * @return true from the deadline's instant on; always false if unbounded
     */
    public boolean hasPassed() {
        return bounded && System.nanoTime() - at >= 0;
    }

    /**
     * Nanoseconds left (0 once passed), or {@link Long#MAX_VALUE} if unbounded.
     *
     * @return the nanoseconds left, never negative
     */
    public long remainingNanos() {
        return bounded ? Math.max(0, at - System.nanoTime()) : Long.MAX_VALUE;
    }

    /**
     * Waits for the latch; false if the deadline passed first.
     *
     * @param latch the latch to wait for
     * @return true if the latch reached zero, false if the deadline passed first
     * @throws InterruptedException if the thread is interrupted while waiting
     */
    public boolean await(CountDownLatch latch) throws InterruptedException {
        if (!bounded) {
            latch.await();
            return true;
        }
        return latch.await(remainingNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Waits for the future's value; throws {@link TimeoutException} if the deadline passes first.
     *
     * @param <T>    the value's type
     * @param future the future to wait for; a timeout leaves it running
     * @return the future's value
     * @throws InterruptedException if the thread is interrupted while waiting
     * @throws ExecutionException   if the future completed exceptionally
     * @throws TimeoutException     if the deadline passes before the future completes
     */
    public <T> T await(CompletableFuture<T> future) throws InterruptedException, ExecutionException, TimeoutException {
        return bounded ? future.get(remainingNanos(), TimeUnit.NANOSECONDS) : future.get();
    }

    /**
     * Throws {@link TimeoutException} if the deadline has passed.
     *
     * @param what what is waited for, for the message, e.g. {@code "lock 'a'"}
     * @throws TimeoutException if the deadline has passed, with the message "{@code what} timed out"
     */
    public void check(String what) throws TimeoutException {
        if (hasPassed()) {
            throw new TimeoutException(what + " timed out");
        }
    }
}
