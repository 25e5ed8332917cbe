package io.coord.spi;

import io.coord.BackendUnavailableException;
import io.coord.CoordException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt to acquire a lock or win an election: enqueue, wait for the turn, become the
 * holder — or give up and leave nothing behind.
 *
 * <p>The algorithm runs on one coord worker thread ({@link #run()}). It is abandoned by
 * {@link #abort(Throwable)} (future cancelled or completed by the user, blocking caller timed
 * out or interrupted, session ended), which interrupts that thread. Whatever the reason, the
 * thread then removes its own queue entry before the result completes and before
 * {@link #awaitCleanup()} returns, so a caller that gave up never leaves an entry behind and a
 * later release can never hand it the lock. A grant that raced an abort is released at once.
 *
 * <p>{@code this} (the monitor) guards {@code runner} and {@code abortCause}: an interrupt is
 * only ever delivered while the worker is inside the algorithm, never after it has left.
 */
final class Acquisition<H extends HeldBase> implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(Acquisition.class);

    private final SessionBase session;
    private final String claimKey;
    private final QueueEntry entry;
    private final Deadline deadline;
    private final LongFunction<H> holderFactory;
    private final CompletableFuture<H> result = new CompletableFuture<>();
    private final CountDownLatch cleanedUp = new CountDownLatch(1);
    private volatile boolean completingOurselves;
    private Thread runner;
    private Throwable abortCause;
    private boolean finished;

    Acquisition(SessionBase session, String claimKey, QueueEntry entry, Deadline deadline, LongFunction<H> holderFactory) {
        this.session = session;
        this.claimKey = claimKey;
        this.entry = entry;
        this.deadline = deadline;
        this.holderFactory = holderFactory;
        // The user cancelling or completing the future abandons the acquisition.
        result.whenComplete((v, e) -> {
            if (!completingOurselves) {
                abort(new CancellationException("acquisition abandoned by its caller"));
            }
        });
    }

    /** Starts the acquisition on a worker thread; the session's claim is already taken. */
    CompletableFuture<H> start() {
        if (!session.addPending(this)) {
            session.unclaim(claimKey);
            return CompletableFuture.failedFuture(new io.coord.SessionExpiredException(session.id(), session.state()));
        }
        session.coordinator().workers().execute(this);
        return result;
    }

    /** Stops waiting; the worker removes the entry. Safe from any thread, any number of times. */
    void abort(Throwable cause) {
        synchronized (this) {
            if (finished || abortCause != null) {
                return;
            }
            abortCause = cause;
            if (runner != null) {
                runner.interrupt();
            }
        }
    }

    /** Waits (uninterruptibly, bounded by the operation timeout) until the worker has cleaned up. */
    void awaitCleanup() {
        boolean interrupted = false;
        long deadlineNanos = System.nanoTime() + session.coordinator().operationTimeout().toNanos() * 2;
        try {
            while (true) {
                try {
                    if (!cleanedUp.await(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                        log.warn("acquisition of {} did not finish its cleanup in time", claimKey);
                    }
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void run() {
        synchronized (this) {
            if (abortCause != null) {
                finish(null, abortCause);
                return;
            }
            runner = Thread.currentThread();
        }
        H holder = null;
        Throwable failure = null;
        try {
            entry.enqueue();
            long token = entry.awaitTurn(deadline);
            holder = holderFactory.apply(token);
        } catch (Throwable t) {
            failure = t;
        }
        synchronized (this) {
            runner = null;
            Thread.interrupted(); // an abort's interrupt must not leak into the pooled thread
            if (abortCause != null) {
                failure = abortCause;
            }
        }
        if (failure == null && !session.adopt(holder)) {
            failure = new io.coord.SessionExpiredException(session.id(), session.state());
        }
        finish(failure == null ? holder : null, failure);
    }

    private void finish(H holder, Throwable failure) {
        try {
            if (failure != null) {
                removeEntryQuietly();
                session.unclaim(claimKey);
                completingOurselves = true;
                result.completeExceptionally(translate(failure));
            } else {
                completingOurselves = true;
                if (!result.complete(holder)) {
                    holder.releaseQuietly(); // the caller gave up at the very moment we won
                }
            }
        } finally {
            synchronized (this) {
                finished = true;
            }
            session.removePending(this);
            cleanedUp.countDown();
        }
    }

    private void removeEntryQuietly() {
        try {
            entry.remove();
        } catch (Exception e) {
            log.warn("could not remove the queue entry of {}; the session's end removes it", claimKey, e);
        }
    }

    private Throwable translate(Throwable t) {
        if (t instanceof ExecutionException || t instanceof CompletionException) {
            return t.getCause() == null ? t : translate(t.getCause());
        }
        if (t instanceof CoordException || t instanceof CancellationException || t instanceof TimeoutException
                || t instanceof IllegalArgumentException || t instanceof IllegalStateException || t instanceof Error) {
            return t;
        }
        if (t instanceof InterruptedException) {
            return new CancellationException("acquisition interrupted");
        }
        return new BackendUnavailableException("acquiring " + claimKey + " failed: " + t, t);
    }
}
