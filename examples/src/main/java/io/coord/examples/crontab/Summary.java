package io.coord.examples.crontab;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The outcome of one run, recomputed from the store's raw history of write attempts (not from the
 * store's own bookkeeping), so a bug in the store's checks would show up here too.
 *
 * <p>The invariant: no tick accepted twice, and no accepted write carries a token lower than one
 * accepted before it. {@link #exitStatus()} is 0 when it held (and at least one tick ran), else 1.
 */
record Summary(String uri, int workers, Duration grantedTtl, Duration period,
               int scheduled, int run, int duplicated, Map<String, Integer> runsPerWorker,
               List<Long> missedDuringFailover, List<Long> missedOtherwise,
               int staleRejected, int staleAccepted, int alreadyRunRejected,
               Optional<CrashPlan.Failover> failover, List<String> violations) {

    static Summary of(String uri, int workers, Duration grantedTtl, Duration period, int scheduled,
                      List<FencedStore.Attempt> attempts, Optional<CrashPlan.Failover> failover) {
        List<String> violations = new ArrayList<>();
        Map<Long, List<FencedStore.Attempt>> acceptedByTick = new TreeMap<>();
        Map<String, Integer> runsPerWorker = new TreeMap<>();
        int staleRejected = 0;
        int staleAccepted = 0;
        int alreadyRunRejected = 0;
        long highestAccepted = 0;
        for (FencedStore.Attempt a : attempts) {                // in the order the store saw them
            switch (a.outcome()) {
                case REJECTED_STALE_TOKEN -> staleRejected++;
                case REJECTED_TICK_ALREADY_RUN -> alreadyRunRejected++;
                case ACCEPTED -> {
                    if (a.token() < highestAccepted) {
                        staleAccepted++;
                        violations.add("stale write accepted: tick " + a.tick() + " by " + a.worker() + " with token "
                                + a.token() + " after token " + highestAccepted);
                    }
                    highestAccepted = Math.max(highestAccepted, a.token());
                    acceptedByTick.computeIfAbsent(a.tick(), t -> new ArrayList<>()).add(a);
                    runsPerWorker.merge(a.worker(), 1, Integer::sum);
                }
            }
        }
        int duplicated = 0;
        for (var e : acceptedByTick.entrySet()) {
            if (e.getValue().size() > 1) {
                duplicated += e.getValue().size() - 1;
                violations.add("tick " + e.getKey() + " ran " + e.getValue().size() + " times: " + e.getValue());
            }
        }
        if (acceptedByTick.isEmpty()) {
            violations.add("no tick ran at all");
        }
        // The failover gap: from the crashed tick to the first tick a successor ran.
        long gapStart = failover.map(CrashPlan.Failover::crashTick).orElse(Long.MAX_VALUE);
        long gapEnd = acceptedByTick.keySet().stream().filter(t -> t >= gapStart).findFirst().orElse((long) scheduled + 1);
        List<Long> missedDuringFailover = new ArrayList<>();
        List<Long> missedOtherwise = new ArrayList<>();
        for (long tick = 1; tick <= scheduled; tick++) {
            if (!acceptedByTick.containsKey(tick)) {
                (tick >= gapStart && tick < gapEnd ? missedDuringFailover : missedOtherwise).add(tick);
            }
        }
        return new Summary(uri, workers, grantedTtl, period, scheduled, acceptedByTick.size(), duplicated,
                runsPerWorker, missedDuringFailover, missedOtherwise, staleRejected, staleAccepted,
                alreadyRunRejected, failover, List.copyOf(violations));
    }

    int exitStatus() {
        return violations.isEmpty() ? 0 : 1;
    }

    void print(PrintStream out) {
        out.println();
        out.println("=== distributed crontab: summary ===");
        out.printf("backend             %s%n", uri);
        out.printf("workers             %d, session TTL %d ms (granted), one tick every %d ms%n",
                workers, grantedTtl.toMillis(), period.toMillis());
        out.printf("ticks scheduled     %d%n", scheduled);
        out.printf("ticks run           %d   %s%n", run, runsPerWorker.entrySet().stream()
                .map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining(", ", "(", ")")));
        out.printf("duplicated          %d   (ticks accepted more than once; must be 0)%n", duplicated);
        out.printf("missed in failover  %d   %s%n", missedDuringFailover.size(), ticks(missedDuringFailover));
        if (!missedOtherwise.isEmpty()) {
            out.printf("missed otherwise    %d   %s%n", missedOtherwise.size(), ticks(missedOtherwise));
        }
        out.printf("stale writes        %d rejected, %d accepted (must be 0)%s%n", staleRejected, staleAccepted,
                failover.map(Summary::zombie).orElse(""));
        out.printf("tick-already-ran    %d rejected%n", alreadyRunRejected);
        out.printf("failover            %s%n", failover.map(f -> failover(f, grantedTtl)).orElse("no crash in this run"));
        if (violations.isEmpty()) {
            out.printf("result              OK: no tick ran twice, no stale write got in (exit 0)%n");
        } else {
            out.printf("result              INVARIANT BROKEN (exit 1):%n");
            violations.forEach(v -> out.printf("                    - %s%n", v));
        }
    }

    private static String zombie(CrashPlan.Failover f) {
        FencedStore.Attempt w = f.zombieWrite();
        if (w == null) {
            return "   (the cut-off " + f.crashed() + " never woke up to write)";
        }
        return "   (zombie " + w.worker() + ", tick " + w.tick() + ", token " + w.token() + " vs highest seen "
                + w.highestBefore() + ": " + w.outcome() + ")";
    }

    private static String failover(CrashPlan.Failover f, Duration ttl) {
        String crash = f.crashed() + " cut off from the cluster at tick " + f.crashTick() + " (term " + f.crashedTerm() + ")";
        return f.failoverTime()
                .map(d -> crash + "; " + f.successor() + " led " + String.format("%.2f s", d.toMillis() / 1000.0)
                        + " later (term " + f.successorTerm() + "), session TTL " + String.format("%.2f s", ttl.toMillis() / 1000.0))
                .orElse(crash + "; no successor took over");
    }

    private static String ticks(List<Long> ticks) {
        return ticks.isEmpty() ? "" : ticks.stream().map(String::valueOf).collect(Collectors.joining(", ", "(ticks ", ")"));
    }
}
