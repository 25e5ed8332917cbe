package io.coord.spi;

import io.coord.group.GroupView;

import io.coord.Capability;
import io.coord.CoordObserver;
import io.coord.CoordStats;
import io.coord.Coordinator;
import io.coord.Session;
import io.coord.Subscription;
import io.coord.election.ElectionView;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every backend's coordinator shares: argument checks, the three thread pools, the session
 * registry and an orderly close.
 *
 * <p>Threads (all daemon, all stopped by {@link #close()}):
 * <ul>
 *   <li>{@link #scheduler()}: one thread for timers (renewals, deadlines). Tasks there must not block.</li>
 *   <li>{@link #events()}: one thread running user callbacks (session listeners, loss signals,
 *       election observers) in order. Backends hop here from their client library's I/O thread.</li>
 *   <li>{@link #workers()}: a cached pool for the little blocking work off the hot path (opening a
 *       session asynchronously, cleanup after an expiry). Pending acquisitions hold no thread: they
 *       are state machines ({@link Waiter}) driven by the client library's replies and the scheduler.</li>
 * </ul>
 */
public abstract class CoordinatorBase implements Coordinator {

    private static final Logger log = LoggerFactory.getLogger(CoordinatorBase.class);

    private final String backend;
    private final String namespace;
    private final Set<Capability> capabilities;
    private final Duration operationTimeout;
    private final Set<SessionBase> sessions = ConcurrentHashMap.newKeySet();
    private final StatsRecorder stats = new StatsRecorder(
            () -> sessions.stream().filter(s -> !s.state().isTerminal()).count());
    private final Observers observers = new Observers();
    private final ScheduledThreadPoolExecutor scheduler;
    private final ExecutorService events;
    /** The thread of {@link #events}, once it has started. */
    private volatile Thread eventThread;
    private final ThreadPoolExecutor workers;
    private volatile boolean closed;

    /**
     * Creates the three pools; their threads start with the first task given to them.
     *
     * @param backend          the backend's name, as {@link #backend()} reports it and in thread names and messages
     * @param namespace        the namespace, already checked
     * @param capabilities     what the backend declares; copied
     * @param operationTimeout the bound of one server operation (see {@link #operationTimeout()})
     */
    protected CoordinatorBase(String backend, String namespace, Set<Capability> capabilities, Duration operationTimeout) {
        this.backend = backend;
        this.namespace = namespace;
        this.capabilities = capabilities.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(capabilities));
        this.operationTimeout = operationTimeout;
        this.scheduler = new ScheduledThreadPoolExecutor(1, threads("coord-" + backend + "-scheduler"));
        this.scheduler.setRemoveOnCancelPolicy(true);
        ThreadFactory eventThreads = threads("coord-" + backend + "-events");
        this.events = Executors.newSingleThreadExecutor(r -> {
            Thread t = eventThreads.newThread(r);
            eventThread = t;
            return t;
        });
        this.workers = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                threads("coord-" + backend + "-worker"));
    }

    // ---- the public contract -------------------------------------------------------------

    @Override
    public final String backend() {
        return backend;
    }

    @Override
    public final String namespace() {
        return namespace;
    }

    @Override
    public final Set<Capability> capabilities() {
        return capabilities;
    }

    @Override
    public final CoordStats stats() {
        return stats;
    }

    @Override
    public final Session openSession(Duration ttl) {
        Arguments.ttl(ttl);
        ensureOpen();
        SessionBase session = createSession(ttl);
        sessions.add(session);
        if (closed) {
            session.close(); // never announced: observers hear nothing of a session its caller never gets
            ensureOpen();
        }
        if (!session.announce()) {
            // Ended before it was returned: closed by a concurrent close() (then this throws), or dropped by the
            // server at once (returned ended, as before; observers are told nothing of it, not even half of it).
            ensureOpen();
        }
        session.start();
        return session;
    }

    @Override
    public final CompletableFuture<Session> openSessionAsync(Duration ttl) {
        Arguments.ttl(ttl);
        ensureOpen();
        return CompletableFuture.supplyAsync(() -> openSession(ttl), workers());
    }

    @Override
    public final Subscription addObserver(CoordObserver observer) {
        Arguments.notNull("coord observer", observer);
        ensureOpen();
        return observers.add(observer);
    }

    @Override
    public final ElectionView election(String name) {
        Arguments.name("election", name);
        ensureOpen();
        return createElectionView(name);
    }

    @Override
    public final GroupView group(String name) {
        Arguments.name("group", name);
        ensureOpen();
        return createGroupView(name);
    }

    @Override
    public final void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (SessionBase s : sessions) {
            try {
                s.close();
            } catch (RuntimeException e) {
                log.warn("closing session {} failed", s.id(), e);
            }
        }
        try {
            closeClient();
        } catch (RuntimeException e) {
            log.warn("closing the {} client failed", backend, e);
        }
        shutdown(workers, true);
        shutdown(scheduler, true);
        shutdown(events, false);
    }

    // ---- for backends --------------------------------------------------------------------

    /**
     * Creates and connects a session (blocking, on the caller's thread). Do not start renewals:
     * {@link SessionBase#start()} is called once the session is registered.
     *
     * @param ttl the requested TTL, already checked by {@link Arguments#ttl(Duration)}
     * @return the new session, its lease granted on the server, not yet renewing
     * @throws io.coord.BackendUnavailableException if the server cannot be reached within the operation timeout
     */
    protected abstract SessionBase createSession(Duration ttl);

    /**
     * A read-only election view; see {@link LeaderFeed} for observers.
     *
     * @param name the election's name, already checked by {@link Arguments#name(String, String)}
     * @return a new view of that election
     */
    protected abstract ElectionView createElectionView(String name);

    /** Disconnects the backend client; every session is already closed. */
    protected abstract void closeClient();

    /**
     * The backend's view of group {@code name}.
     *
     * @param name the group's name, already checked
     * @return a new view
     */
    protected abstract GroupViewBase createGroupView(String name);

    /**
     * The counters behind {@link #stats()}, for backends to count what they send.
     *
     * @return this coordinator's recorder, the same on every call
     */
    public final StatsRecorder statsRecorder() {
        return stats;
    }

    /**
     * The one timer thread (renewals, deadlines, hedges). Tasks there must not block.
     *
     * @return the scheduler; it rejects new tasks once {@link #close()} has stopped it
     */
    public final ScheduledExecutorService scheduler() {
        return scheduler;
    }

    /**
     * Whether the caller runs on {@link #events()}'s thread, where waiting for a later callback would wait forever.
     *
     * @return true on the event thread
     */
    public final boolean isEventThread() {
        return Thread.currentThread() == eventThread;
    }

    /**
     * Runs user callbacks, one at a time, in submission order. After close, tasks run inline so
     * that final notifications are never dropped.
     *
     * @return an executor that never rejects a task
     */
    public final Executor events() {
        return task -> {
            try {
                events.execute(task);
            } catch (RejectedExecutionException closing) {
                task.run();
            }
        };
    }

    /**
     * Runs the little blocking work off the hot path (opening a session asynchronously, cleanup after an expiry, a
     * backend's reply handling and election reads); pending acquisitions hold none of its threads. After close, tasks run inline.
     *
     * @return an executor over the cached worker pool that never rejects a task
     */
    public final Executor workers() {
        return task -> {
            try {
                workers.execute(task);
            } catch (RejectedExecutionException closing) {
                task.run();
            }
        };
    }

    /**
     * Upper bound for one server operation (connect, request, cleanup).
     *
     * @return the bound given to the constructor
     */
    public final Duration operationTimeout() {
        return operationTimeout;
    }

    /**
     * Whether {@link #close()} has been called; backends stop their watches and pollers once it is.
     *
     * @return true from the start of the first {@link #close()} on
     */
    public final boolean isClosed() {
        return closed;
    }

    /** Throws {@link IllegalStateException} once closed. */
    public final void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("coordinator (" + backend + ", namespace '" + namespace
                    + "') is closed; open a new one");
        }
    }

    /** Every observer of this coordinator, told as one; call it holding no lock. */
    final Observers observers() {
        return observers;
    }

    final void sessionEnded(SessionBase session) {
        sessions.remove(session);
    }

    private void shutdown(ExecutorService pool, boolean now) {
        if (now) {
            pool.shutdownNow();
        } else {
            pool.shutdown();
        }
        try {
            if (!pool.awaitTermination(operationTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS)) {
                log.warn("coord {} threads did not stop in time", backend);
                pool.shutdownNow();
            }
        } catch (InterruptedException e) {
            pool.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
