package io.coord.spi;

import io.coord.AcquisitionOutcome;
import io.coord.BackendUnavailableException;
import io.coord.CoordException;
import io.coord.Primitive;
import io.coord.SessionExpiredException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt to acquire a lock or win an election — the waiting loop of every primitive on every
 * backend, written once:
 *
 * <pre>
 *   enqueue → read my position → gone? fail (session died) → granted by the rule? (claim a slot,
 *           semaphores) become the holder → deadline passed? remove, time out → wait until as many
 *           of the entries that block me as the rule says have gone → count the wake-up → read again
 * </pre>
 *
 * <h2>Why it is safe</h2>
 * <ul>
 *   <li>A grant is reported only from a read in which the entry is present and the {@link GrantRule}
 *       grants it, and only while the session is live ({@link SessionBase#adopt}): never on a dead
 *       session, never for a vanished entry.</li>
 *   <li>Whatever ends the attempt short of a grant while the session lives — timeout, the caller
 *       cancelling the future or being interrupted, a server error — the entry is removed before the
 *       result completes and before {@link #cleanedUp()} completes, so a caller that gave up never leaves
 *       an entry behind and a later release can never hand it the grant. A grant that raced the caller's
 *       cancellation is released at once. When the session ends, the failure is reported at once: the
 *       entry goes with the session's lease (and the removal is still sent, best effort).</li>
 *   <li>A removal is sent only when no enqueue or read of this entry is in flight, so it cannot overtake
 *       the enqueue it undoes.</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * A pending attempt holds no thread: it is this state machine, driven by the backend's futures, the
 * scheduler's deadline timer and {@link #abort}. Every signal is posted to {@link #post}, which runs
 * the steps one at a time on whichever thread posted (a client library's I/O thread, the scheduler,
 * the caller): the fields below are touched only by the step that runs, so they need no lock, and a
 * step never blocks — it sends the next request or completes a future. Results of asynchronous calls
 * complete on the coordinator's event thread, so user code never runs on an I/O thread; a blocking
 * caller's result completes wherever the reply arrives and wakes the caller directly (no pool hop).
 *
 * <h2>Observers</h2>
 * The attempt's one {@link AcquisitionOutcome} is reported once, by the step that ends it, always before the
 * result completes (so a caller who sees its result finds the outcome counted): a failure in {@link #report}, a
 * grant where the result is completed — GRANTED, or CANCELLED if the caller had already given up (the grant is
 * then released at once; a cancel landing between that check and the completion also releases it, counted GRANTED).
 */
final class Waiter<H extends HeldBase> {

    private static final Logger log = LoggerFactory.getLogger(Waiter.class);

    private enum Phase { NEW, REQUESTING, WAITING, PAUSED, REMOVING, DONE }

    private final SessionBase session;
    private final Primitive primitive;
    private final String name;
    private final String claimKey;
    private final QueueEntry entry;
    private final GrantRule rule;
    private final Deadline deadline;
    private final Holders<H> holders;
    /** Where results complete: the event thread for asynchronous callers, the replying thread for blocking ones. */
    private final Executor completer;
    private final CompletableFuture<H> result = new CompletableFuture<>();
    private final CompletableFuture<Void> cleanedUp = new CompletableFuture<>();
    private final long startedNanos = System.nanoTime();

    // ---- the serial step runner: any thread may post; one thread at a time drains ----
    private final ArrayDeque<Runnable> steps = new ArrayDeque<>();
    private boolean draining; // guarded by steps

    // ---- touched only inside steps ----
    private Phase phase = Phase.NEW;
    private Throwable abortCause;
    private CompletableFuture<Boolean> wait;
    private ScheduledFuture<?> timer;
    private volatile boolean completingOurselves;

    Waiter(SessionBase session, Primitive primitive, String name, String claimKey, QueueEntry entry, GrantRule rule,
           Deadline deadline, Holders<H> holders, boolean asynchronous) {
        this.session = session;
        this.primitive = primitive;
        this.name = name;
        this.claimKey = claimKey;
        this.entry = entry;
        this.rule = rule;
        this.deadline = deadline;
        this.holders = holders;
        this.completer = asynchronous ? session.coordinator().events() : Runnable::run;
        // The caller cancelling or completing the future abandons the attempt.
        result.whenComplete((v, e) -> {
            if (!completingOurselves) {
                abort(new CancellationException("acquisition abandoned by its caller"));
            }
        });
    }

    /** Makes the holder of a grant: its token (the entry's, or its slot claim's) and its slot (-1 if none). */
    @FunctionalInterface
    interface Holders<H> {
        H held(long token, int slot);
    }

    /** Sends the enqueue from the caller's thread; the session's claim is already taken. */
    CompletableFuture<H> start() {
        if (!session.addPending(this)) {
            session.unclaim(claimKey);
            SessionExpiredException ended = new SessionExpiredException(session.id(), session.state());
            ended(outcome(ended));
            return CompletableFuture.failedFuture(ended);
        }
        if (deadline.isBounded()) {
            timer = session.coordinator().scheduler().schedule(() -> post(this::deadlinePassed),
                    deadline.remainingNanos(), TimeUnit.NANOSECONDS);
        }
        post(() -> {
            if (phase == Phase.NEW) {
                request(entry.enqueue(rule.lookahead()));
            }
        });
        return result;
    }

    /** Gives up (caller cancelled or interrupted, session ended); the entry is removed first. Any thread. */
    void abort(Throwable cause) {
        post(() -> {
            if (phase == Phase.DONE || phase == Phase.REMOVING || abortCause != null) {
                return;
            }
            abortCause = cause;
            if (phase != Phase.REQUESTING) {
                fail(cause);
            } // REQUESTING: the reply's step sees abortCause and removes the entry
        });
    }

    /** Completes once the attempt has finished: its entry removed unless granted, and a grant the caller gave up on released (or its release failed). */
    CompletableFuture<Void> cleanedUp() {
        return cleanedUp;
    }

    // ---- the steps -------------------------------------------------------------------------

    private void request(CompletableFuture<Position> reply) {
        phase = Phase.REQUESTING;
        reply.whenComplete((p, e) -> post(() -> read(p, e)));
    }

    private void read(Position p, Throwable error) {
        if (phase != Phase.REQUESTING) {
            return;
        }
        if (abortCause != null) {
            fail(abortCause);
        } else if (error != null) {
            fail(error);
        } else if (!p.present()) {
            fail(new SessionExpiredException(session.id(), session.state().isTerminal()
                    ? session.state() : io.coord.SessionState.EXPIRED));
        } else {
            GrantRule.Wait blockers;
            try {
                blockers = rule.waitFor(p);
            } catch (IllegalStateException refused) {
                fail(refused); // the rule will not queue this entry behind what it read (a semaphore's other size)
                return;
            }
            if (blockers == null) {
                if (rule.slots() > 0) {
                    claim(entry.claimSlot(rule.slots()));
                } else {
                    grant(p.token(), -1);
                }
            } else if (deadline.hasPassed()) {
                fail(new TimeoutException("waiting for " + claimKey + " timed out"));
            } else {
                phase = Phase.WAITING;
                CompletableFuture<Boolean> w = departures(p, blockers);
                wait = w;
                w.whenComplete((saw, e) -> post(() -> woken(w, saw, e)));
            }
        }
    }

    /** A granted semaphore entry claims its slot: in flight like a read, so an abort waits for its reply before removing. */
    private void claim(CompletableFuture<QueueEntry.Slot> reply) {
        phase = Phase.REQUESTING;
        reply.whenComplete((slot, e) -> post(() -> claimed(slot, e)));
    }

    private void claimed(QueueEntry.Slot slot, Throwable error) {
        if (phase != Phase.REQUESTING) {
            return;
        }
        if (abortCause != null) {
            fail(abortCause);
        } else if (error != null) {
            fail(error);
        } else if (slot.number() < 0) {
            fail(new SessionExpiredException(session.id(), session.state().isTerminal()
                    ? session.state() : io.coord.SessionState.EXPIRED));
        } else {
            grant(slot.token(), slot.number());
        }
    }

    /**
     * Completes {@code true} once {@code w.departures()} of {@code w.entries()} were seen to go after {@code seen}
     * (one wait per entry, counted here), {@code false} as soon as one wait wakes spuriously (the caller re-reads),
     * exceptionally if one fails. Cancelling it cancels every per-entry wait. Runs on whatever thread completes a
     * per-entry wait and only completes futures.
     */
    private CompletableFuture<Boolean> departures(Position seen, GrantRule.Wait w) {
        if (w.entries().size() == 1) {
            return entry.whenGone(seen, w.entries().get(0));
        }
        CompletableFuture<Boolean> enough = new CompletableFuture<>();
        AtomicInteger missing = new AtomicInteger(w.departures());
        List<CompletableFuture<Boolean>> each = new ArrayList<>(w.entries().size());
        for (Position.Ahead blocker : w.entries()) {
            CompletableFuture<Boolean> one = entry.whenGone(seen, blocker);
            each.add(one);
            one.whenComplete((saw, e) -> {
                if (e != null) {
                    enough.completeExceptionally(e);
                } else if (!saw) {
                    enough.complete(false);
                } else if (missing.decrementAndGet() == 0) {
                    enough.complete(true);
                }
            });
        }
        enough.whenComplete((v, e) -> each.forEach(one -> one.cancel(false)));
        return enough;
    }

    private void woken(CompletableFuture<Boolean> w, Boolean saw, Throwable error) {
        if (phase != Phase.WAITING || w != wait) {
            return; // a wait we cancelled ourselves
        }
        wait = null;
        if (Boolean.TRUE.equals(saw)) {
            session.stats().wakeup(primitive);
        }
        if (error != null) {
            // A failing wait (member down, no leader) must not spin: read again a little later.
            log.debug("waiting for {} failed; re-reading in 100 ms", claimKey, error);
            phase = Phase.PAUSED;
            session.coordinator().scheduler().schedule(() -> post(() -> {
                if (phase == Phase.PAUSED) {
                    request(entry.position(rule.lookahead()));
                }
            }), 100, TimeUnit.MILLISECONDS);
            return;
        }
        request(entry.position(rule.lookahead()));
    }

    private void deadlinePassed() {
        if (phase == Phase.WAITING || phase == Phase.PAUSED) {
            fail(new TimeoutException("waiting for " + claimKey + " timed out"));
        } // NEW/REQUESTING: the next read sees the deadline (a grant in that read still wins)
    }

    private void grant(long token, int slot) {
        H holder = holders.held(token, slot);
        if (!session.adopt(holder)) {
            fail(new SessionExpiredException(session.id(), session.state()));
            return;
        }
        finish();
        completingOurselves = true;
        try {
            completer.execute(() -> {
                // Observers hear the outcome before the caller sees it, as with a failure (report); the result is
                // completed in finally, whatever the hook does.
                boolean abandoned = result.isDone();
                try {
                    ended(abandoned ? AcquisitionOutcome.CANCELLED : AcquisitionOutcome.GRANTED);
                } finally {
                    if (abandoned || !result.complete(holder)) {
                        // The caller gave up at the very moment we won: an interrupted blocking caller waits for
                        // cleanedUp, so it returns only once this release was answered (its claim is gone then).
                        holder.releaseQuietly().whenComplete((v, e) -> cleanedUp.complete(null));
                    } else {
                        cleanedUp.complete(null);
                    }
                }
            });
        } catch (RuntimeException e) {
            cleanedUp.complete(null);
            throw e;
        }
    }

    /**
     * Removes the entry, then reports {@code cause}: a caller who gave up (timeout, cancel, interrupt) never
     * sees the failure before its entry is gone. When the session ended, the failure is reported at once: the
     * entry lives on the session's lease and goes with it on the server, and a client cut off from the server
     * could not deliver the removal anyway (it is still sent, best effort).
     */
    private void fail(Throwable cause) {
        phase = Phase.REMOVING;
        cancelWaitAndTimer();
        CompletableFuture<Void> removed;
        try {
            removed = entry.remove();
        } catch (RuntimeException e) {
            removed = CompletableFuture.failedFuture(e);
        }
        boolean sessionEnded = cause instanceof SessionExpiredException;
        if (sessionEnded) {
            report(cause);
        }
        removed.whenComplete((v, e) -> post(() -> {
            if (sessionEnded) {
                log.debug("removing the queue entry of {} after its session ended: {}", claimKey, e == null ? "done" : e.toString());
            } else {
                if (e != null) {
                    log.warn("could not remove the queue entry of {}; the session's end removes it", claimKey, e);
                }
                report(cause);
            }
        }));
    }

    private void report(Throwable cause) {
        session.unclaim(claimKey);
        finish();
        completingOurselves = true;
        Throwable reported = translate(cause);
        try {
            ended(outcome(reported)); // the attempt's state is final here: phase DONE, claim and pending entry gone
        } finally {
            try {
                completer.execute(() -> result.completeExceptionally(reported));
            } finally {
                cleanedUp.complete(null);
            }
        }
    }

    private static AcquisitionOutcome outcome(Throwable reported) {
        if (reported instanceof TimeoutException) {
            return AcquisitionOutcome.TIMED_OUT;
        }
        if (reported instanceof CancellationException) {
            return AcquisitionOutcome.CANCELLED;
        }
        if (reported instanceof SessionExpiredException ended) {
            return ended.state() == io.coord.SessionState.CLOSED ? AcquisitionOutcome.SESSION_CLOSED : AcquisitionOutcome.SESSION_EXPIRED;
        }
        return AcquisitionOutcome.FAILED;
    }

    /** Reports this attempt's outcome to the coordinator's observers; called exactly once per attempt. */
    private void ended(AcquisitionOutcome outcome) {
        Observers observers = session.coordinator().observers();
        if (!observers.isEmpty()) { // the hot path: no Duration for nobody
            observers.acquisitionEnded(primitive, name, outcome, Duration.ofNanos(Math.max(0, System.nanoTime() - startedNanos)));
        }
    }

    private void finish() {
        phase = Phase.DONE;
        cancelWaitAndTimer();
        session.removePending(this);
    }

    private void cancelWaitAndTimer() {
        if (wait != null) {
            wait.cancel(false);
            wait = null;
        }
        if (timer != null) {
            timer.cancel(false);
            timer = null;
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

    // ---- serial execution --------------------------------------------------------------------

    /**
     * Runs {@code step} now on this thread if no other thread is running a step of this waiter, else
     * queues it for that thread. Steps never block, so a drain is short.
     */
    private void post(Runnable step) {
        synchronized (steps) {
            steps.add(step);
            if (draining) {
                return;
            }
            draining = true;
        }
        while (true) {
            Runnable next;
            synchronized (steps) {
                next = steps.poll();
                if (next == null) {
                    draining = false;
                    return;
                }
            }
            try {
                next.run();
            } catch (RuntimeException | Error e) {
                log.error("acquisition step of {} failed", claimKey, e);
                if (phase != Phase.DONE && phase != Phase.REMOVING) {
                    fail(e);
                }
            }
        }
    }
}
