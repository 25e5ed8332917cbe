package io.coord.bench;

import io.coord.Coordinator;
import io.coord.Session;
import io.coord.lock.LockGrant;
import io.coord.testservers.EtcdServer;
import io.coord.testservers.RedisServer;
import io.coord.testservers.TestServers;
import io.coord.testservers.ZooKeeperTestServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The benchmark harness (run by scripts/bench.sh [--smoke]): per backend (single etcd node, single Redis,
 * in-process ZooKeeper) the raw client floor, coord lock and fair lock, and the peer libraries;
 * uncontended p50/p99, contended throughput at 4/32/64 participants (each its own client), FIFO
 * overtakes, wake-ups per release, and threads/heap at many pending acquireAsync(). etcd also has a
 * contended raw floor (txn put-if-absent, else watch DELETE, retry). {@code --only etcd|redis|zookeeper}
 * (or -Dbench.only) runs one backend. Prints markdown tables and writes them to
 * coord-bench/target/bench-results.md. Asserts nothing.
 */
public final class Bench {

    /** The contended raw etcd floor (Peers.etcdRawWaiting); the only "raw" subject measured contended. */
    static final String ETCD_FLOOR = "raw jetcd waiting floor (txn put-if-absent, else watch DELETE from rev+1; delete)";

    private final boolean smoke;
    private final int warmup;
    private final int cycles;
    private final long durationMillis;
    private final int[] participants = {4, 32, 64};
    private final int pendingNames;
    private final int pendingSessions;
    private final Map<String, List<String[]>> tables = new LinkedHashMap<>();
    private final String only;
    private int seq;

    private Bench(boolean smoke, String only) {
        this.smoke = smoke;
        this.only = only;
        this.warmup = smoke ? 5 : 200;
        this.cycles = smoke ? 20 : 2000;
        this.durationMillis = smoke ? 500 : 5000;
        this.pendingNames = smoke ? 10 : 100;
        this.pendingSessions = smoke ? 20 : 100;
        tables.put("uncontended", new ArrayList<>());
        tables.put("contended", new ArrayList<>());
        tables.put("pending", new ArrayList<>());
    }

    public static void main(String[] args) throws Exception {
        boolean smoke = List.of(args).contains("--smoke");
        int i = List.of(args).indexOf("--only"); // --only etcd|redis|zookeeper: that backend alone
        String only = i >= 0 && i + 1 < args.length ? args[i + 1] : System.getProperty("bench.only");
        Bench b = new Bench(smoke, only);
        long start = System.nanoTime();
        b.run();
        String md = b.markdown(Duration.ofNanos(System.nanoTime() - start));
        System.out.println(md);
        Path out = Path.of(System.getProperty("bench.out", "coord-bench/target/bench-results" + (smoke ? "-smoke" : "") + ".md"));
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, md);
        System.out.println("written: " + out.toAbsolutePath());
        System.exit(0);
    }

    private boolean selected(String backend) {
        return only == null || only.isBlank() || only.equals(backend);
    }

    private void run() {
        if (selected("etcd")) {
            etcd();
        }
        if (selected("redis")) {
            redis();
        }
        if (selected("zookeeper")) {
            zookeeper();
        }
    }

    private void etcd() {
        try (EtcdServer etcd = TestServers.etcd()) {
            String uri = etcd.coordUri("bench");
            backend("etcd", Map.of(
                    "raw jetcd (txn put-if-absent + delete)", Peers.etcdRaw(etcd.endpoints()),
                    ETCD_FLOOR, Peers.etcdRawWaiting(etcd.endpoints()),
                    "coord lock", Peers.coord(uri, false),
                    "coord fair lock", Peers.coord(uri, true),
                    "jetcd Lock RPC (fair)", Peers.etcdLockRpc(etcd.endpoints())), uri);
        } catch (Exception e) {
            failed("etcd", e);
        }
    }

    private void redis() {
        try (RedisServer redis = TestServers.redis()) {
            String uri = redis.coordUri("bench");
            backend("redis", Map.of(
                    "raw lettuce (SET NX PX + Lua CAD)", Peers.redisRaw(redis.uri()),
                    "coord lock", Peers.coord(uri, false),
                    "coord fair lock", Peers.coord(uri, true)), uri);
            redisson(redis.host(), redis.port());
        } catch (Exception e) {
            failed("redis", e);
        }
    }

    private void zookeeper() {
        // tick 1 s: sessions up to 20 s (the default 200 ms tick caps them at 4 s, which 10 000 pending
        // acquisitions on 2 loaded cores outlived in the before run); the tick does not touch request latency.
        try (ZooKeeperTestServer zk = ZooKeeperTestServer.start(1000)) {
            String uri = "zookeeper://" + zk.connectString() + "/bench";
            backend("zookeeper", Map.of(
                    "raw Curator (create e-seq + getChildren + delete)", Peers.zkRaw(zk.connectString()),
                    "coord lock", Peers.coord(uri, false),
                    "coord fair lock", Peers.coord(uri, true),
                    "Curator InterProcessMutex (fair)", Peers.curatorMutex(zk.connectString())), uri);
        } catch (Exception e) {
            failed("zookeeper", e);
        }
    }

    private void failed(String backend, Exception e) {
        System.err.println(backend + " failed: " + e);
        e.printStackTrace();
        tables.get("uncontended").add(new String[] {backend, "FAILED: " + Measure.rootMessage(e), "", "", ""});
    }

    private void backend(String backend, Map<String, Participant.Factory> subjects, String coordUri) {
        List<String> order = new ArrayList<>(subjects.keySet());
        order.sort((a, b) -> rank(a) - rank(b));
        for (String subject : order) {
            log(backend + " / " + subject + ": uncontended");
            try (Participant p = subjects.get(subject).open("u-" + (++seq))) {
                Measure.Uncontended u = Measure.uncontended(p, warmup, cycles);
                add("uncontended", backend, subject, u.p50Micros(), u.p99Micros(), u.cycles());
            } catch (Exception e) {
                add("uncontended", backend, subject, "error", Measure.rootMessage(e), 0);
            }
        }
        for (String subject : order) {
            if (subject.startsWith("raw") && !subject.equals(ETCD_FLOOR)) {
                continue; // these floors are not waiting locks; etcd's waiting floor is
            }
            for (int n : participants) {
                log(backend + " / " + subject + ": contended x" + n);
                try {
                    Measure.Contended c = Measure.contended(subjects.get(subject), "c-" + (++seq), n, durationMillis);
                    add("contended", backend, subject, n + (c.opened() < n ? " (" + c.opened() + " opened)" : ""),
                            c.perSecond(), c.grants(), c.overtakes(), c.wakeupsPerRelease(),
                            ((subject.equals(ETCD_FLOOR) ? "wake-ups = DELETE events that woke a waiter (thundering herd) "
                                    : "") + c.note()).trim());
                } catch (Exception e) {
                    add("contended", backend, subject, n, "error", 0, 0, Double.NaN, Measure.rootMessage(e));
                }
            }
        }
        log(backend + ": pending acquireAsync");
        try {
            pending(backend, coordUri);
        } catch (Exception e) {
            add("pending", backend, pendingNames * pendingSessions, "error", "", "", "", Measure.rootMessage(e));
        }
    }

    private static int rank(String subject) {
        // the plain floor first: the uncontended ratios take the first "raw" row
        return subject.equals(ETCD_FLOOR) ? 1 : subject.startsWith("raw") ? 0 : subject.startsWith("coord lock") ? 2
                : subject.startsWith("coord fair") ? 3 : 4;
    }

    /**
     * pendingSessions sessions on ONE coordinator each call acquireAsync() on pendingNames lock names that a
     * session on another coordinator holds: pendingSessions × pendingNames pending acquisitions.
     */
    private void pending(String backend, String uri) throws Exception {
        String prefix = "p-" + (++seq) + "-";
        try (Coordinator holderC = Coordinator.open(uri); Coordinator waiterC = Coordinator.open(uri)) {
            Session holder = holderC.openSession(Duration.ofSeconds(60));
            List<LockGrant> held = new ArrayList<>();
            for (int i = 0; i < pendingNames; i++) {
                held.add(holder.lock(prefix + i).acquire());
            }
            List<Session> sessions = new ArrayList<>();
            for (int s = 0; s < pendingSessions; s++) {
                sessions.add(waiterC.openSession(Duration.ofSeconds(60)));
            }
            int threads0 = threads();
            double heap0 = heapMb();
            List<CompletableFuture<LockGrant>> futures = new ArrayList<>();
            for (Session s : sessions) {
                for (int i = 0; i < pendingNames; i++) {
                    futures.add(s.lock(prefix + i).acquireAsync());
                }
            }
            int threads1 = settledThreads();
            double heap1 = heapMb();
            long failed = futures.stream().filter(CompletableFuture::isCompletedExceptionally).count();
            long granted = futures.stream().filter(f -> f.isDone() && !f.isCompletedExceptionally()).count();
            String cause = futures.stream().filter(CompletableFuture::isCompletedExceptionally).findFirst()
                    .map(f -> {
                        try {
                            f.join();
                            return "";
                        } catch (RuntimeException e) {
                            return Measure.rootMessage(e);
                        }
                    }).orElse("");
            for (CompletableFuture<LockGrant> f : futures) {
                f.cancel(true);
            }
            add("pending", backend, futures.size(), threads0, threads1, heap0, heap1,
                    (failed + granted > 0 ? failed + " failed, " + granted + " granted before the measurement " : "") + cause);
            for (Session s : sessions) {
                s.close();
            }
            for (LockGrant g : held) {
                g.release();
            }
            holder.close();
        }
    }

    private static int threads() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }

    /** Thread count once it stops changing (3 equal samples 250 ms apart, at most 60 s). */
    private static int settledThreads() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int last = -1;
        int same = 0;
        while (System.nanoTime() < deadline && same < 3) {
            TimeUnit.MILLISECONDS.sleep(250);
            int t = threads();
            same = t == last ? same + 1 : 0;
            last = t;
        }
        return last;
    }

    private static double heapMb() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024.0 * 1024.0);
    }

    /** Runs the Redisson peers in their own JVM (netty 4.1) and adds the rows it prints. */
    private void redisson(String host, int port) {
        String cp = System.getProperty("bench.redisson.cp");
        if (cp == null || cp.isBlank()) {
            add("uncontended", "redis", "Redisson RLock / RFairLock", "skipped", "bench.redisson.cp not set", 0);
            return;
        }
        log("redis / Redisson (child JVM)");
        try {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", cp, "io.coord.bench.redisson.RedissonBench", host, String.valueOf(port),
                    String.valueOf(warmup), String.valueOf(cycles), String.valueOf(durationMillis)));
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("ROW\t")) {
                        String[] f = line.split("\t", -1);
                        String[] cells = new String[f.length - 2];
                        System.arraycopy(f, 2, cells, 0, cells.length);
                        tables.get(f[1]).add(cells);
                    } else {
                        System.out.println("[redisson] " + line);
                    }
                }
            }
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
            }
        } catch (Exception e) {
            add("uncontended", "redis", "Redisson", "error", Measure.rootMessage(e), 0);
        }
    }

    private void add(String table, Object... cells) {
        String[] s = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            s[i] = Measure.format(cells[i]);
        }
        tables.get(table).add(s);
        System.out.println("  " + table + ": " + String.join(" | ", s));
    }

    private static void log(String s) {
        System.out.println("[" + Instant.now() + "] " + s);
    }

    private String markdown(Duration took) {
        StringBuilder b = new StringBuilder();
        b.append("# coord benchmark").append(smoke ? " (SMOKE: tiny counts, numbers meaningless)" : "").append("\n\n");
        b.append("Run ").append(Instant.now()).append(", took ").append(took.toSeconds()).append(" s; ")
                .append(cycles).append(" uncontended cycles after ").append(warmup).append(" warm-up; contended ")
                .append(durationMillis).append(" ms per point; ").append(Runtime.getRuntime().availableProcessors())
                .append(" CPUs; java ").append(System.getProperty("java.version"))
                .append(selected("") ? "" : "; backend: " + only + " only").append(".\n\n");
        table(b, "Uncontended acquire + release (one client)", "backend | subject | p50 µs | p99 µs | cycles",
                tables.get("uncontended"));
        table(b, "Contended (each participant its own client / coordinator + session; one lock name)",
                "backend | subject | participants | acquisitions/s | grants | FIFO overtakes | wake-ups per release | note",
                tables.get("contended"));
        table(b, "Pending acquireAsync() on one coordinator (" + pendingSessions + " sessions × " + pendingNames
                + " names held by another coordinator)",
                "backend | pending | live threads before | live threads pending | heap MB before | heap MB pending | note",
                tables.get("pending"));
        table(b, "Ratios (> 1 on a time = coord slower; > 1 on a throughput = coord faster)",
                "backend | coord lock / raw p50 | coord fair / raw p50 | coord lock / best peer p50 | coord lock / best peer p99"
                        + " | coord fair / best fair peer p50 | coord fair / best fair peer acq/s @4 | @32 | @64"
                        + " | coord fair acq/s @64 / @4 | coord fair / raw waiting floor acq/s @4 | @32 | @64",
                ratios());
        return b.toString();
    }

    /** The ratio columns of docs/benchmarks.md, from the rows above ("–" where a number is missing). */
    private List<String[]> ratios() {
        List<String[]> out = new ArrayList<>();
        for (String backend : List.of("etcd", "redis", "zookeeper")) {
            if (!selected(backend)) {
                continue;
            }
            double raw = cell("uncontended", backend, "raw", 2);
            double lock50 = cell("uncontended", backend, "coord lock", 2);
            double lock99 = cell("uncontended", backend, "coord lock", 3);
            double fair50 = cell("uncontended", backend, "coord fair", 2);
            double peer50 = bestPeer("uncontended", backend, false, 2, null, false);
            double peer99 = bestPeer("uncontended", backend, false, 3, null, false);
            double fairPeer50 = bestPeer("uncontended", backend, true, 2, null, false);
            List<Object> r = new ArrayList<>(List.of(backend, lock50 / raw, fair50 / raw, lock50 / peer50, lock99 / peer99,
                    fair50 / fairPeer50));
            for (String n : List.of("4", "32", "64")) {
                r.add(contended(backend, "coord fair", n) / bestPeer("contended", backend, true, 3, n, true));
            }
            r.add(contended(backend, "coord fair", "64") / contended(backend, "coord fair", "4"));
            for (String n : List.of("4", "32", "64")) { // only etcd has a contended raw row: "–" elsewhere
                r.add(contended(backend, "coord fair", n) / contended(backend, "raw", n));
            }
            out.add(r.stream().map(Measure::format).toArray(String[]::new));
        }
        return out;
    }

    private double cell(String table, String backend, String subjectPrefix, int column) {
        for (String[] r : tables.get(table)) {
            if (r[0].equals(backend) && r[1].startsWith(subjectPrefix)) {
                return number(r[column]);
            }
        }
        return Double.NaN;
    }

    private double contended(String backend, String subjectPrefix, String n) {
        for (String[] r : tables.get("contended")) {
            if (r[0].equals(backend) && r[1].startsWith(subjectPrefix) && r[2].split(" ")[0].equals(n)) {
                return number(r[3]);
            }
        }
        return Double.NaN;
    }

    /** Best (lowest time, or highest throughput) among peers: neither raw nor coord; fairOnly = "(fair)" in the name. */
    private double bestPeer(String table, String backend, boolean fairOnly, int column, String n, boolean higherIsBetter) {
        double best = Double.NaN;
        for (String[] r : tables.get(table)) {
            if (!r[0].equals(backend) || r[1].startsWith("raw") || r[1].startsWith("coord")
                    || (fairOnly && !r[1].contains("(fair)")) || (n != null && !r[2].split(" ")[0].equals(n))) {
                continue;
            }
            double v = number(r[column]);
            if (!Double.isNaN(v) && (Double.isNaN(best) || (higherIsBetter ? v > best : v < best))) {
                best = v;
            }
        }
        return best;
    }

    private static double number(String s) {
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private static void table(StringBuilder b, String title, String header, List<String[]> rows) {
        b.append("## ").append(title).append("\n\n| ").append(header).append(" |\n|");
        for (int i = 0; i < header.split("\\|").length; i++) {
            b.append("---|");
        }
        b.append('\n');
        for (String[] r : rows) {
            b.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        b.append('\n');
    }
}
