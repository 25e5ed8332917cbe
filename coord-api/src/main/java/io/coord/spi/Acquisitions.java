package io.coord.spi;

import io.coord.CoordException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.LongFunction;

/**
 * The three ways to acquire (blocking, timed, asynchronous) on top of one {@link Acquisition},
 * shared by locks and elections so that their cancellation rules are identical.
 */
final class Acquisitions {

    private Acquisitions() {
    }

    static <H extends HeldBase> CompletableFuture<H> async(SessionBase session, String claimKey, String description,
                                                           QueueEntry entry, LongFunction<H> holders) {
        session.claim(claimKey, description);
        return new Acquisition<>(session, claimKey, entry, Deadline.none(), holders).start();
    }

    static <H extends HeldBase> H blocking(SessionBase session, String claimKey, String description,
                                           QueueEntry entry, LongFunction<H> holders) throws InterruptedException {
        return await(session, claimKey, description, entry, Deadline.none(), holders);
    }

    static <H extends HeldBase> Optional<H> timed(SessionBase session, String claimKey, String description,
                                                  QueueEntry entry, Duration timeout, LongFunction<H> holders)
            throws InterruptedException {
        try {
            return Optional.of(await(session, claimKey, description, entry, Deadline.after(timeout), holders));
        } catch (TimedOut e) {
            return Optional.empty();
        }
    }

    private static <H extends HeldBase> H await(SessionBase session, String claimKey, String description, QueueEntry entry,
                                                Deadline deadline, LongFunction<H> holders) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException("interrupted before acquiring " + description);
        }
        session.claim(claimKey, description);
        Acquisition<H> acquisition = new Acquisition<>(session, claimKey, entry, deadline, holders);
        CompletableFuture<H> result = acquisition.start();
        try {
            // The worker honours the deadline itself, then cleans up before completing.
            return result.get();
        } catch (InterruptedException e) {
            acquisition.abort(new CancellationException("interrupted"));
            acquisition.awaitCleanup();
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof TimeoutException) {
                throw new TimedOut();
            }
            if (cause instanceof CoordException ce) {
                throw ce;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        }
    }

    /** Internal signal of a timed acquisition that ran out of time (entry already removed). */
    private static final class TimedOut extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TimedOut() {
            super(null, null, false, false);
        }
    }
}
