package io.coord.spi;

import io.coord.CoordException;
import io.coord.Primitive;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The three ways to acquire (blocking, timed, asynchronous) on top of one {@link Waiter}, shared by
 * every primitive so that their cancellation rules are identical. A blocking caller parks its own
 * thread on the waiter's result; nothing else waits on its behalf.
 */
final class Acquisitions {

    private static final Logger log = LoggerFactory.getLogger(Acquisitions.class);

    private Acquisitions() {
    }

    /** What one primitive's acquisitions share: whose, which name, which claim, which queue, which rule. */
    record Target(SessionBase session, Primitive primitive, String name, String claimKey, String description, GrantRule rule) {
    }

    static <H extends HeldBase> CompletableFuture<H> async(Target t, QueueEntry entry, Waiter.Holders<H> holders) {
        t.session().claim(t.claimKey(), t.description());
        return new Waiter<>(t.session(), t.primitive(), t.name(), t.claimKey(), entry, t.rule(), Deadline.none(), holders, true).start();
    }

    static <H extends HeldBase> H blocking(Target t, QueueEntry entry, Waiter.Holders<H> holders) throws InterruptedException {
        return await(t, entry, Deadline.none(), holders);
    }

    static <H extends HeldBase> Optional<H> timed(Target t, QueueEntry entry, Duration timeout, Waiter.Holders<H> holders)
            throws InterruptedException {
        try {
            return Optional.of(await(t, entry, Deadline.after(timeout), holders));
        } catch (TimedOut e) {
            return Optional.empty();
        }
    }

    private static <H extends HeldBase> H await(Target t, QueueEntry entry, Deadline deadline, Waiter.Holders<H> holders)
            throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException("interrupted before acquiring " + t.description());
        }
        t.session().claim(t.claimKey(), t.description());
        Waiter<H> waiter = new Waiter<>(t.session(), t.primitive(), t.name(), t.claimKey(), entry, t.rule(), deadline, holders, false);
        CompletableFuture<H> result = waiter.start();
        try {
            // The waiter honours the deadline itself, and removes the entry before completing.
            return result.get();
        } catch (InterruptedException e) {
            // Cancelling the result abandons the attempt as an asynchronous caller's cancel does: the waiter removes
            // the entry, and a grant racing this interrupt finds the result taken and releases itself (cleanedUp
            // waits for that release). If the grant won before the cancel, the caller will never see it either, so
            // it is released here, on this thread, before InterruptedException is thrown: the claim is gone by then
            // and the caller may ask again at once.
            if (!result.cancel(false) && !result.isCompletedExceptionally()) {
                H raced = result.join();
                try {
                    raced.releaseEntry(); // keeps the interrupt flag
                } catch (RuntimeException failed) {
                    log.warn("releasing {}, granted as its caller was interrupted, failed; its session frees it", t.description(), failed);
                }
            }
            waiter.abort(new CancellationException("interrupted"));
            awaitCleanup(t, waiter);
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

    /** Waits (uninterruptibly, bounded by twice the operation timeout) until the entry is removed. */
    private static void awaitCleanup(Target t, Waiter<?> waiter) {
        long limit = t.session().coordinator().operationTimeout().toNanos() * 2;
        long until = System.nanoTime() + limit;
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    waiter.cleanedUp().get(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (TimeoutException e) {
                    log.warn("acquisition of {} did not finish its cleanup in time", t.claimKey());
                    return;
                } catch (ExecutionException e) {
                    return; // never completed exceptionally; nothing to wait for
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
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
