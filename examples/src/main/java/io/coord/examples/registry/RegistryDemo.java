package io.coord.examples.registry;

import io.coord.Coordinator;
import io.coord.Subscription;
import io.coord.examples.ChildProcess;
import io.coord.examples.CommandLine;
import io.coord.examples.EmbeddedZooKeeper;
import io.coord.examples.Timeline;
import io.coord.group.GroupEvent;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Service discovery with a registry: three {@link UserServiceInstance} processes register {@code host:port} in the
 * group {@code user-service}; a {@link RoundRobinClient} fed by the group's watch sends requests to them. One
 * instance is killed (SIGKILL: it leaves nothing); the client keeps routing to it (and retrying elsewhere) only
 * until the registry reports it gone, within its session TTL; an absence alert fires; a new instance joins and gets
 * traffic. The run checks that the client never routed to an instance after the registry had reported it gone, that
 * the departure was reported no later than the TTL plus a bound after the kill, and that the newcomer was served.
 *
 * <pre>
 * scripts/example.sh registry                                   # embedded ZooKeeper
 * scripts/example.sh registry etcd://127.0.0.1:2379/demo
 * </pre>
 *
 * Exits 0 if every check held, 1 if one broke, 2 on bad arguments, 3 if the run itself failed.
 */
public final class RegistryDemo {

    static final String USAGE = """
            usage: RegistryDemo [BACKEND_URI] [--ttl DURATION]
              BACKEND_URI   zookeeper://host:port/ns, etcd://host:port/ns or redis://host:port/ns;
                            default: an embedded in-process ZooKeeper
              --ttl         the instances' session TTL in milliseconds, 500 to 30000 (default 2000)""";

    private static final int EMBEDDED_TICK_TIME_MS = 200;
    private static final Duration ABSENCE = Duration.ofSeconds(1);
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final String VICTIM = "instance-2";
    private static final String NEWCOMER = "instance-4";

    private RegistryDemo() {
    }

    /** What to run; {@code uri == null} means an embedded ZooKeeper. */
    record Config(String uri, Duration ttl) {

        static Config parse(String... args) {
            String uri = null;
            long ttl = 2000;
            for (int i = 0; i < args.length; i++) {
                if (args[i].equals("--ttl")) {
                    if (++i >= args.length) {
                        throw new IllegalArgumentException("--ttl needs a value");
                    }
                    ttl = CommandLine.intIn("--ttl", args[i], 500, 30_000);
                } else if (args[i].startsWith("--") || uri != null) {
                    throw new IllegalArgumentException("unexpected argument '" + args[i] + "'");
                } else {
                    uri = args[i];
                }
            }
            return new Config(uri, Duration.ofMillis(ttl));
        }
    }

    /**
     * What the run showed.
     *
     * @param requests      requests answered in all
     * @param failed        attempts that failed (sent to the killed instance before the registry reported it gone)
     * @param goneAfterMs   from the kill until the client's watch reported the instance gone
     * @param problems      every broken check, in words
     */
    record Result(int requests, int failed, long goneAfterMs, List<String> problems) {

        int exitStatus() {
            return problems.isEmpty() ? 0 : 1;
        }
    }

    public static void main(String[] args) {
        int status;
        try {
            status = run(Config.parse(args), System.out).exitStatus();
        } catch (IllegalArgumentException e) {
            System.err.println("registry: " + e.getMessage());
            System.err.println(USAGE);
            status = 2;
        } catch (Exception e) {
            System.err.println("registry: the run failed: " + e);
            status = 3;
        }
        System.exit(status);
    }

    /** Runs the example, printing its timeline and summary to {@code out}; every process and server it starts is stopped. */
    static Result run(Config config, PrintStream out) throws Exception {
        Timeline timeline = new Timeline(out);
        List<ChildProcess> instances = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        EmbeddedZooKeeper zookeeper = null;
        String uri = config.uri();
        try {
            if (uri == null) {
                zookeeper = EmbeddedZooKeeper.start(EMBEDDED_TICK_TIME_MS);
                uri = "zookeeper://" + zookeeper.connectString() + "/registry";
                timeline.say("embedded ZooKeeper on %s", zookeeper.connectString());
            }
            timeline.say("group '%s'; instances' session TTL %d ms; backend %s", UserServiceInstance.GROUP, config.ttl().toMillis(), uri);
            try (Coordinator coordinator = Coordinator.open(uri)) {
                CompletableFuture<Long> victimGone = new CompletableFuture<>();
                CompletableFuture<Long> alerted = new CompletableFuture<>();
                var registry = coordinator.group(UserServiceInstance.GROUP);
                try (RoundRobinClient client = new RoundRobinClient(registry, e -> {
                         if (e.type() != GroupEvent.Type.SNAPSHOT) {
                             timeline.say("registry: %s %s%s", e.type(), e.member().orElseThrow().id(),
                                     e.type() == GroupEvent.Type.LEFT ? "" : " at " + e.member().orElseThrow().metadata());
                         }
                         if (e.type() == GroupEvent.Type.LEFT && e.member().orElseThrow().id().equals(VICTIM)) {
                             victimGone.complete(System.nanoTime());
                         }
                     });
                     Subscription alert = registry.alertWhenAbsent(ABSENCE, m -> {
                         timeline.say("ALERT: %s of %s has been gone for %d ms", m.id(), UserServiceInstance.GROUP, ABSENCE.toMillis());
                         alerted.complete(System.nanoTime());
                     })) {
                    for (int i = 1; i <= 3; i++) {
                        instances.add(start("instance-" + i, uri, config, timeline));
                    }
                    AtomicBoolean sending = new AtomicBoolean(true);
                    CompletableFuture<Void> traffic = CompletableFuture.runAsync(() -> {
                        try {
                            while (sending.get()) {
                                client.send();
                                Thread.sleep(10); // the client's pace: about 100 requests a second
                            }
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                    awaitUntil("traffic to every instance", () -> client.answeredBy("instance-1") >= 5
                            && client.answeredBy("instance-2") >= 5 && client.answeredBy("instance-3") >= 5);
                    timeline.say("the client spreads its requests over the 3 instances");

                    ChildProcess victim = instances.get(1);
                    victim.kill();
                    long killedAt = System.nanoTime();
                    timeline.say("%s killed (SIGKILL): it does not leave the group", VICTIM);
                    long goneAt = victimGone.get(PATIENCE.toMillis() + config.ttl().toMillis() * 3, java.util.concurrent.TimeUnit.MILLISECONDS);
                    long goneAfterMs = (goneAt - killedAt) / 1_000_000;
                    timeline.say("the registry reported %s gone %d ms after the kill (TTL %d ms)", VICTIM, goneAfterMs, config.ttl().toMillis());
                    if (goneAfterMs > config.ttl().toMillis() * 2 + 2000) {
                        problems.add("the registry reported " + VICTIM + " gone only " + goneAfterMs + " ms after the kill");
                    }
                    alerted.get(PATIENCE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);

                    instances.add(start(NEWCOMER, uri, config, timeline));
                    awaitUntil("traffic to the newcomer", () -> client.answeredBy(NEWCOMER) >= 5);
                    timeline.say("%s gets traffic", NEWCOMER);
                    sending.set(false);
                    traffic.get(PATIENCE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                    for (ChildProcess p : instances) {
                        p.exit(Duration.ofSeconds(10));
                    }
                    timeline.say("every live instance left the group and exited");
                    return check(client, goneAfterMs, problems, out);
                }
            }
        } finally {
            for (ChildProcess p : instances) {
                p.close();
            }
            if (zookeeper != null) {
                zookeeper.close();
            }
        }
    }

    private static ChildProcess start(String id, String uri, Config config, Timeline timeline) throws Exception {
        ChildProcess p = ChildProcess.start(id, UserServiceInstance.class, uri, id, Long.toString(config.ttl().toMillis()));
        p.await("that it joined", c -> c.last("JOINED").isPresent(), PATIENCE);
        timeline.say("%s (pid %d) serves on 127.0.0.1:%s and joined the registry", id, p.pid(), p.last("JOINED").orElseThrow()[1]);
        return p;
    }

    private static void awaitUntil(String what, java.util.function.BooleanSupplier done) throws InterruptedException {
        long end = System.nanoTime() + PATIENCE.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new IllegalStateException("no " + what + " within " + PATIENCE.toSeconds() + " s");
            }
            Thread.sleep(20);
        }
    }

    private static Result check(RoundRobinClient client, long goneAfterMs, List<String> problems, PrintStream out) {
        Map<String, int[]> tally = client.tally();
        int answered = 0;
        int failed = 0;
        out.println();
        out.println("instance     answered  failed");
        for (var e : tally.entrySet()) {
            answered += e.getValue()[0];
            failed += e.getValue()[1];
            out.printf(Locale.ROOT, "%-12s %8d  %6d%n", e.getKey(), e.getValue()[0], e.getValue()[1]);
        }
        List<String> late = client.routedAfterGone();
        out.printf(Locale.ROOT, "routed to an instance after the registry reported it gone: %d%n", late.size());
        problems.addAll(late);
        for (var e : tally.entrySet()) {
            if (!e.getKey().equals(VICTIM) && e.getValue()[1] > 0) {
                problems.add(e.getKey() + " failed " + e.getValue()[1] + " requests though it was alive");
            }
        }
        out.println(problems.isEmpty() ? "OK: every check held" : "FAILED: " + String.join("; ", problems));
        return new Result(answered, failed, goneAfterMs, List.copyOf(problems));
    }
}
