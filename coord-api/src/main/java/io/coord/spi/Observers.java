package io.coord.spi;

import io.coord.AcquisitionOutcome;
import io.coord.CoordObserver;
import io.coord.LossReason;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.SessionState;
import io.coord.Subscription;
import java.time.Duration;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link CoordObserver}s of one coordinator, told as one: each event goes to every registered
 * observer, on the calling thread, and an observer that throws is logged and skipped.
 *
 * <p>Threads: any thread may report an event (the caller's, the scheduler, a client library's I/O
 * thread); callers never hold a coord lock while reporting. A registration's read lock is held
 * while its observer runs, so that {@link Subscription#close()} (taking the write lock) returns
 * only once no call is running and none can start; closing from within the observer's own call
 * cannot wait for itself, so it only marks the registration closed.
 */
final class Observers implements CoordObserver {

    private static final Logger log = LoggerFactory.getLogger(Observers.class);

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
    public void sessionOpened(Session session) {
        tell(o -> o.sessionOpened(session));
    }

    @Override
    public void sessionStateChanged(Session session, SessionState previous, SessionState current) {
        tell(o -> o.sessionStateChanged(session, previous, current));
    }

    @Override
    public void renewed(Session session, Duration latency) {
        tell(o -> o.renewed(session, latency));
    }

    @Override
    public void renewalFailed(Session session, Duration latency, Class<? extends Throwable> error) {
        tell(o -> o.renewalFailed(session, latency, error));
    }

    @Override
    public void acquisitionEnded(Primitive primitive, String name, AcquisitionOutcome outcome, Duration waited) {
        tell(o -> o.acquisitionEnded(primitive, name, outcome, waited));
    }

    @Override
    public void lost(Primitive primitive, String name, LossReason reason) {
        tell(o -> o.lost(primitive, name, reason));
    }

    /** One added observer; closing it removes it. */
    private final class Registration implements Subscription {
        private final CoordObserver observer;
        private final ReentrantReadWriteLock running = new ReentrantReadWriteLock();
        private volatile boolean closed;
        private volatile boolean warned;

        Registration(CoordObserver observer) {
            this.observer = observer;
        }

        void tell(Consumer<CoordObserver> event) {
            running.readLock().lock();
            try {
                if (closed) {
                    return;
                }
                event.accept(observer);
            } catch (RuntimeException e) {
                if (!warned) {
                    warned = true;
                    log.warn("coord observer {} failed; the event happened regardless (further failures of it are logged at DEBUG)",
                            observer.getClass().getName(), e);
                } else {
                    log.debug("coord observer {} failed again", observer.getClass().getName(), e);
                }
            } finally {
                running.readLock().unlock();
            }
        }

        @Override
        public void close() {
            registrations.remove(this);
            if (running.getReadHoldCount() > 0) {
                closed = true; // called from within this observer's own call: it cannot wait for itself
                return;
            }
            running.writeLock().lock();
            try {
                closed = true;
            } finally {
                running.writeLock().unlock();
            }
        }
    }
}
