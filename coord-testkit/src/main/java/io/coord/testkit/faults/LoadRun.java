package io.coord.testkit.faults;

import io.coord.Coordinator;
import io.coord.CoordException;
import io.coord.Session;
import io.coord.SessionState;
import io.coord.testkit.history.History;
import io.coord.testkit.history.Operation;
import io.coord.testkit.register.FencedRegister;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The workload of the server-fault scenarios: several clients, each with its own coordinator,
 * loop acquire → write → release on one lock (or campaign → write → resign in one election) until a deadline, recording a history. Every write
 * goes to a {@link FencedRegister} (which rejects stale tokens) and to an unfenced counter (a plain
 * read-modify-write) so the run shows what fencing saves. A client whose session ends opens a
 * new one. Every loop is bounded by the deadline; every wait by the acquire timeout.
 */
public final class LoadRun {

    private final Supplier<Coordinator> coordinators;
    private final Duration ttl;
    private final String lockName;
    /** Every client's operations, for the checkers. */
    public final History history = new History();
    /** The fenced resource every grant writes to; it rejects stale tokens. */
    public final FencedRegister fenced = new FencedRegister();
    private final AtomicLong unfenced = new AtomicLong();
    private final AtomicLong unfencedIncrements = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    /** Grant times, to measure progress stalls. */
    private final ConcurrentLinkedQueue<Long> grantTimes = new ConcurrentLinkedQueue<>();

    private final boolean election;

    /**
     * A run not yet started.
     *
     * @param coordinators called once per client loop for its own coordinator (the caller closes them)
     * @param ttl          the TTL of every client session; acquisitions wait up to four of it
     * @param lockName     the lock (or election) every client contends for
     * @param election     campaign/resign in an election of that name instead of acquire/release of a lock
     */
    public LoadRun(Supplier<Coordinator> coordinators, Duration ttl, String lockName, boolean election) {
        this.coordinators = coordinators;
        this.ttl = ttl;
        this.lockName = lockName;
        this.election = election;
    }

    /** One grant or leadership, seen the same way. */
    private record Grant(long token, java.util.concurrent.CompletableFuture<io.coord.LossReason> lost, Runnable release) {
    }

    private Optional<Grant> take(Session session, String process) throws InterruptedException {
        Duration wait = ttl.multipliedBy(4);
        if (election) {
            return session.election(lockName).campaign(process, wait).map(l -> new Grant(l.term(), l.whenLost(), l::resign));
        }
        return session.lock(lockName).tryAcquire(wait).map(g -> new Grant(g.fencingToken(), g.whenLost(), g::release));
    }

    /**
     * Runs {@code clients} loops until {@code duration} has passed; {@code fault} runs at {@code faultAfter}.
     *
     * @param clients the number of client loops, each on its own coordinator
     * @param duration how long the loops run
     * @param faultAfter when {@code fault} runs, from the start
     * @param fault the fault to inject, run once on a thread of its own
     * @throws Exception the first failure of the fault or of a loop (an {@link java.util.concurrent.ExecutionException})
     */
    public void run(int clients, Duration duration, Duration faultAfter, Runnable fault) throws Exception {
        long end = System.nanoTime() + duration.toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(clients + 1);
        try {
            List<Future<?>> loops = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                String process = "client" + i;
                Coordinator c = coordinators.get();
                loops.add(pool.submit(() -> loop(c, process, end)));
            }
            Future<?> faultTask = pool.submit(() -> {
                TimeUnit.NANOSECONDS.sleep(faultAfter.toNanos()); // the fault's moment, not a wait for a condition
                fault.run();
                return null;
            });
            faultTask.get();
            for (Future<?> f : loops) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(30, TimeUnit.SECONDS);
        }
    }

    private Void loop(Coordinator c, String process, long end) {
        History.Recorder rec = history.recorder(process, lockName);
        Session session = null;
        try {
            while (System.nanoTime() < end) {
                if (session == null || session.state().isTerminal()) {
                    session = openSession(c, end);
                    if (session == null) {
                        return null;
                    }
                }
                rec.invoke(acquireOp());
                Optional<Grant> granted;
                try {
                    granted = take(session, process);
                } catch (CoordException e) {
                    rec.fail(acquireOp(), e.getClass().getSimpleName());
                    failures.incrementAndGet();
                    TimeUnit.MILLISECONDS.sleep(20); // back off while the server recovers
                    continue;
                }
                if (granted.isEmpty()) {
                    rec.fail(acquireOp(), "timeout");
                    continue;
                }
                Grant g = granted.get();
                rec.ok(acquireOp(), g.token(), session.validUntilNanos());
                grantTimes.add(System.nanoTime());
                g.lost().thenAccept(r -> rec.lost(g.token(), r.toString()));
                long seen = unfenced.get();
                Thread.yield();
                unfenced.set(seen + 1);
                unfencedIncrements.incrementAndGet();
                fenced.write(g.token(), process, fenced.value() + 1);
                rec.invoke(releaseOp());
                if (release(g)) {
                    rec.ok(releaseOp(), g.token());
                } else {
                    // Still held on the server as far as we know: closing the session frees it.
                    rec.fail(releaseOp(), "release failed; session closed");
                    session.close();
                    session = null;
                }
            }
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            if (session != null && session.state() != SessionState.CLOSED) {
                session.close();
            }
        }
    }

    /** Releases, retrying a few times while the server recovers; false if it never succeeded. */
    private boolean release(Grant g) throws InterruptedException {
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                g.release().run();
                return true;
            } catch (io.coord.LockLostException | io.coord.NotLeaderException lost) {
                return true; // lost with the session: nothing left to free
            } catch (CoordException e) {
                failures.incrementAndGet();
                TimeUnit.MILLISECONDS.sleep(50);
            }
        }
        return false;
    }

    private Session openSession(Coordinator c, long end) throws InterruptedException {
        while (System.nanoTime() < end) {
            try {
                return c.openSession(ttl);
            } catch (CoordException e) {
                failures.incrementAndGet();
                TimeUnit.MILLISECONDS.sleep(50); // back off while the server recovers
            }
        }
        return null;
    }

    private Operation acquireOp() {
        return election ? Operation.CAMPAIGN : Operation.ACQUIRE;
    }

    private Operation releaseOp() {
        return election ? Operation.RESIGN : Operation.RELEASE;
    }

    /**
     * Updates a plain store lost because two clients' critical sections overlapped.
     *
     * @return increments lost by the unfenced counter; 0 means no overlap hurt it
     */
    public long unfencedLostUpdates() {
        return unfencedIncrements.get() - unfenced.get();
    }

    /**
     * Operations that failed with a coord exception (the backend unavailable during the fault) and were retried.
     *
     * @return the count so far
     */
    public long failures() {
        return failures.get();
    }

    /**
     * The longest time without any grant after {@code fromNanos}: from it to the first grant, or between two grants.
     *
     * @param fromNanos a {@link System#nanoTime()} instant, e.g. the fault's
     * @return the longest gap (zero if no grant came after it: the time until now is not counted)
     */
    public Duration longestStallAfter(long fromNanos) {
        List<Long> times = new ArrayList<>(grantTimes);
        times.sort(null);
        long prev = fromNanos;
        long worst = 0;
        for (long t : times) {
            if (t > fromNanos) {
                worst = Math.max(worst, t - prev);
                prev = t;
            }
        }
        return Duration.ofNanos(worst);
    }

    /**
     * How many grants came after {@code fromNanos}.
     *
     * @param fromNanos a {@link System#nanoTime()} instant
     * @return the count
     */
    public long grantsAfter(long fromNanos) {
        return grantTimes.stream().filter(t -> t > fromNanos).count();
    }
}
