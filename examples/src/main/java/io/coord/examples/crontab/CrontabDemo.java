package io.coord.examples.crontab;

import io.coord.CoordException;
import io.coord.Coordinator;
import io.coord.Session;
import io.coord.examples.CommandLine;
import io.coord.examples.EmbeddedZooKeeper;
import io.coord.examples.Timeline;
import io.coord.fencing.ZooKeeperFence;
import org.apache.zookeeper.ZooKeeper;
import java.io.PrintStream;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A distributed crontab: several jobs, each due every second, sharded across three workers by shard ownership
 * ({@code session.shards}); job {@code j} lives on shard {@code j % shards}, and each tick of each job must run
 * exactly once in the whole cluster. Midway the owner of the first job's shard is cut off from the cluster in the
 * middle of a run (its network partitioned, as a frozen process would be) without releasing anything; once its
 * session has expired the others take its shards over and catch up, from each job's durable watermark in the
 * fenced store, the ticks that fell due during the failover; when the cut-off worker later wakes up as a zombie
 * and finishes its run with its old token, the fenced store rejects it. One job fails on purpose: RETRYING after
 * 1 s, 2 s and 4 s, then its alert is raised and it is paused. The algorithm, and why no tick is lost and none runs
 * twice, are explained on {@link Worker}.
 *
 * <p>How the crash is made: every worker has its own client, as a separate process would, and that client reaches
 * the servers through a {@link WorkerNetwork} of its own — one loopback TCP proxy per server endpoint, owned by the
 * demo. The crash black-holes the worker's proxies: connections stay open and nothing is delivered either way, so
 * the cluster sees a process that stopped (no renewal, nothing released; its session and shard locks are freed
 * when the TTL runs out), and the client sees its session suspend and then expire. A Redis Cluster URI
 * ({@code cluster=true}) cannot be proxied, because the client follows redirects to the nodes' own addresses: with
 * it, only {@code --crash-at 0} runs.
 *
 * <pre>
 * mvn -q -pl examples exec:java                                          # embedded ZooKeeper
 * mvn -q -pl examples exec:java -Dexec.args="etcd://127.0.0.1:2379/demo --ticks 30 --crash-at 10"
 * </pre>
 *
 * Ends with a summary and exits 0, or 1 if the invariant broke (a tick ran twice, a tick was lost, or a stale write
 * was accepted), 2 on bad arguments, 3 if the run itself failed (e.g. backend unreachable).
 */
public final class CrontabDemo {

    static final String USAGE = """
            usage: CrontabDemo [BACKEND_URI] [--ticks N] [--crash-at TICK] [--ttl DURATION] [--period DURATION]
                               [--workers N] [--jobs N] [--shards N] [--fail-from TICK]
              BACKEND_URI   zookeeper://host:port/ns, etcd://host:port/ns or redis://host:port/ns;
                            default: an embedded in-process ZooKeeper
              --ticks       ticks each job is scheduled (default 20)
              --crash-at    the owner of the first job's shard is cut off from the cluster (its network
                            partitioned, as a frozen process would be) in the middle of that job's run of
                            this tick; 0 = no crash (default 8)
              --ttl         session TTL, e.g. 2s or 1500ms (default 2s)
              --period      time between ticks (default 1s)
              --workers     worker nodes (default 3)
              --jobs        jobs in the crontab, job j on shard j % shards (default 6)
              --shards      shards of the group (default 8)
              --fail-from   the last job fails every attempt from this tick on: retried after 1 s, 2 s, 4 s,
                            then alert + paused; and the second job's first attempt at the next tick fails;
                            0 = no job fails (default 4)""";

    /** Tick time of the embedded ZooKeeper: session timeouts from 400 ms to 4 s are legal. */
    private static final int EMBEDDED_TICK_TIME_MS = 200;

    private CrontabDemo() {
    }

    /** What to run; {@code uri == null} means an embedded ZooKeeper. */
    record Config(String uri, int ticks, int crashAt, Duration ttl, Duration period, int workers,
                  int jobs, int shards, int failFrom) {

        static Config defaults() {
            return new Config(null, 20, 8, Duration.ofSeconds(2), Duration.ofSeconds(1), 3, 6, 8, 4);
        }

        /** Parses the command line; throws IllegalArgumentException saying what is wrong. */
        static Config parse(String... args) {
            Config c = defaults();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                if (!arg.startsWith("--")) {
                    if (c.uri != null) {
                        throw new IllegalArgumentException("only one backend URI may be given, got '" + c.uri + "' and '" + arg + "'");
                    }
                    c = new Config(arg, c.ticks, c.crashAt, c.ttl, c.period, c.workers, c.jobs, c.shards, c.failFrom);
                    continue;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(arg + " needs a value");
                }
                String value = args[++i];
                c = switch (arg) {
                    case "--ticks" -> new Config(c.uri, CommandLine.intIn(arg, value, 1, 10_000), c.crashAt, c.ttl, c.period, c.workers, c.jobs, c.shards, c.failFrom);
                    case "--crash-at" -> new Config(c.uri, c.ticks, CommandLine.intIn(arg, value, 0, 10_000), c.ttl, c.period, c.workers, c.jobs, c.shards, c.failFrom);
                    case "--ttl" -> new Config(c.uri, c.ticks, c.crashAt, duration(arg, value), c.period, c.workers, c.jobs, c.shards, c.failFrom);
                    case "--period" -> new Config(c.uri, c.ticks, c.crashAt, c.ttl, duration(arg, value), c.workers, c.jobs, c.shards, c.failFrom);
                    case "--workers" -> new Config(c.uri, c.ticks, c.crashAt, c.ttl, c.period, CommandLine.intIn(arg, value, 1, 20), c.jobs, c.shards, c.failFrom);
                    case "--jobs" -> new Config(c.uri, c.ticks, c.crashAt, c.ttl, c.period, c.workers, CommandLine.intIn(arg, value, 1, 64), c.shards, c.failFrom);
                    case "--shards" -> new Config(c.uri, c.ticks, c.crashAt, c.ttl, c.period, c.workers, c.jobs, CommandLine.intIn(arg, value, 1, 256), c.failFrom);
                    case "--fail-from" -> new Config(c.uri, c.ticks, c.crashAt, c.ttl, c.period, c.workers, c.jobs, c.shards, CommandLine.intIn(arg, value, 0, 10_000));
                    default -> throw new IllegalArgumentException("unknown option " + arg);
                };
            }
            if (c.uri != null) {
                checkCrashPossible(BackendUri.parse(c.uri), c.crashAt);
            }
            if (c.crashAt > c.ticks) {
                throw new IllegalArgumentException("--crash-at " + c.crashAt + " is after the last tick " + c.ticks);
            }
            if (c.failFrom > c.ticks) {
                throw new IllegalArgumentException("--fail-from " + c.failFrom + " is after the last tick " + c.ticks);
            }
            if (c.failFrom > 0 && c.jobs < 2) {
                throw new IllegalArgumentException("--fail-from needs at least 2 jobs (the first is the crash job, the last fails)");
            }
            if (c.period.toMillis() < 100) {
                throw new IllegalArgumentException("--period must be at least 100ms, got " + c.period.toMillis() + "ms");
            }
            return c;
        }

        /** Refuses a crash that cannot be simulated: a Redis Cluster client cannot be proxied. */
        static void checkCrashPossible(BackendUri backend, int crashAt) {
            if (backend.isRedisCluster() && crashAt > 0) {
                throw new IllegalArgumentException("cannot simulate the crash on a Redis Cluster URI (cluster=true): "
                        + "the crash cuts the leader off at a proxy, but a cluster client follows redirects to the "
                        + "nodes' own addresses and would bypass it; --crash-at 0 runs without the crash");
            }
        }

        private static Duration duration(String option, String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            try {
                if (v.endsWith("ms")) {
                    return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
                }
                if (v.endsWith("s")) {
                    return Duration.ofMillis(Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 1000));
                }
                return Duration.parse(value);
            } catch (NumberFormatException | DateTimeParseException e) {
                throw new IllegalArgumentException(option + " must be a duration such as 2s, 1500ms or PT2S, got '" + value + "'");
            }
        }
    }

    public static void main(String[] args) {
        if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
            System.out.println(USAGE);
            System.exit(0);
        }
        int status;
        try {
            status = run(Config.parse(args), System.out).exitStatus();
        } catch (IllegalArgumentException e) {
            System.err.println("crontab: " + e.getMessage());
            System.err.println(USAGE);
            status = 2;
        } catch (CoordException e) {                      // e.g. the backend is unreachable
            System.err.println("crontab: the run failed: " + e.getMessage());
            status = 3;
        } catch (Exception e) {
            System.err.println("crontab: the run failed: " + e);
            e.printStackTrace();
            status = 3;
        }
        System.exit(status);                              // also ends any thread a backend left behind
    }

    /**
     * Runs the demo and prints its story and summary to {@code out}. Every thread, client, proxy and server it
     * starts is stopped before it returns.
     */
    static Summary run(Config config, PrintStream out) throws Exception {
        Timeline console = new Timeline(out);
        EmbeddedZooKeeper zookeeper = null;
        ZooKeeper storeClient = null;
        List<WorkerNetwork> networks = new ArrayList<>();
        List<Coordinator> coordinators = new ArrayList<>();
        List<Worker> workers = new ArrayList<>();
        Duration grantedTtl = null;
        Summary summary;
        try {
            String uri = config.uri();
            if (uri == null) {
                zookeeper = EmbeddedZooKeeper.start(EMBEDDED_TICK_TIME_MS);
                uri = "zookeeper://" + zookeeper.connectString() + "/crontab";
                console.say("embedded ZooKeeper on %s (tickTime %d ms)", zookeeper.connectString(), zookeeper.tickTimeMillis());
            }
            BackendUri backend = BackendUri.parse(uri);
            Config.checkCrashPossible(backend, config.crashAt());
            List<Job> crontab = Job.crontab(config.jobs(), config.shards(), config.failFrom());
            console.say("%d workers share %d shards of group '%s'; %d jobs (job j on shard j %% %d), %d ticks each every %d ms; "
                    + "%s; session TTL %d ms, backend %s",
                    config.workers(), config.shards(), Worker.GROUP, config.jobs(), config.shards(), config.ticks(),
                    config.period().toMillis(),
                    config.crashAt() == 0 ? "no crash"
                            : "the owner of " + crontab.get(0).name() + "'s shard is cut off from the cluster (its network "
                            + "partitioned, as a frozen process would be) mid-run at tick " + config.crashAt(),
                    config.ttl().toMillis(), uri);
            console.say("crontab: %s", crontab.stream().map(CrontabDemo::describe).collect(Collectors.joining(", ")));

            boolean proxied = !backend.isRedisCluster();             // a cluster client would bypass the proxies
            if (zookeeper == null) {                                  // the backend is elsewhere: ZooKeeper only for the store
                zookeeper = EmbeddedZooKeeper.start(EMBEDDED_TICK_TIME_MS);
            }
            storeClient = EmbeddedZooKeeper.connect(zookeeper.connectString());
            // The store lives in this process, beside the ZooKeeper that fences it: it outlives every worker, as the
            // database it stands for would.
            FencedStore store = new FencedStore(ZooKeeperFence.of(storeClient), "crontab");
            console.say("store: job records fenced by a ZooKeeperFence (coord-fencing) per shard on the embedded "
                    + "ZooKeeper %s: it rejects stale tokens itself, and outlives the workers", zookeeper.connectString());
            CrashPlan crashPlan = new CrashPlan(config.crashAt(), crontab.get(0).name());
            for (int i = 1; i <= config.workers(); i++) {
                WorkerNetwork network = proxied ? WorkerNetwork.proxied(backend) : WorkerNetwork.direct(backend);
                networks.add(network);
                Coordinator coordinator = Coordinator.open(network.uri());  // one client per worker, like separate processes
                coordinators.add(coordinator);
                Session session = coordinator.openSession(config.ttl());
                grantedTtl = grantedTtl == null ? session.grantedTtl() : grantedTtl;
                console.say("worker-%d: %s, session %s, TTL %d ms granted", i,
                        proxied ? "via its own proxy " + String.join(",", network.proxyAddresses()) : "direct (no proxy)",
                        session.id(), session.grantedTtl().toMillis());
                Worker worker = new Worker("worker-" + i, network, session, config.ttl(), crontab, config.shards(),
                        store, crashPlan, console);
                workers.add(worker);
                worker.join();                                // in join order: each join moves its share
                awaitBalanced(workers, config.shards(), console);
            }
            long period = config.period().toMillis();
            Worker.Schedule schedule = new Worker.Schedule(System.currentTimeMillis() + period, period, config.ticks());
            console.say("every shard owned; tick 1 is due in %d ms", period);
            workers.forEach(w -> w.begin(schedule));

            // Every job ends by itself after its last tick or its pause; the failover and a pause take a few TTLs.
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(
                    schedule.endMillis() - System.currentTimeMillis()) + 3 * config.ttl().toNanos()
                    + TimeUnit.SECONDS.toNanos(15);
            if (!store.awaitSettled(crontab, config.ticks(), deadline)) {
                console.say("not every job was done or paused at the deadline");
            }
            workers.forEach(Worker::quiet);
            summary = Summary.of(uri, config.workers(), grantedTtl, config.period(), crontab, config.shards(),
                    config.ticks(), store.attempts(), crashPlan.failover());
        } finally {
            for (Worker w : workers) {
                w.quiet();
            }
            for (Worker w : workers) {
                if (!w.crashed()) {
                    w.stop();                                 // revokes and releases its shards, leaves the group
                }
            }
            for (int i = 0; i < networks.size(); i++) {
                WorkerNetwork network = networks.get(i);
                if (network.isCut()) {
                    network.close();                          // resets its connections: the client's close cannot hang on them
                }
                if (i < workers.size() && workers.get(i).crashed()) {
                    workers.get(i).stop();
                }
                if (i < coordinators.size()) {
                    Coordinator c = coordinators.get(i);
                    try {
                        c.close();                            // revokes the sessions still alive
                    } catch (RuntimeException e) {
                        console.say("closing %s: %s", c.backend(), e);
                    }
                }
                network.close();
            }
            if (storeClient != null) {
                storeClient.close();
            }
            if (zookeeper != null) {
                zookeeper.close();
            }
        }
        summary.print(out);
        return summary;
    }

    /**
     * Waits until the workers' views agree and are served: every worker owns exactly the shards its view assigns it,
     * those are disjoint and cover every shard, and (with at least as many shards as workers) none is empty — a
     * newcomer that has not seen itself yet, or an old member that has not seen the newcomer, fails one of these.
     */
    private static void awaitBalanced(List<Worker> workers, int shards, Timeline console) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            Set<Integer> owned = new HashSet<>();
            int total = 0;
            boolean settled = true;
            for (Worker w : workers) {
                Set<Integer> assigned = w.ownership().assigned();
                settled &= w.ownership().owned().keySet().equals(assigned) && (shards < workers.size() || !assigned.isEmpty());
                owned.addAll(assigned);
                total += assigned.size();
            }
            if (settled && owned.size() == shards && total == shards) {
                console.say("balanced: %s", workers.stream()
                        .map(w -> w.name() + " " + new TreeSet<>(w.ownership().owned().keySet()))
                        .collect(Collectors.joining(", ")));
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the shards did not settle within 20 s: " + workers.stream()
                        .map(w -> w.ownership().toString()).collect(Collectors.joining(", ")));
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    private static String describe(Job job) {
        String misbehaves = job.failsFrom() > 0 ? " fails from tick " + job.failsFrom()
                : job.flakyAt() > 0 ? " fails tick " + job.flakyAt() + " once" : "";
        return job.name() + " (shard " + job.shard() + misbehaves + ")";
    }
}
