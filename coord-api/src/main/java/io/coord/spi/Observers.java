package io.coord.spi;

import io.coord.AcquisitionOutcome;
import io.coord.CoordObserver;
import io.coord.LossReason;
import io.coord.Primitive;
import io.coord.SessionState;
import io.coord.Subscription;
import java.time.Duration;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link CoordObserver}s of one coordinator, told as one: each event goes to every registered
 * observer, on the calling thread, and an observer that throws (anything, {@link Error}s included)
 * is logged and skipped.
 *
 * <p>Threads: any thread may report an event (the caller's, the scheduler, a client library's I/O
 * thread); callers never hold a coord lock while reporting, and reporting never blocks or waits for
 * anything but the observers themselves. Each registration counts the calls running into its
 * observer; {@link Subscription#close()} marks it closed (no call starts after that), then waits
 * until the calls already running on other threads have returned — at most
 * {@value #CLOSE_WAIT_MILLIS} ms, after which it logs and returns. A call running on the closing
 * thread itself (close from within the observer) is not waited for.
 */
final class Observers implements CoordObserver {

    private static final Logger log = LoggerFactory.getLogger(Observers.class);

    /** How long {@link Subscription#close()} waits for running calls of its observer on other threads. */
    static final long CLOSE_WAIT_MILLIS = 5_000;

    private final CopyOnWriteArrayList<Registration> registrations = new CopyOnWriteArrayList<>();

    Subscription add(CoordObserver observer) {
        Registration r = new Registration(observer);
        registrations.add(r);
        return r;
    }

    /** Whether anyone listens: lets the hot paths skip building an event nobody receives. */
    boolean isEmpty() {
        return registrations.isEmpty();
    }

    private void tell(Consumer<CoordObserver> event) {
        for (Registration r : registrations) {
            r.tell(event);
        }
    }

    @Override
    public void sessionOpened(String sessionId) {
        if (!isEmpty()) {
            tell(o -> o.sessionOpened(sessionId));
        }
    }

    @Override
    public void sessionStateChanged(String sessionId, SessionState previous, SessionState current) {
        if (!isEmpty()) {
            tell(o -> o.sessionStateChanged(sessionId, previous, current));
        }
    }

    @Override
    public void renewed(String sessionId, Duration latency) {
        if (!isEmpty()) {
            tell(o -> o.renewed(sessionId, latency));
        }
    }

    @Override
    public void renewalFailed(String sessionId, Duration latency, Class<? extends Throwable> error) {
        if (!isEmpty()) {
            tell(o -> o.renewalFailed(sessionId, latency, error));
        }
    }

    @Override
    public void acquisitionEnded(Primitive primitive, String name, AcquisitionOutcome outcome, Duration waited) {
        if (!isEmpty()) {
            tell(o -> o.acquisitionEnded(primitive, name, outcome, waited));
        }
    }

    @Override
    public void lost(Primitive primitive, String name, LossReason reason) {
        if (!isEmpty()) {
            tell(o -> o.lost(primitive, name, reason));
        }
    }

    /** One added observer; closing it removes it. */
    private final class Registration implements Subscription {
        private final CoordObserver observer;
        /** Calls into the observer running now, on any thread. */
        private final AtomicInteger inFlight = new AtomicInteger();
        /** Calls into the observer running now on the current thread (a re-entrant report, or close from within). */
        private final ThreadLocal<int[]> ownCalls = ThreadLocal.withInitial(() -> new int[1]);
        private volatile boolean closed;
        private final AtomicBoolean warned = new AtomicBoolean();

        Registration(CoordObserver observer) {
            this.observer = observer;
        }

        /** Runs on the reporting thread; never blocks (beyond the observer itself). */
        void tell(Consumer<CoordObserver> event) {
            // Count first, then check closed: close() sets closed first, then reads the count, so either this
            // call sees closed, or close sees this call and waits for it.
            inFlight.incrementAndGet();
            int[] own = ownCalls.get();
            own[0]++;
            try {
                if (!closed) {
                    event.accept(observer);
                }
            } catch (Throwable t) { // an observer's Error must not escape into coord's state machines either
                if (warned.compareAndSet(false, true)) {
                    log.warn("coord observer {} failed; the event happened regardless (further failures of it are logged at DEBUG)",
                            observer.getClass().getName(), t);
                } else {
                    log.debug("coord observer {} failed again", observer.getClass().getName(), t);
                }
            } finally {
                own[0]--;
                inFlight.decrementAndGet();
            }
        }

        @Override
        public void close() {
            closed = true;
            registrations.remove(this);
            int mine = ownCalls.get()[0]; // calls of this observer on this thread: close from within cannot wait for itself
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MILLIS);
            while (inFlight.get() > mine) {
                if (System.nanoTime() - until > 0) {
                    log.warn("coord observer {} still running on another thread after {} ms; closed without waiting further",
                            observer.getClass().getName(), CLOSE_WAIT_MILLIS);
                    return;
                }
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100));
            }
        }
    }
}
