package io.coord.examples.crontab;

import io.coord.examples.crontab.FencedStore.Attempt;
import io.coord.examples.crontab.FencedStore.State;
import io.coord.examples.crontab.FencedStore.Transition;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The outcome of one run, recomputed from the store's raw history of write attempts (not from the store's own
 * bookkeeping), so a bug in the store's checks would show up here too.
 *
 * <p>Definitions. A job's ticks 1..N all fall due before the end cut-off (the due time of tick N); the run waits
 * after it, bounded, until every job is done up to N or paused. A tick is <b>run</b> if the store accepted a SUCCESS
 * for it, <b>duplicated</b> once per further accepted SUCCESS of the same tick, and <b>lost</b> if it was never run
 * and is not <b>paused</b> — a paused job's failed tick and every later tick of it wait behind the alert and are
 * counted as paused, not lost. A tick was <b>caught up</b> if it fell due before the worker that ran it owned the
 * shard. A <b>stale write accepted</b> is an accepted write with a token below one the shard accepted before it. The
 * scheduling delay of a tick run is its start (when the worker that ran it started the run) minus its due time.
 *
 * <p>The invariant: nothing duplicated, nothing lost, no stale write accepted. {@link #exitStatus()} is 0 when it
 * held (and at least one tick ran), else 1.
 */
record Summary(String uri, int workers, Duration grantedTtl, Duration period, int jobs, int shards, int ticks,
               int scheduled, int run, int duplicated, List<String> lost, List<String> caughtUp, int retries,
               List<Paused> paused, int staleRejected, int staleAccepted, int alreadyRunRejected,
               Map<String, Integer> runsPerWorker, List<Integer> delayHistogram,
               Optional<CrashPlan.Failover> failover, List<String> violations) {

    /** Upper bounds of the scheduling-delay buckets, in ms; one more bucket holds the rest. */
    static final List<Long> DELAY_BUCKETS_MS = List.of(100L, 500L, 1000L, 2500L, 5000L);

    /** A job paused after its retries: at {@code tick}, after {@code retries} retries; {@code pausedTicks} not run. */
    record Paused(String job, long tick, int retries, long pausedTicks) {
    }

    static Summary of(String uri, int workers, Duration grantedTtl, Duration period, List<Job> crontab, int shards,
                      int ticks, List<Attempt> attempts, Optional<CrashPlan.Failover> failover) {
        List<String> violations = new ArrayList<>();
        Map<String, Map<Long, List<Transition>>> successes = new TreeMap<>();    // job -> tick -> accepted SUCCESSes
        Map<String, Paused> paused = new TreeMap<>();
        Map<Integer, Long> highestAccepted = new HashMap<>();
        Map<String, Integer> runsPerWorker = new TreeMap<>();
        int retries = 0;
        int staleRejected = 0;
        int staleAccepted = 0;
        int alreadyRunRejected = 0;
        for (Attempt a : attempts) {                           // in the order the store saw them
            Transition t = a.write();
            switch (a.outcome()) {
                case REJECTED_STALE_TOKEN -> staleRejected++;
                case REJECTED_TICK_ALREADY_RUN -> alreadyRunRejected++;
                case ACCEPTED -> {
                    long highest = highestAccepted.getOrDefault(t.shard(), 0L);
                    if (t.token() < highest) {
                        staleAccepted++;
                        violations.add("stale write accepted: " + t.job() + " tick " + t.tick() + " " + t.state() + " by "
                                + t.worker() + " with token " + t.token() + " after token " + highest);
                    }
                    highestAccepted.put(t.shard(), Math.max(highest, t.token()));
                    if (t.state() == State.SUCCESS) {
                        successes.computeIfAbsent(t.job(), j -> new TreeMap<>()).computeIfAbsent(t.tick(), k -> new ArrayList<>()).add(t);
                        runsPerWorker.merge(t.worker(), 1, Integer::sum);
                    } else if (t.state() == State.RETRYING) {
                        retries++;
                    } else if (t.state() == State.PAUSED) {
                        paused.putIfAbsent(t.job(), new Paused(t.job(), t.tick(), t.attempt() - 1, Math.max(0, ticks - t.tick() + 1)));
                    }
                }
            }
        }
        int run = 0;
        int duplicated = 0;
        List<String> lost = new ArrayList<>();
        List<String> caughtUp = new ArrayList<>();
        Integer[] histogram = new Integer[DELAY_BUCKETS_MS.size() + 1];
        java.util.Arrays.fill(histogram, 0);
        for (Job job : crontab) {
            Map<Long, List<Transition>> byTick = successes.getOrDefault(job.name(), Map.of());
            Paused p = paused.get(job.name());
            for (long tick = 1; tick <= ticks; tick++) {
                List<Transition> done = byTick.getOrDefault(tick, List.of());
                if (done.isEmpty()) {
                    if (p == null || tick < p.tick()) {
                        lost.add(job.name() + "@" + tick);
                    }
                    continue;
                }
                run++;
                if (done.size() > 1) {
                    duplicated += done.size() - 1;
                    violations.add(job.name() + " tick " + tick + " succeeded " + done.size() + " times: " + done);
                }
                Transition first = done.get(0);
                if (first.caughtUp()) {
                    caughtUp.add(job.name() + "@" + tick);
                }
                long delay = first.startedMillis() - first.dueMillis();
                int bucket = 0;
                while (bucket < DELAY_BUCKETS_MS.size() && delay > DELAY_BUCKETS_MS.get(bucket)) {
                    bucket++;
                }
                histogram[bucket]++;
            }
        }
        if (!lost.isEmpty()) {
            violations.add("ticks lost (due, never run, not paused): " + String.join(", ", lost));
        }
        if (run == 0) {
            violations.add("no tick ran at all");
        }
        return new Summary(uri, workers, grantedTtl, period, crontab.size(), shards, ticks, crontab.size() * ticks,
                run, duplicated, List.copyOf(lost), List.copyOf(caughtUp), retries, List.copyOf(paused.values()),
                staleRejected, staleAccepted, alreadyRunRejected, runsPerWorker, List.of(histogram), failover,
                List.copyOf(violations));
    }

    int exitStatus() {
        return violations.isEmpty() ? 0 : 1;
    }

    void print(PrintStream out) {
        out.println();
        out.println("=== distributed crontab: summary ===");
        out.printf("backend             %s%n", uri);
        out.printf("workers             %d, session TTL %d ms (granted); %d jobs on %d shards (job j on shard j %% %d), "
                + "%d ticks each, one every %d ms%n", workers, grantedTtl.toMillis(), jobs, shards, shards, ticks, period.toMillis());
        out.printf("ticks scheduled     %d%n", scheduled);
        out.printf("ticks run           %d   %s%n", run, runsPerWorker.entrySet().stream()
                .map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining(", ", "(", ")")));
        out.printf("duplicated          %d   (a second accepted SUCCESS for a job's tick; must be 0)%n", duplicated);
        out.printf("lost                %d   (a job's tick 1..%d, due before the cut-off at tick %d's due time, that nobody "
                + "ran, not counting a paused job's failed tick and later ones; must be 0)%s%n", lost.size(), ticks, ticks, list(lost));
        out.printf("caught up           %d   (run late from the job's watermark by an owner that got the shard after they "
                + "fell due)%s%n", caughtUp.size(), list(caughtUp));
        out.printf("retries             %d   (RETRYING after a FAILED run: back-off 1 s, 2 s, 4 s; at most %d per tick)%n",
                retries, Worker.MAX_RETRIES);
        if (paused.isEmpty()) {
            out.printf("paused              none%n");
        }
        for (Paused p : paused) {
            out.printf("paused              %s at tick %d after %d retries (alert raised); %d ticks not run%n",
                    p.job(), p.tick(), p.retries(), p.pausedTicks());
        }
        out.printf("stale writes        %d rejected, %d accepted (must be 0)%s%n", staleRejected, staleAccepted,
                failover.map(Summary::zombie).orElse(""));
        out.printf("tick-already-ran    %d rejected%n", alreadyRunRejected);
        out.printf("scheduling delay    start - due of each tick run:%n");
        int max = delayHistogram.stream().mapToInt(Integer::intValue).max().orElse(0);
        for (int b = 0; b < delayHistogram.size(); b++) {
            String label = b < DELAY_BUCKETS_MS.size()
                    ? String.format(Locale.ROOT, "<= %.1f s", DELAY_BUCKETS_MS.get(b) / 1000.0)
                    : String.format(Locale.ROOT, " > %.1f s", DELAY_BUCKETS_MS.get(b - 1) / 1000.0);
            int n = delayHistogram.get(b);
            int bar = max == 0 ? 0 : (int) Math.ceil(40.0 * n / max);
            out.printf("  %-9s %5d  %s%n", label, n, "#".repeat(bar));
        }
        out.printf("failover            %s%n", failover.map(f -> failover(f, grantedTtl)).orElse("no crash in this run"));
        if (violations.isEmpty()) {
            out.printf("result              OK: no tick ran twice, none was lost, no stale write got in (exit 0)%n");
        } else {
            out.printf("result              INVARIANT BROKEN (exit 1):%n");
            violations.forEach(v -> out.printf("                    - %s%n", v));
        }
    }

    private static String zombie(CrashPlan.Failover f) {
        Attempt w = f.zombieWrite();
        if (w == null) {
            return "   (the cut-off " + f.crashed() + " never woke up to write)";
        }
        return "   (zombie " + w.write().worker() + ", " + w.write().job() + " tick " + w.write().tick() + ", token "
                + w.write().token() + " vs highest seen " + w.highestBefore() + ": " + w.outcome() + ")";
    }

    private static String failover(CrashPlan.Failover f, Duration ttl) {
        String crash = f.crashed() + " cut off mid-run of " + f.job() + " tick " + f.crashTick() + " (shard " + f.shard()
                + ", token " + f.crashedToken() + ")";
        return f.failoverTime()
                .map(d -> crash + "; " + f.successor() + " owned shard " + f.shard() + " "
                        + String.format(Locale.ROOT, "%.2f s", d.toMillis() / 1000.0) + " later (token " + f.successorToken()
                        + "), session TTL " + String.format(Locale.ROOT, "%.2f s", ttl.toMillis() / 1000.0))
                .orElse(crash + "; nobody took the shard over");
    }

    private static String list(List<String> ticks) {
        return ticks.isEmpty() ? "" : ticks.stream().collect(Collectors.joining(", ", ": ", ""));
    }
}
