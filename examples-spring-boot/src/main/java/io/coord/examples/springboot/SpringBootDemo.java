package io.coord.examples.springboot;

import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

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
 * Exits 0 when every invariant held within {@link #BOUND}, 1 if one broke or the run took longer (a watchdog ends it
 * then, printing the timeline so far), 2 on bad arguments (the URI is never echoed unredacted).
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
        int bad = argumentsStatus(args, System.err);
        if (bad != 0) {
            System.exit(bad);
        }
        Timeline timeline = new Timeline(System.out);
        startWatchdog(timeline);
        System.exit(run(args, timeline).exitCode());
    }

    static final String USAGE = "usage: SpringBootDemo [coord-uri]   e.g. etcd://127.0.0.1:2379/demo; none: an embedded ZooKeeper";

    /** Slack past {@link #BOUND} for the contexts' own shutdown before the watchdog ends the JVM. */
    private static final Duration WATCHDOG_SLACK = Duration.ofSeconds(5);

    /**
     * Enforces {@link #BOUND}: a daemon thread that, if the JVM is still running {@code BOUND + 5 s} after the start,
     * prints the timeline so far and what was hanging, and halts the JVM with status 1 (halt, not exit: a shutdown
     * hook stuck on the same hang must not keep it alive).
     */
    private static void startWatchdog(Timeline timeline) {
        Thread watchdog = new Thread(() -> {
            long end = System.nanoTime() + BOUND.plus(WATCHDOG_SLACK).toNanos();
            long left;
            while ((left = end - System.nanoTime()) > 0) {
                LockSupport.parkNanos(left);
            }
            System.err.println("BROKEN: the demo did not end within " + BOUND.toSeconds() + " s (+"
                    + WATCHDOG_SLACK.toSeconds() + " s for shutdown); the timeline so far:");
            timeline.events().forEach(System.err::println);
            System.err.flush();
            Runtime.getRuntime().halt(1);
        }, "demo-watchdog");
        watchdog.setDaemon(true);                   // does not keep a finished run's JVM alive
        watchdog.start();
    }

    /**
     * The exit status of the command line's check: 0 if {@link #checkArguments} accepts it, else 2 after printing
     * why (with the usage) to {@code err}.
     */
    static int argumentsStatus(String[] args, PrintStream err) {
        try {
            checkArguments(args);
            return 0;
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            return 2;
        }
    }

    /**
     * Checks the command line without echoing a URI (it may hold a password): at most one argument, a URI with a
     * scheme and a server part.
     *
     * @throws IllegalArgumentException with {@link #USAGE} and the reason, the URI shown only redacted
     */
    static void checkArguments(String[] args) {
        if (args.length > 1) {
            throw new IllegalArgumentException(USAGE);
        }
        if (args.length == 1) {
            String text = args[0].trim();
            String shown = CoordinatorUri.redacted(text);
            URI uri;
            try {
                uri = new URI(text);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("not a valid URI: '" + shown + "' (" + e.getReason() + " at index "
                        + e.getIndex() + ")\n" + USAGE);
            }
            if (uri.getScheme() == null || uri.getRawAuthority() == null) {
                throw new IllegalArgumentException("not a coord URI (scheme://host:port/namespace): '" + shown + "'\n" + USAGE);
            }
        }
    }

    /** What the demo saw; {@link #exitCode()} is 0 when every invariant held. */
    record Summary(int reportRuns, int reportOverlaps, int ledgerRuns, int ledgerOverlaps, int leaderWorkRuns,
                   List<String> leaders, String healthJson, List<String> coordMeters, List<String> broken) {

        int exitCode() {
            return broken.isEmpty() ? 0 : 1;
        }
    }

    static Summary run(String[] args, PrintStream out) throws Exception {
        checkArguments(args);
        return run(args, new Timeline(out));
    }

    private static Summary run(String[] args, Timeline timeline) throws Exception {
        checkArguments(args);
        PrintStream out = timeline.out();
        long deadline = System.nanoTime() + BOUND.toNanos();
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
                timeline.note("-", "backend " + CoordinatorUri.redacted(uri.trim()));
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
            timeline.note(leader.name, String.format(Locale.ROOT, "context closed in %d ms",
                    (System.nanoTime() - stopStart) / 1_000_000));
            if (!timeline.await(() -> follower.name.equals(state.currentLeader()) && state.report.runs() >= reportBefore + 2,
                    remaining(deadline, PHASE))) {
                broken.add("after the leader's shutdown, " + follower.name + " did not lead and run the job in time");
            } else {
                handover = String.format(Locale.ROOT, "%s led %d ms after %s began shutting down (session TTL 3 s: "
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
