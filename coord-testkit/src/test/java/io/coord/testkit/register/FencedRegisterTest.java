package io.coord.testkit.register;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

class FencedRegisterTest {

    private static final int THREADS = 8;
    private static final int PER_THREAD = 2_000;

    @Test
    void acceptsEqualOrHigherTokensAndRejectsLowerOnes() {
        FencedRegister r = new FencedRegister();
        assertEquals(0, r.highestToken());
        assertEquals(0, r.value());
        assertNull(r.textValue());
        assertNull(r.lastWrite());

        assertEquals(new FencedRegister.WriteResult(true, 5, 5), r.write(5, "a", "x"));
        assertEquals(new FencedRegister.WriteResult(true, 5, 5), r.write(5, "a", "y")); // same holder again
        assertEquals(new FencedRegister.WriteResult(true, 9, 9), r.write(9, "b", 1));
        FencedRegister.WriteResult stale = r.write(5, "a", "late");
        assertFalse(stale.accepted());
        assertTrue(stale.stale());
        assertEquals(9, stale.highestSeen());
        assertEquals(new FencedRegister.WriteResult(false, 8, 9), r.write(8, "c", "z"));

        assertEquals(9, r.highestToken());
        assertEquals(1, r.value());
        assertEquals("1", r.textValue());
        assertEquals(3, r.acceptedCount());
        assertEquals(2, r.rejectedCount());
        assertEquals(List.of("a:5:x", "a:5:y", "b:9:1"), r.acceptedWrites().stream()
                .map(w -> w.writer() + ":" + w.token() + ":" + w.value()).toList());
        assertEquals(List.of(1L, 2L, 3L), r.acceptedWrites().stream().map(FencedRegister.Write::sequence).toList());
        FencedRegister.Rejection rej = r.rejectedWrites().get(0);
        assertEquals("a", rej.writer());
        assertEquals(5, rej.token());
        assertEquals(9, rej.highestSeen());
        assertEquals(4, rej.sequence());
        assertEquals("b", r.lastWrite().writer());
        assertTrue(r.acceptedWrites().get(2).atNanos() <= rej.atNanos());
    }

    @Test
    void rejectsNonPositiveTokensAndNullArguments() {
        FencedRegister r = new FencedRegister();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.write(0, "a", "v"));
        assertTrue(e.getMessage().contains("> 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> r.write(-1, "a", 1));
        assertThrows(NullPointerException.class, () -> r.write(1, null, "v"));
        assertThrows(NullPointerException.class, () -> r.write(1, "a", null));
        assertEquals(0, r.acceptedCount() + r.rejectedCount());
    }

    @Test
    void numericValueOfANonNumericWriteIsAnError() {
        FencedRegister r = new FencedRegister();
        r.write(1, "a", "hello");
        IllegalStateException e = assertThrows(IllegalStateException.class, r::value);
        assertTrue(e.getMessage().contains("hello"), e.getMessage());
    }

    /** Runs {@code task(thread)} on THREADS threads released together; returns their results. */
    private static <T> List<T> race(IntFunction<Callable<T>> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                Callable<T> c = task.apply(t);
                futures.add(pool.submit(() -> {
                    go.await();
                    return c.call();
                }));
            }
            go.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get(60, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void concurrentWritersGetExactAcceptAndRejectCounts() throws Exception {
        FencedRegister r = new FencedRegister();
        // Phase 1: everyone writes under the same token 10: all accepted.
        List<Integer> accepted1 = race(t -> () -> {
            int n = 0;
            for (int i = 0; i < PER_THREAD; i++) {
                n += r.write(10, "w" + t, i).accepted() ? 1 : 0;
            }
            return n;
        });
        assertEquals(THREADS * PER_THREAD, accepted1.stream().mapToInt(Integer::intValue).sum());
        // Phase 2: everyone writes stale tokens 1..9: all rejected, the maximum stays 10.
        List<Integer> rejected2 = race(t -> () -> {
            int n = 0;
            for (int i = 0; i < PER_THREAD; i++) {
                FencedRegister.WriteResult res = r.write(1 + (i + t) % 9, "w" + t, -1);
                n += res.stale() && res.highestSeen() == 10 ? 1 : 0;
            }
            return n;
        });
        assertEquals(THREADS * PER_THREAD, rejected2.stream().mapToInt(Integer::intValue).sum());
        assertEquals(THREADS * PER_THREAD, r.acceptedCount());
        assertEquals(THREADS * PER_THREAD, r.rejectedCount());
        assertEquals(10, r.highestToken());
        assertTrue(r.value() >= 0, "a stale write changed the value: " + r.value());

        // Phase 3: each thread writes its own increasing tokens; interleaving decides who wins,
        // but the accepted tokens never decrease, the highest token is always accepted, and every
        // rejection really was stale.
        race(t -> () -> {
            for (int i = 0; i < PER_THREAD; i++) {
                r.write(11 + (long) i * THREADS + t, "w" + t, i);
            }
            return null;
        });
        long max = 11 + (long) (PER_THREAD - 1) * THREADS + (THREADS - 1);
        assertEquals(max, r.highestToken());
        assertEquals(3L * THREADS * PER_THREAD, r.acceptedCount() + r.rejectedCount());
        List<FencedRegister.Write> writes = r.acceptedWrites();
        for (int i = 1; i < writes.size(); i++) {
            assertTrue(writes.get(i - 1).token() <= writes.get(i).token(), "accepted tokens decreased at " + i);
            assertTrue(writes.get(i - 1).sequence() < writes.get(i).sequence());
        }
        assertEquals(max, writes.get(writes.size() - 1).token());
        for (FencedRegister.Rejection rej : r.rejectedWrites()) {
            assertTrue(rej.token() < rej.highestSeen(), rej.toString());
        }
    }

    @Test
    void readModifyWriteUnderALockCountsExactly() throws Exception {
        FencedRegister r = new FencedRegister();
        ReentrantLock lock = new ReentrantLock();
        AtomicLong tokens = new AtomicLong();
        race(t -> () -> {
            for (int i = 0; i < PER_THREAD; i++) {
                lock.lock();
                try {
                    long token = tokens.incrementAndGet(); // a grant's fencing token
                    long v = r.value();
                    assertTrue(r.write(token, "w" + t, v + 1).accepted());
                } finally {
                    lock.unlock();
                }
            }
            return null;
        });
        assertEquals(THREADS * PER_THREAD, r.value());
        assertEquals(THREADS * PER_THREAD, r.acceptedCount());
        assertEquals(0, r.rejectedCount());
        assertEquals(THREADS * PER_THREAD, r.highestToken());
    }
}
