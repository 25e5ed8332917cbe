package io.coord.examples.workerids;

import io.coord.examples.ChildProcess;
import io.coord.examples.CommandLine;
import io.coord.examples.EmbeddedZooKeeper;
import io.coord.examples.Timeline;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Worker-id allocation for Snowflake-style ids: {@code permits} worker processes each take a permit of one
 * semaphore with as many permits as there are worker ids, and use the permit's slot as their worker id
 * ({@link SnowflakeIds}). A newcomer queues behind them. Then the worker holding slot 1 is killed (SIGKILL: it
 * releases nothing); its slot goes to the newcomer, and only after the killed worker's lease ended. At the end
 * every id any worker issued is checked: no id twice, each carrying its issuer's slot.
 *
 * <pre>
 * scripts/example.sh worker-ids                                   # embedded ZooKeeper
 * scripts/example.sh worker-ids etcd://127.0.0.1:2379/demo
 * </pre>
 *
 * Exits 0 if every check held, 1 if one broke, 2 on bad arguments, 3 if the run itself failed.
 */
public final class WorkerIdsDemo {

    static final String USAGE = """
            usage: WorkerIdsDemo [BACKEND_URI] [--ids N] [--ttl DURATION]
              BACKEND_URI   zookeeper://host:port/ns, etcd://host:port/ns or redis://host:port/ns;
                            default: an embedded in-process ZooKeeper
              --ids         worker ids = the semaphore's permits = workers started first, 2 to 8 (default 3)
              --ttl         session TTL in milliseconds, 500 to 30000 (default 2000)""";

    private static final int EMBEDDED_TICK_TIME_MS = 200;
    private static final int KILLED_SLOT = 1;
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private WorkerIdsDemo() {
    }

    /** What to run; {@code uri == null} means an embedded ZooKeeper. */
    record Config(String uri, int ids, Duration ttl) {

        static Config parse(String... args) {
            String uri = null;
            int ids = 3;
            long ttl = 2000;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--ids" -> ids = CommandLine.intIn("--ids", value(args, ++i), 2, 8);
                    case "--ttl" -> ttl = CommandLine.intIn("--ttl", value(args, ++i), 500, 30_000);
                    default -> {
                        if (args[i].startsWith("--") || uri != null) {
                            throw new IllegalArgumentException("unexpected argument '" + args[i] + "'");
                        }
                        uri = args[i];
                    }
                }
            }
            return new Config(uri, ids, Duration.ofMillis(ttl));
        }

        private static String value(String[] args, int i) {
            if (i >= args.length) {
                throw new IllegalArgumentException(args[i - 1] + " needs a value");
            }
            return args[i];
        }
    }

    /**
     * What the run showed.
     *
     * @param ids         ids issued in all
     * @param duplicates  ids issued more than once (must be 0)
     * @param wrongSlot   ids that do not carry their issuer's slot (must be 0)
     * @param problems    every broken check, in words
     */
    record Result(int ids, int duplicates, int wrongSlot, List<String> problems) {

        int exitStatus() {
            return problems.isEmpty() ? 0 : 1;
        }
    }

    public static void main(String[] args) {
        int status;
        try {
            status = run(Config.parse(args), System.out).exitStatus();
        } catch (IllegalArgumentException e) {
            System.err.println("worker-ids: " + e.getMessage());
            System.err.println(USAGE);
            status = 2;
        } catch (Exception e) {
            System.err.println("worker-ids: the run failed: " + e);
            status = 3;
        }
        System.exit(status);
    }

    /** Runs the example, printing its timeline and summary to {@code out}; every process and server it starts is stopped. */
    static Result run(Config config, PrintStream out) throws Exception {
        Timeline timeline = new Timeline(out);
        List<ChildProcess> workers = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        EmbeddedZooKeeper zookeeper = null;
        try {
            String uri = config.uri();
            if (uri == null) {
                zookeeper = EmbeddedZooKeeper.start(EMBEDDED_TICK_TIME_MS);
                uri = "zookeeper://" + zookeeper.connectString() + "/worker-ids";
                timeline.say("embedded ZooKeeper on %s", zookeeper.connectString());
            }
            timeline.say("semaphore '%s' with %d permits = worker ids 0..%d; session TTL %d ms; backend %s",
                    IdWorker.SEMAPHORE, config.ids(), config.ids() - 1, config.ttl().toMillis(), uri);
            for (int i = 0; i < config.ids(); i++) {
                ChildProcess w = start("worker-" + (i + 1), uri, config);
                workers.add(w);
                w.await("its slot", p -> p.last("SLOT").isPresent(), PATIENCE);
                String[] slot = w.last("SLOT").orElseThrow();
                timeline.say("%s (pid %d) holds slot %s, token %s", w.name(), w.pid(), slot[1], slot[2]);
            }
            ChildProcess newcomer = start("newcomer", uri, config);
            workers.add(newcomer);
            newcomer.await("that it waits", p -> p.last("WAITING").isPresent(), PATIENCE);
            timeline.say("newcomer started: every worker id is taken, so it waits in the semaphore's queue");
            for (ChildProcess w : workers.subList(0, config.ids())) {
                w.await("ids", p -> p.count("IDS") >= 3, PATIENCE);
            }

            ChildProcess victim = workers.stream().filter(w -> w.last("SLOT").map(s -> s[1].equals(Integer.toString(KILLED_SLOT))).orElse(false))
                    .findFirst().orElseThrow(() -> new IllegalStateException("no worker holds slot " + KILLED_SLOT));
            long victimToken = Long.parseLong(victim.last("SLOT").orElseThrow()[2]);
            long lastValidity = victim.last("VALID").map(v -> Long.parseLong(v[1])).orElseThrow();
            victim.kill();
            long killedAt = System.nanoTime();
            // its lease: the validity it last reported (a renewal it reported just before the kill counts)
            long leaseEnd = victim.last("VALID").map(v -> Long.parseLong(v[1])).orElse(lastValidity);
            timeline.say("%s killed (SIGKILL) holding slot %d; its lease ends %d ms later", victim.name(), KILLED_SLOT,
                    Math.max(0, (leaseEnd - killedAt) / 1_000_000));

            newcomer.await("its slot", p -> p.last("SLOT").isPresent(), PATIENCE.plus(config.ttl().multipliedBy(3)));
            String[] got = newcomer.last("SLOT").orElseThrow();
            long grantedAt = Long.parseLong(got[4]);
            timeline.say("newcomer holds slot %s, token %s, %d ms after the kill", got[1], got[2], (grantedAt - killedAt) / 1_000_000);
            if (!got[1].equals(Integer.toString(KILLED_SLOT))) {
                problems.add("the newcomer got slot " + got[1] + ", not the freed slot " + KILLED_SLOT);
            }
            if (grantedAt < leaseEnd) {
                problems.add("the newcomer got the slot " + (leaseEnd - grantedAt) / 1_000_000 + " ms before the killed worker's lease ended");
            }
            if (Long.parseLong(got[2]) <= victimToken) {
                problems.add("the newcomer's token " + got[2] + " is not greater than the killed worker's " + victimToken);
            }
            newcomer.await("ids", p -> p.count("IDS") >= 3, PATIENCE);
            for (ChildProcess w : workers) {
                w.exit(Duration.ofSeconds(10));
            }
            timeline.say("every worker released its permit and exited");
            return check(workers, problems, out);
        } finally {
            for (ChildProcess w : workers) {
                w.close();
            }
            if (zookeeper != null) {
                zookeeper.close();
            }
        }
    }

    /** Starts one {@link IdWorker} process. */
    private static ChildProcess start(String name, String uri, Config config) throws java.io.IOException {
        return ChildProcess.start(name, IdWorker.class, uri, Integer.toString(config.ids()), Long.toString(config.ttl().toMillis()));
    }

    /** Every id a worker reported ({@code IDS id id ...} lines). */
    private static List<Long> issued(ChildProcess w) {
        return w.all("IDS").stream().flatMap(words -> java.util.Arrays.stream(words).skip(1)).map(Long::parseLong).toList();
    }

    private static Result check(List<ChildProcess> workers, List<String> problems, PrintStream out) {
        Set<Long> seen = new HashSet<>();
        int all = 0;
        int duplicates = 0;
        int wrongSlot = 0;
        out.println();
        out.println("worker      slot  token                  ids");
        for (ChildProcess w : workers) {
            String[] slot = w.last("SLOT").orElseThrow();
            int mine = Integer.parseInt(slot[1]);
            List<Long> ids = issued(w);
            for (long id : ids) {
                all++;
                if (!seen.add(id)) {
                    duplicates++;
                }
                if (SnowflakeIds.workerOf(id) != mine) {
                    wrongSlot++;
                }
            }
            out.printf(Locale.ROOT, "%-11s %4d  %-20s %5d%n", w.name(), mine, slot[2], ids.size());
        }
        if (duplicates > 0) {
            problems.add(duplicates + " ids were issued more than once");
        }
        if (wrongSlot > 0) {
            problems.add(wrongSlot + " ids do not carry their issuer's slot");
        }
        out.printf(Locale.ROOT, "ids issued %d, duplicates %d, with a foreign slot %d%n", all, duplicates, wrongSlot);
        out.println(problems.isEmpty() ? "OK: every check held" : "FAILED: " + String.join("; ", problems));
        return new Result(all, duplicates, wrongSlot, List.copyOf(problems));
    }
}
