package io.coord.examples.crontab;

import io.coord.CoordException;
import io.coord.Coordinator;
import io.coord.examples.CommandLine;
import io.coord.examples.EmbeddedZooKeeper;
import io.coord.examples.Timeline;
import io.coord.fencing.ZooKeeperFence;
import org.apache.zookeeper.ZooKeeper;
import io.coord.Session;
import java.io.PrintStream;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A distributed crontab: three workers share one job that is due every second; each tick must run
 * exactly once in the whole cluster. Midway the leading worker is cut off from the cluster (its
 * network partitioned, as a frozen process would be) without releasing anything; the others take
 * over within the session TTL, and when the cut-off worker later wakes up as a zombie and finishes
 * its write with its old token, the fenced store rejects it. The algorithm, and why a tick can
 * never be accepted twice, are explained on {@link Worker}.
 *
 * <p>How the crash is made: every worker has its own client, as a separate process would, and
 * that client reaches the servers through a {@link WorkerNetwork} of its own — one loopback TCP
 * proxy per server endpoint, owned by the demo. The crash black-holes the leader's proxies:
 * connections stay open and nothing is delivered either way, so the cluster sees a process that
 * stopped (no renewal, nothing revoked; its session is freed when the TTL runs out), and the
 * client sees its session suspend and then expire. A Redis Cluster URI ({@code cluster=true})
 * cannot be proxied, because the client follows redirects to the nodes' own addresses: with it,
 * only {@code --crash-at 0} runs.
 *
 * <pre>
 * mvn -q -pl examples exec:java                                          # embedded ZooKeeper
 * mvn -q -pl examples exec:java -Dexec.args="etcd://127.0.0.1:2379/demo --ticks 30 --crash-at 10"
 * </pre>
 *
 * Ends with a summary and exits 0, or 1 if the invariant broke (a tick ran twice, or a stale write
 * was accepted), 2 on bad arguments, 3 if the run itself failed (e.g. backend unreachable).
 */
public final class CrontabDemo {

    static final String USAGE = """
            usage: CrontabDemo [BACKEND_URI] [--ticks N] [--crash-at TICK] [--ttl DURATION] [--period DURATION] [--workers N]
              BACKEND_URI   zookeeper://host:port/ns, etcd://host:port/ns or redis://host:port/ns;
                            default: an embedded in-process ZooKeeper
              --ticks       ticks to schedule (default 20)
              --crash-at    the leader is cut off from the cluster (its network partitioned, as a
                            frozen process would be) when this tick is due; 0 = no crash (default 8)
              --ttl         session TTL, e.g. 2s or 1500ms (default 2s)
              --period      time between ticks (default 1s)
              --workers     worker nodes (default 3)""";

    /** Tick time of the embedded ZooKeeper: session timeouts from 400 ms to 4 s are legal. */
    private static final int EMBEDDED_TICK_TIME_MS = 200;

    private CrontabDemo() {
    }

    /** What to run; {@code uri == null} means an embedded ZooKeeper. */
    record Config(String uri, int ticks, int crashAt, Duration ttl, Duration period, int workers) {

        static Config defaults() {
            return new Config(null, 20, 8, Duration.ofSeconds(2), Duration.ofSeconds(1), 3);
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
                    c = new Config(arg, c.ticks, c.crashAt, c.ttl, c.period, c.workers);
                    continue;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(arg + " needs a value");
                }
                String value = args[++i];
                c = switch (arg) {
                    case "--ticks" -> new Config(c.uri, CommandLine.intIn(arg, value, 1, 10_000), c.crashAt, c.ttl, c.period, c.workers);
                    case "--crash-at" -> new Config(c.uri, c.ticks, CommandLine.intIn(arg, value, 0, 10_000), c.ttl, c.period, c.workers);
                    case "--ttl" -> new Config(c.uri, c.ticks, c.crashAt, duration(arg, value), c.period, c.workers);
                    case "--period" -> new Config(c.uri, c.ticks, c.crashAt, c.ttl, duration(arg, value), c.workers);
                    case "--workers" -> new Config(c.uri, c.ticks, c.crashAt, c.ttl, c.period, CommandLine.intIn(arg, value, 1, 20));
                    default -> throw new IllegalArgumentException("unknown option " + arg);
                };
            }
            if (c.uri != null) {
                checkCrashPossible(BackendUri.parse(c.uri), c.crashAt);
            }
            if (c.crashAt > c.ticks) {
                throw new IllegalArgumentException("--crash-at " + c.crashAt + " is after the last tick " + c.ticks);
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
     * Runs the demo and prints its story and summary to {@code out}. Every thread, client, proxy
     * and server it starts is stopped before it returns.
     */
    static Summary run(Config config, PrintStream out) throws Exception {
        Timeline console = new Timeline(out);
        EmbeddedZooKeeper zookeeper = null;
        ZooKeeper storeClient = null;
        List<WorkerNetwork> networks = new ArrayList<>();
        List<Coordinator> coordinators = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
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
            console.say("%d workers, %d ticks every %d ms, %s, session TTL %d ms, backend %s",
                    config.workers(), config.ticks(), config.period().toMillis(),
                    config.crashAt() == 0 ? "no crash"
                            : "the leader is cut off from the cluster (its network partitioned, as a frozen process "
                            + "would be) at tick " + config.crashAt(),
                    config.ttl().toMillis(), uri);

            boolean proxied = !backend.isRedisCluster();             // a cluster client would bypass the proxies
            if (zookeeper == null) {                                  // the backend is elsewhere: ZooKeeper only for the store
                zookeeper = EmbeddedZooKeeper.start(EMBEDDED_TICK_TIME_MS);
            }
            storeClient = EmbeddedZooKeeper.connect(zookeeper.connectString());
            FencedStore store = new FencedStore(ZooKeeperFence.of(storeClient), "crontab/job");
            console.say("store: a ZooKeeperFence (coord-fencing) on the embedded ZooKeeper %s: it rejects stale tokens itself",
                    zookeeper.connectString());
            CrashPlan crashPlan = new CrashPlan(config.crashAt());
            List<Session> sessions = new ArrayList<>();
            for (int i = 1; i <= config.workers(); i++) {
                WorkerNetwork network = proxied ? WorkerNetwork.proxied(backend) : WorkerNetwork.direct(backend);
                networks.add(network);
                Coordinator coordinator = Coordinator.open(network.uri());  // one client per worker, like separate processes
                coordinators.add(coordinator);
                Session session = coordinator.openSession(config.ttl());
                sessions.add(session);
                console.say("worker-%d: %s, session %s, TTL %d ms granted", i,
                        proxied ? "via its own proxy " + String.join(",", network.proxyAddresses()) : "direct (no proxy)",
                        session.id(), session.grantedTtl().toMillis());
            }
            long period = config.period().toMillis();
            Worker.Schedule schedule = new Worker.Schedule(System.currentTimeMillis() + period, period, config.ticks());
            for (int i = 1; i <= config.workers(); i++) {
                Worker worker = new Worker("worker-" + i, coordinators.get(i - 1), networks.get(i - 1),
                        sessions.get(i - 1), config.ttl(), schedule, store, crashPlan, console);
                Thread thread = new Thread(worker, "crontab-" + worker.name());
                threads.add(thread);
                thread.start();
            }

            // Every worker ends by itself after the last tick (the zombie at most 3 TTLs later).
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(
                    schedule.endMillis() - System.currentTimeMillis()) + 3 * config.ttl().toNanos()
                    + TimeUnit.SECONDS.toNanos(10);
            for (Thread t : threads) {
                TimeUnit.NANOSECONDS.timedJoin(t, Math.max(1, deadline - System.nanoTime()));
            }
            summary = Summary.of(uri, config.workers(), sessions.get(0).grantedTtl(), config.period(),
                    config.ticks(), store.attempts(), crashPlan.failover());
        } finally {
            stopAll(threads, console);
            for (int i = 0; i < networks.size(); i++) {
                WorkerNetwork network = networks.get(i);
                if (network.isCut()) {
                    network.close();                          // resets its connections: the client's close cannot hang on them
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

    private static void stopAll(List<Thread> threads, Timeline console) throws InterruptedException {
        for (Thread t : threads) {
            if (t.isAlive()) {
                console.say("%s still running at the deadline: interrupting it", t.getName());
                t.interrupt();
                t.join(TimeUnit.SECONDS.toMillis(5));
            }
        }
    }
}
