package io.coord.examples.springboot;

import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.coord.spi.CoordinatorUri;
import io.coord.testservers.ZooKeeperTestServer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Two instances of one Spring Boot application on one coord backend (an embedded ZooKeeper unless a URI is given),
 * in one JVM so that one timeline and one set of counters see both:
 *
 * <ol>
 *   <li>both start; every instance schedules the {@code @SchedulerLock} job, the {@code LockRegistry} critical
 *       section and the leader-only work; coord lets one in at a time and elects one leader;</li>
 *   <li>{@code /actuator/health} and {@code /actuator/metrics} are read over HTTP from each instance's Tomcat;</li>
 *   <li>the leader is shut down gracefully: the starter closes its session before its beans are destroyed, so the
 *       other instance is granted leadership and the locks at once, not after the session TTL;</li>
 *   <li>a summary: runs and overlaps (always 0) of each guarded piece of work, the leaders in order, the health of
 *       the {@code coord} component, the coord meters.</li>
 * </ol>
 *
 * Exits 0 when every invariant held within {@link #BOUND}, 1 if one broke, 2 on bad arguments.
 */
public final class SpringBootDemo {

    /** The whole run, both instances' start-up included, ends within this. */
    static final Duration BOUND = Duration.ofSeconds(45);
    private static final Duration PHASE = Duration.ofSeconds(20);

    private SpringBootDemo() {
    }

    /**
     * Runs the demo and exits with its status.
     *
     * @param args none (embedded ZooKeeper) or one coord URI, e.g. {@code etcd://127.0.0.1:2379/demo}
     * @throws Exception if the demo cannot run at all
     */
    public static void main(String[] args) throws Exception {
        if (args.length > 1) {
            System.err.println(USAGE);
            System.exit(2);
        }
        System.exit(run(args, System.out).exitCode());
    }

    static final String USAGE = "usage: SpringBootDemo [coord-uri]   e.g. etcd://127.0.0.1:2379/demo; none: an embedded ZooKeeper";

    /** What the demo saw; {@link #exitCode()} is 0 when every invariant held. */
    record Summary(int reportRuns, int reportOverlaps, int ledgerRuns, int ledgerOverlaps, int leaderWorkRuns,
                   List<String> leaders, String healthJson, List<String> coordMeters, List<String> broken) {

        int exitCode() {
            return broken.isEmpty() ? 0 : 1;
        }
    }

    static Summary run(String[] args, PrintStream out) throws Exception {
        if (args.length > 1) {
            throw new IllegalArgumentException(USAGE);
        }
        long deadline = System.nanoTime() + BOUND.toNanos();
        Timeline timeline = new Timeline(out);
        DemoState state = new DemoState(timeline);
        List<String> broken = new ArrayList<>();
        ZooKeeperTestServer zk = null;
        Instance a = null;
        Instance b = null;
        String healthJson = "";
        List<String> meters = List.of();
        String handover = "no handover";
        try {
            String uri;
            if (args.length == 1) {
                uri = args[0];
                timeline.note("-", "backend " + CoordinatorUri.redacted(URI.create(uri.trim())));
            } else {
                zk = ZooKeeperTestServer.start();
                uri = "zookeeper://" + zk.connectString() + "/spring-boot-demo";
                timeline.note("-", "embedded ZooKeeper on " + zk.connectString());
            }
            a = Instance.start("a", uri, state);
            timeline.note("a", "started, Tomcat on port " + a.port());
            b = Instance.start("b", uri, state);
            timeline.note("b", "started, Tomcat on port " + b.port());

            if (!timeline.await(() -> state.currentLeader() != null && state.report.runs() >= 3 && state.ledger.runs() >= 6
                    && state.leaderWork.runs() >= 1, remaining(deadline, PHASE))) {
                broken.add("phase 1 did not see a leader, 3 job runs, 6 critical sections and leader-only work in time");
            }

            JsonMapper json = JsonMapper.builder().build();
            for (Instance i : List.of(a, b)) {
                JsonNode coord = json.readTree(i.get("/actuator/health")).path("components").path("coord");
                timeline.note(i.name, "GET /actuator/health → coord: " + coord);
                if (i == a) {
                    healthJson = coord.toString();
                }
                if (!"UP".equals(coord.path("status").asString())) {
                    broken.add("instance " + i.name + " health of coord is " + coord.path("status") + ", expected UP");
                }
            }
            List<String> names = new ArrayList<>();
            json.readTree(a.get("/actuator/metrics")).path("names").forEach(n -> {
                if (n.asString().startsWith("coord.")) {
                    names.add(n.asString());
                }
            });
            meters = List.copyOf(names);
            timeline.note("a", "GET /actuator/metrics → coord meters: " + meters);
            if (meters.isEmpty()) {
                broken.add("no coord.* meter in /actuator/metrics");
            } else {
                String first = meters.get(0);
                timeline.note("a", "GET /actuator/metrics/" + first + " → "
                        + json.readTree(a.get("/actuator/metrics/" + first)).path("measurements"));
            }

            Instance leader = "a".equals(state.currentLeader()) ? a : b;
            Instance follower = leader == a ? b : a;
            int reportBefore = state.report.runs();
            timeline.note(leader.name, "shutting down gracefully (the leader)");
            long stopStart = System.nanoTime();
            leader.close();
            timeline.note(leader.name, String.format(java.util.Locale.ROOT, "context closed in %d ms",
                    (System.nanoTime() - stopStart) / 1_000_000));
            if (!timeline.await(() -> follower.name.equals(state.currentLeader()) && state.report.runs() >= reportBefore + 2,
                    remaining(deadline, PHASE))) {
                broken.add("after the leader's shutdown, " + follower.name + " did not lead and run the job in time");
            } else {
                handover = String.format(java.util.Locale.ROOT, "%s led %d ms after %s began shutting down (session TTL 3 s: "
                        + "the leader resigned and closed its session in shutdown, nothing was left to expire)", follower.name,
                        (state.lastGrantNanos() - stopStart) / 1_000_000, leader.name);
            }
        } finally {
            if (a != null) {
                a.close();
            }
            if (b != null) {
                b.close();
            }
            if (zk != null) {
                zk.close();
            }
        }
        if (state.report.overlaps() != 0) {
            broken.add("@SchedulerLock job overlapped " + state.report.overlaps() + " times");
        }
        if (state.ledger.overlaps() != 0) {
            broken.add("LockRegistry critical section overlapped " + state.ledger.overlaps() + " times");
        }
        List<String> leaders = state.leaders();
        if (leaders.size() < 2 || leaders.get(0).equals(leaders.get(leaders.size() - 1))) {
            broken.add("expected leadership to move to the other instance, saw leaders " + leaders);
        }
        Summary summary = new Summary(state.report.runs(), state.report.overlaps(), state.ledger.runs(),
                state.ledger.overlaps(), state.leaderWork.runs(), leaders, healthJson, meters, List.copyOf(broken));
        out.println();
        out.println("summary");
        out.println("  @SchedulerLock job 'report':        " + summary.reportRuns() + " runs, overlap " + summary.reportOverlaps());
        out.println("  LockRegistry section 'ledger':      " + summary.ledgerRuns() + " runs, overlap " + summary.ledgerOverlaps());
        out.println("  leader-only work:                   " + summary.leaderWorkRuns() + " runs");
        out.println("  leaders, in order:                  " + summary.leaders() + " (" + Math.max(0, leaders.size() - 1) + " change(s))");
        out.println("  leader handover:                    " + handover);
        out.println("  /actuator/health of a, coord:       " + summary.healthJson());
        out.println("  coord meters in /actuator/metrics:  " + summary.coordMeters());
        out.println(summary.broken().isEmpty() ? "  every invariant held" : "  BROKEN: " + summary.broken());
        return summary;
    }

    private static Duration remaining(long deadline, Duration phase) {
        long left = deadline - System.nanoTime();
        return Duration.ofNanos(Math.max(0, Math.min(left, phase.toNanos())));
    }
}
