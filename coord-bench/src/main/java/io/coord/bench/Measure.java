package io.coord.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The measurements, JDK-only. Uncontended: acquire+release cycles on one participant, percentiles of the
 * cycle time. Contended: N participants (each its own client) loop acquire → release on ONE lock name for
 * a fixed time; throughput, FIFO overtakes (a grant while a participant that started waiting earlier
 * still waits; each participant's first acquisition is not counted, the start burst being unordered;
 * the ticket is taken just before the acquire call, so a few overtakes are client-side races) and wake-ups per release where the participant reports them.
 */
public final class Measure {

    private Measure() {
    }

    public record Uncontended(double p50Micros, double p99Micros, int cycles) {
    }

    public record Contended(int participants, int opened, long grants, double perSecond, long overtakes,
            double wakeupsPerRelease, String note) {
    }

    public static Uncontended uncontended(Participant p, int warmup, int cycles) throws Exception {
        for (int i = 0; i < warmup; i++) {
            p.acquire();
            p.release();
        }
        long[] t = new long[cycles];
        for (int i = 0; i < cycles; i++) {
            long s = System.nanoTime();
            p.acquire();
            p.release();
            t[i] = System.nanoTime() - s;
        }
        Arrays.sort(t);
        return new Uncontended(pct(t, 0.50) / 1e3, pct(t, 0.99) / 1e3, cycles);
    }

    private static double pct(long[] sorted, double q) {
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    public static Contended contended(Participant.Factory factory, String lockName, int n, long durationMillis)
            throws Exception {
        List<Participant> ps = new ArrayList<>();
        String note = "";
        ExecutorService opener = Executors.newFixedThreadPool(Math.min(n, 8));
        try {
            List<Future<Participant>> opening = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                opening.add(opener.submit(() -> factory.open(lockName)));
            }
            for (Future<Participant> f : opening) {
                try {
                    ps.add(f.get(120, TimeUnit.SECONDS));
                } catch (Exception | OutOfMemoryError e) {
                    note = "opened " + ps.size() + "/" + n + " clients (" + rootMessage(e) + ")";
                }
            }
            return run(ps, n, durationMillis, note);
        } finally {
            List<Future<?>> closing = new ArrayList<>();
            for (Participant p : ps) {
                closing.add(opener.submit(() -> {
                    p.close();
                    return null;
                }));
            }
            for (Future<?> f : closing) {
                try {
                    f.get(60, TimeUnit.SECONDS);
                } catch (Exception ignored) {
                    // best effort
                }
            }
            opener.shutdownNow();
        }
    }

    private static Contended run(List<Participant> ps, int n, long durationMillis, String note) throws Exception {
        AtomicLong tickets = new AtomicLong();
        ConcurrentSkipListSet<Long> waiting = new ConcurrentSkipListSet<>();
        AtomicLong grants = new AtomicLong();
        AtomicLong overtakes = new AtomicLong();
        long[] wakeStart = new long[ps.size()];
        for (int i = 0; i < ps.size(); i++) {
            wakeStart[i] = ps.get(i).wakeups();
        }
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(ps.size());
        long[] window = new long[2];
        List<Future<?>> fs = new ArrayList<>();
        for (Participant p : ps) {
            fs.add(pool.submit(() -> {
                start.await();
                long end = window[1];
                boolean firstRound = true; // the start burst's order is random: not counted
                while (System.nanoTime() < end) {
                    long ticket = tickets.incrementAndGet();
                    if (!firstRound) {
                        waiting.add(ticket);
                    }
                    p.acquire();
                    if (!firstRound) {
                        if (waiting.first() < ticket) {
                            overtakes.incrementAndGet();
                        }
                        waiting.remove(ticket);
                    }
                    firstRound = false;
                    grants.incrementAndGet();
                    p.release();
                }
                return null;
            }));
        }
        window[0] = System.nanoTime();
        window[1] = window[0] + TimeUnit.MILLISECONDS.toNanos(durationMillis);
        start.countDown();
        String err = "";
        for (Future<?> f : fs) {
            try {
                f.get(durationMillis + 120_000, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                err = " error: " + rootMessage(e);
            }
        }
        long elapsed = System.nanoTime() - window[0];
        pool.shutdownNow();
        long wake = 0;
        boolean known = true;
        for (int i = 0; i < ps.size(); i++) {
            long w = ps.get(i).wakeups();
            known &= w >= 0;
            wake += w - wakeStart[i];
        }
        long g = grants.get();
        return new Contended(n, ps.size(), g, g / (elapsed / 1e9), overtakes.get(),
                known && g > 0 ? (double) wake / g : Double.NaN, (note + err).trim());
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    /** A row of a results table as one tab-separated line (what the Redisson JVM prints to its parent). */
    public static String row(String table, Object... cells) {
        StringBuilder b = new StringBuilder("ROW\t").append(table);
        for (Object c : cells) {
            b.append('\t').append(format(c));
        }
        return b.toString();
    }

    static String format(Object c) {
        if (c instanceof Double d) {
            if (d.isNaN()) {
                return "–";
            }
            return d >= 100 ? String.format(Locale.ROOT, "%.0f", d) : String.format(Locale.ROOT, "%.2f", d);
        }
        return String.valueOf(c).replace('\t', ' ');
    }
}
