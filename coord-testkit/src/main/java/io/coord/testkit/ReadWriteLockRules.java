package io.coord.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coord.AlreadyHeldException;
import io.coord.LockLostException;
import io.coord.LossReason;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.lock.FencedLock;
import io.coord.lock.LockGrant;
import io.coord.testkit.register.FencedRegister;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Read-write lock rules: readers share, a writer overlaps nothing (checked over the recorded hold intervals), a
 * writer queued behind readers is served before the readers that came after it, write tokens exceed every earlier
 * grant's, asking for the other mode fails at once, and the lock rules' hygiene and loss rules hold for both modes.
 */
public abstract class ReadWriteLockRules extends Scenario {

    /**
     * These rules against the backend {@code backend} supplies (see {@link Scenario#Scenario}).
     *
     * @param backend called before each scenario
     */
    protected ReadWriteLockRules(Supplier<KitBackend> backend) {
        super(backend);
    }

    /** One hold: granted (after acquire returned) to released (before release was sent), on the local monotonic clock. */
    private record Hold(String process, boolean write, long token, long grantedNanos, long releasedNanos) {
        boolean overlaps(Hold o) {
            return grantedNanos < o.releasedNanos && o.grantedNanos < releasedNanos;
        }
    }

    @Test
    void readersShareAndAWriterExcludesEveryone() throws Exception {
        String name = unique("share");
        try (Session a = session(); Session b = session(); Session c = session()) {
            long before = coord.stats().roundTrips(Primitive.READ_WRITE_LOCK);
            LockGrant w = a.readWriteLock(name).writeLock().acquire();
            w.release();
            long writeCycle = coord.stats().roundTrips(Primitive.READ_WRITE_LOCK) - before;
            before = coord.stats().roundTrips(Primitive.READ_WRITE_LOCK);
            LockGrant ra = a.readWriteLock(name).readLock().tryAcquire(Duration.ZERO).orElseThrow();
            long readAcquire = coord.stats().roundTrips(Primitive.READ_WRITE_LOCK) - before;
            LockGrant rb = b.readWriteLock(name).readLock().tryAcquire(Duration.ZERO).orElseThrow(() -> new AssertionError("readers share"));
            assertThat(ra.lockName()).isEqualTo(name);
            assertThat(rb.fencingToken()).isGreaterThan(ra.fencingToken()).isGreaterThan(w.fencingToken());
            assertThat(c.readWriteLock(name).writeLock().tryAcquire(Duration.ZERO)).as("a writer waits for readers").isEmpty();
            assertThat(entries(Primitive.READ_WRITE_LOCK, name)).as("the timed-out writer left nothing").hasSize(2);
            before = coord.stats().roundTrips(Primitive.READ_WRITE_LOCK);
            ra.release();
            long readCycle = readAcquire + coord.stats().roundTrips(Primitive.READ_WRITE_LOCK) - before;
            rb.release();
            System.out.printf("[kit] %s read-write lock: %d round trip(s) per uncontended write cycle, %d per read cycle%n",
                    backend.label(), writeCycle, readCycle);
            assertThat(writeCycle).isLessThanOrEqualTo(backend.maxRoundTripsPerUncontendedCycle(Primitive.READ_WRITE_LOCK));
            assertThat(readCycle).isLessThanOrEqualTo(backend.maxRoundTripsPerUncontendedCycle(Primitive.READ_WRITE_LOCK));
            LockGrant w2 = c.readWriteLock(name).writeLock().tryAcquire(Duration.ZERO).orElseThrow();
            assertThat(w2.fencingToken()).as("a write token exceeds every earlier grant's").isGreaterThan(rb.fencingToken());
            assertThat(a.readWriteLock(name).readLock().tryAcquire(Duration.ZERO)).as("a writer excludes readers").isEmpty();
            assertThat(b.readWriteLock(name).writeLock().tryAcquire(Duration.ZERO)).as("and writers").isEmpty();
            assertThat(entries(Primitive.READ_WRITE_LOCK, name)).hasSize(1);
            w2.release();
        }
    }

    /**
     * Six sessions on two coordinators, each alternating reads and writes: no write hold overlaps any other hold,
     * reads did overlap, every write is accepted by a register fenced on write tokens, and every write token exceeds
     * the token of every grant made before it.
     */
    @Test
    void writersOverlapNothingUnderContention() throws Exception {
        int sessions = 6;
        int rounds = 6;
        String name = unique("contended");
        List<Hold> holds = new CopyOnWriteArrayList<>();
        FencedRegister register = new FencedRegister();
        ExecutorService pool = Executors.newFixedThreadPool(sessions);
        List<Session> opened = new ArrayList<>();
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int i = 0; i < sessions; i++) {
                Session s = (i % 2 == 0 ? coord : newCoordinator()).openSession(backend.longTtl());
                opened.add(s);
                String process = "p" + i;
                int me = i;
                workers.add(pool.submit(() -> {
                    for (int r = 0; r < rounds; r++) {
                        boolean write = (me + r) % 3 == 0;
                        FencedLock lock = write ? s.readWriteLock(name).writeLock() : s.readWriteLock(name).readLock();
                        LockGrant g = lock.acquire();
                        long granted = System.nanoTime();
                        if (write) {
                            assertThat(register.write(g.fencingToken(), process, register.value() + 1).accepted()).isTrue();
                        }
                        Thread.yield();
                        long released = System.nanoTime();
                        g.release();
                        holds.add(new Hold(process, write, g.fencingToken(), granted, released));
                    }
                    return null;
                }));
            }
            for (Future<?> w : workers) {
                w.get();
            }
        } finally {
            pool.shutdownNow();
            opened.forEach(Session::close);
        }
        List<Hold> writes = holds.stream().filter(Hold::write).toList();
        assertThat(holds).hasSize(sessions * rounds);
        for (Hold w : writes) {
            for (Hold o : holds) {
                if (o != w) {
                    assertThat(w.overlaps(o)).as("write %s overlaps %s", w, o).isFalse();
                    if (o.releasedNanos() <= w.grantedNanos()) {
                        assertThat(w.token()).as("write %s after %s", w, o).isGreaterThan(o.token());
                    }
                }
            }
        }
        assertThat(register.value()).isEqualTo(writes.size());
        assertThat(register.rejectedCount()).isZero();
    }

    @Test
    void aWaitingWriterIsServedBeforeLaterReaders() throws Exception {
        String name = unique("starve");
        try (Session r1 = session(); Session w = session(); Session r2 = session(); Session r3 = session()) {
            LockGrant first = r1.readWriteLock(name).readLock().acquire();
            CompletableFuture<LockGrant> writer = w.readWriteLock(name).writeLock().acquireAsync();
            await().untilAsserted(() -> assertThat(entries(Primitive.READ_WRITE_LOCK, name)).hasSize(2));
            CompletableFuture<LockGrant> later = r2.readWriteLock(name).readLock().acquireAsync();
            await().untilAsserted(() -> assertThat(entries(Primitive.READ_WRITE_LOCK, name)).hasSize(3));
            assertThat(r3.readWriteLock(name).readLock().tryAcquire(Duration.ZERO))
                    .as("a reader behind a waiting writer is not let in").isEmpty();
            assertThat(later).as("nor is the queued one").isNotDone();

            long before = coord.stats().wakeups(Primitive.READ_WRITE_LOCK);
            first.release();
            LockGrant written = join(writer);
            assertThat(later).as("the writer came first").isNotDone();
            written.release();
            LockGrant read = join(later);
            long wakeups = coord.stats().wakeups(Primitive.READ_WRITE_LOCK) - before;
            assertThat(read.fencingToken()).isGreaterThan(written.fencingToken());
            assertThat(wakeups).as("each release woke only the waiter it let in").isLessThanOrEqualTo(2 * 2);
            read.release();
        }
    }

    @Test
    void aWriterReleaseLetsInTheReadersUpToTheNextWriter() throws Exception {
        String name = unique("batch");
        List<Session> sessions = new ArrayList<>();
        try (Session w = session(); Session w2 = session()) {
            LockGrant writing = w.readWriteLock(name).writeLock().acquire();
            List<CompletableFuture<LockGrant>> readers = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Session s = session();
                sessions.add(s);
                readers.add(s.readWriteLock(name).readLock().acquireAsync());
                int queued = i + 2;
                await().untilAsserted(() -> assertThat(entries(Primitive.READ_WRITE_LOCK, name)).hasSize(queued));
            }
            CompletableFuture<LockGrant> nextWriter = w2.readWriteLock(name).writeLock().acquireAsync();
            await().untilAsserted(() -> assertThat(entries(Primitive.READ_WRITE_LOCK, name)).hasSize(6));
            long before = coord.stats().wakeups(Primitive.READ_WRITE_LOCK);
            writing.release();
            List<LockGrant> reads = readers.stream().map(this::join).toList();
            assertThat(reads).allMatch(LockGrant::isHeld);
            assertThat(nextWriter).as("the next writer waits for the readers ahead of it").isNotDone();
            reads.forEach(LockGrant::release);
            join(nextWriter).release();
            long wakeups = coord.stats().wakeups(Primitive.READ_WRITE_LOCK) - before;
            System.out.printf("[kit] %s read-write lock: %d wake-ups to let in 4 readers and then 1 writer%n", backend.label(), wakeups);
            assertThat(wakeups).as("one wake-up per waiter let in (a spurious one allowed each)").isLessThanOrEqualTo(2 * 5);
        } finally {
            sessions.forEach(Session::close);
        }
    }

    @Test
    void askingForTheOtherModeFailsAtOnce() throws Exception {
        String name = unique("upgrade");
        try (Session s = session(); Session other = session()) {
            LockGrant read = s.readWriteLock(name).readLock().acquire();
            assertThatThrownBy(() -> s.readWriteLock(name).writeLock().acquire()).isInstanceOf(AlreadyHeldException.class)
                    .hasMessageContaining(name).hasMessageContaining("upgrade");
            assertThatThrownBy(() -> s.readWriteLock(name).readLock().tryAcquire(Duration.ZERO)).isInstanceOf(AlreadyHeldException.class);
            read.release();
            LockGrant blocker = other.readWriteLock(name).writeLock().acquire();
            CompletableFuture<LockGrant> waiting = s.readWriteLock(name).writeLock().acquireAsync();
            assertThatThrownBy(() -> s.readWriteLock(name).readLock().acquireAsync()).as("waiting counts too")
                    .isInstanceOf(AlreadyHeldException.class);
            blocker.release();
            LockGrant write = join(waiting);
            assertThat(write.fencingToken()).isGreaterThan(blocker.fencingToken());
            write.release();
            s.readWriteLock(name).readLock().acquire().release(); // after release either mode is free again
        }
    }

    @Test
    void timedOutInterruptedAndCancelledAcquiresLeaveNothing() throws Exception {
        String name = unique("quit");
        try (Session reader = session(); Session quitter = session(); Session third = session()) {
            LockGrant held = reader.readWriteLock(name).readLock().acquire();
            List<String> before = entries(Primitive.READ_WRITE_LOCK, name);
            assertThat(quitter.readWriteLock(name).writeLock().tryAcquire(Duration.ofMillis(300))).isEmpty();
            assertThat(entries(Primitive.READ_WRITE_LOCK, name)).isEqualTo(before);

            AtomicReference<Throwable> outcome = new AtomicReference<>();
            CountDownLatch started = new CountDownLatch(1);
            Thread waiter = new Thread(() -> {
                started.countDown();
                try {
                    quitter.readWriteLock(name).writeLock().acquire();
                    outcome.set(new AssertionError("write-acquired while read-held"));
                } catch (Throwable t) {
                    outcome.set(t);
                }
            }, "kit-interrupted-waiter");
            waiter.start();
            started.await();
            await().untilAsserted(() -> assertThat(entries(Primitive.READ_WRITE_LOCK, name)).hasSize(2));
            waiter.interrupt();
            waiter.join(patience().toMillis());
            assertThat(outcome.get()).isInstanceOf(InterruptedException.class);
            assertThat(entries(Primitive.READ_WRITE_LOCK, name)).isEqualTo(before);

            CompletableFuture<LockGrant> pending = quitter.readWriteLock(name).writeLock().acquireAsync();
            await().untilAsserted(() -> assertThat(entries(Primitive.READ_WRITE_LOCK, name)).hasSize(2));
            assertThat(pending.cancel(true)).isTrue();
            await().untilAsserted(() -> assertThat(entries(Primitive.READ_WRITE_LOCK, name)).isEqualTo(before));

            held.release();
            LockGrant w = third.readWriteLock(name).writeLock().tryAcquire(Duration.ZERO)
                    .orElseThrow(() -> new AssertionError("not free after release: a quitter kept it"));
            w.release();
            // the cancelled request's claim comes back once its entry is gone (the cancelled future is done before)
            await().ignoreException(AlreadyHeldException.class).untilAsserted(() -> assertThat(
                    quitter.readWriteLock(name).writeLock().tryAcquire(Duration.ZERO)).as("the quitter may ask again").hasValueSatisfying(LockGrant::release));
        }
    }

    @Test
    void aDeadReadersGrantPassesToTheWriterOnlyAfterItsLease() throws Exception {
        CrashableClient doomedClient = crashable();
        Session doomed = doomedClient.coordinator().openSession(backend.shortTtl());
        String name = unique("crash");
        try (Session writer = session()) {
            LockGrant stale = doomed.readWriteLock(name).readLock().acquire();
            CompletableFuture<LockGrant> next = writer.readWriteLock(name).writeLock().acquireAsync();
            await().untilAsserted(() -> assertThat(entries(Primitive.READ_WRITE_LOCK, name)).hasSize(2));
            doomedClient.crash();
            long deadline = doomed.validUntilNanos();
            LockGrant taken = join(next);
            assertThat(System.nanoTime()).as("granted only after the dead reader's validUntil").isGreaterThanOrEqualTo(deadline);
            assertThat(taken.fencingToken()).isGreaterThan(stale.fencingToken());
            assertThat(join(stale.whenLost())).isEqualTo(LossReason.SESSION_EXPIRED);
            assertThatThrownBy(stale::release).isInstanceOf(LockLostException.class);
            assertThat(taken.isHeld()).isTrue();
            taken.release();
        } finally {
            doomed.close();
        }
    }

    @Test
    void aClosedSessionLosesItsWriteGrantAndTheNextOneGetsInAtOnce() throws Exception {
        String name = unique("close");
        Session doomed = session();
        LockGrant old = doomed.readWriteLock(name).writeLock().acquire();
        try (Session s = session()) {
            CompletableFuture<LockGrant> next = s.readWriteLock(name).readLock().acquireAsync();
            await().untilAsserted(() -> assertThat(entries(Primitive.READ_WRITE_LOCK, name)).hasSize(2));
            doomed.close();
            assertThat(join(old.whenLost())).isEqualTo(LossReason.SESSION_CLOSED);
            LockGrant current = join(next);
            assertThatThrownBy(old::release).isInstanceOf(LockLostException.class);
            assertThat(current.isHeld()).isTrue();
            current.release();
        }
    }
}
