package io.coord.testservers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Redis Cluster of {@code n} masters (no replicas) started by the kit on loopback: each node is a
 * {@link RedisProcess} with {@code --cluster-enabled yes} and its {@code nodes.conf} in its own
 * temporary directory. Slots are assigned with {@code redis-cli --cluster create ... --cluster-replicas 0
 * --cluster-yes} when {@code redis-cli} is available, otherwise directly over RESP
 * ({@code CLUSTER ADDSLOTSRANGE}, {@code SET-CONFIG-EPOCH}, {@code MEET}) in the same even split.
 *
 * <p>Guarantees: {@link #start} returns only when every node reports {@code cluster_state:ok}, all
 * 16384 slots assigned and all {@code n} nodes known (bounded by {@link #READY_TIMEOUT}); otherwise
 * it fails and leaves nothing running. {@link #close()} kills every node and waits for the exits.
 *
 * <p>With a {@link RedisTls} every node serves TLS only, the cluster bus and replication use TLS
 * ({@code --tls-cluster yes --tls-replication yes}), slots are assigned over (TLS) RESP, and the
 * nodes announce their TLS ports, so clients that follow redirects reach them over TLS.
 */
public final class RedisCluster implements RedisClusterServer {
    private static final Logger LOG = LoggerFactory.getLogger(RedisCluster.class);
    /** Upper bound for the cluster to converge after slots are assigned. */
    public static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(60);
    private static final int SLOTS = 16384;

    private final List<RedisProcess> nodes;
    private final Optional<RedisTls> tls;
    private boolean closed;

    private RedisCluster(List<RedisProcess> nodes, Optional<RedisTls> tls) {
        this.nodes = List.copyOf(nodes);
        this.tls = tls;
    }

    /**
     * Starts {@code masters} (at least 3) cluster-enabled nodes from {@code redisServer} and joins them.
     *
     * @param redisCli the {@code redis-cli} binary, or empty to assign slots over RESP
     * @param redisServer the {@code redis-server} binary
     * @param masters the number of masters, 3 to 16 (no replicas)
     * @return the running cluster, {@code cluster_state:ok} on every node; close it when done
     * @throws IllegalArgumentException if {@code masters} is out of [3, 16]
     * @throws IllegalStateException when the cluster does not converge in time
     */
    public static RedisCluster start(Path redisServer, Optional<Path> redisCli, int masters) {
        return start(redisServer, redisCli, masters, Optional.empty());
    }

    /**
     * Starts a 3-master cluster serving TLS only, its bus and replication over TLS too (see the class comment).
     *
     * @param redisServer the {@code redis-server} binary
     * @param tls the certificates every node serves and requires
     * @return the running cluster, {@code cluster_state:ok} on every node; close it when done
     * @throws IllegalStateException when the cluster does not converge in time
     */
    public static RedisCluster start(Path redisServer, RedisTls tls) {
        return start(redisServer, Optional.empty(), 3, Optional.of(Objects.requireNonNull(tls, "tls")));
    }

    private static RedisCluster start(Path redisServer, Optional<Path> redisCli, int masters, Optional<RedisTls> tls) {
        Objects.requireNonNull(redisServer, "redisServer");
        if (masters < 3 || masters > 16) {
            throw new IllegalArgumentException("a Redis Cluster needs 3..16 masters, was " + masters);
        }
        List<RedisProcess> nodes = new ArrayList<>();
        RedisCluster cluster = null;
        try {
            for (int i = 0; i < masters; i++) {
                List<String> args = new ArrayList<>(List.of(
                        "--cluster-enabled", "yes",
                        "--cluster-config-file", "{dir}/nodes-{port}.conf",
                        "--cluster-node-timeout", "2000"));
                if (tls.isPresent()) {
                    args.addAll(RedisTls.clusterArgs());
                }
                nodes.add(RedisProcess.start(redisServer, args, tls));
            }
            cluster = new RedisCluster(nodes, tls);
            Reaper.register(cluster);
            if (redisCli.isPresent() && tls.isEmpty()) {
                cluster.createWithCli(redisCli.get());
            } else {
                cluster.createOverResp();
            }
            cluster.awaitClusterOk(READY_TIMEOUT);
            LOG.info("redis cluster ready: {}", cluster.seedUris());
            return cluster;
        } catch (RuntimeException e) {
            if (cluster != null) {
                cluster.close();
            } else {
                nodes.forEach(RedisProcess::close);
            }
            throw e;
        }
    }

    /**
     * Starts a 3-master cluster, using {@code redis-cli} from PATH when present.
     *
     * @param redisServer the {@code redis-server} binary
     * @return the running cluster, {@code cluster_state:ok} on every node; close it when done
     * @throws IllegalStateException when the cluster does not converge in time
     */
    public static RedisCluster start(Path redisServer) {
        return start(redisServer, TestServerPolicy.findOnPath("redis-cli", System.getenv("PATH")), 3);
    }

    private void createWithCli(Path cli) {
        List<String> cmd = new ArrayList<>(List.of(cli.toString(), "--cluster", "create"));
        for (RedisProcess n : nodes) {
            cmd.add("127.0.0.1:" + n.port());
        }
        cmd.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
        Path log = nodes.get(0).dir().resolve("cluster-create.log");
        try {
            Process p = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .start();
            try {
                if (!p.waitFor(CLI_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                    throw new IllegalStateException("redis-cli --cluster create did not finish within " + CLI_TIMEOUT
                            + "; log " + log + ":\n" + tail(log));
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while creating the redis cluster", e);
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("redis-cli --cluster create failed (exit " + p.exitValue() + "); log "
                        + log + ":\n" + tail(log));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + cmd, e);
        }
    }

    /** Same layout as redis-cli: even contiguous slot ranges, distinct config epochs, full mesh via MEET. */
    private void createOverResp() {
        int n = nodes.size();
        for (int i = 0; i < n; i++) {
            int from = (int) ((long) SLOTS * i / n);
            int to = (int) ((long) SLOTS * (i + 1) / n) - 1;
            try (RespConnection c = nodes.get(i).connect()) {
                c.command("CLUSTER", "ADDSLOTSRANGE", Integer.toString(from), Integer.toString(to));
                c.command("CLUSTER", "SET-CONFIG-EPOCH", Integer.toString(i + 1));
            }
        }
        try (RespConnection c = nodes.get(0).connect()) {
            for (int i = 1; i < n; i++) {
                c.command("CLUSTER", "MEET", "127.0.0.1", Integer.toString(nodes.get(i).port()));
            }
        }
    }

    /**
     * Polls every node until {@code cluster_state:ok}, all slots ok and all nodes known, at most {@code timeout}.
     *
     * @param timeout how long to poll (every 50 ms)
     * @throws IllegalStateException with the last CLUSTER INFO seen when the cluster does not converge
     */
    public void awaitClusterOk(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        do {
            boolean allOk = true;
            for (RedisProcess node : nodes) {
                String info;
                try (RespConnection c = RespConnection.open(node.host(), node.port(), Duration.ofMillis(500), tls)) {
                    info = c.commandString("CLUSTER", "INFO");
                } catch (RuntimeException e) {
                    info = "unreachable: " + e;
                }
                if (!isOk(info)) {
                    allOk = false;
                    last = node.uri() + ": " + info;
                    break;
                }
            }
            if (allOk) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        } while (System.nanoTime() < deadline);
        throw new IllegalStateException("redis cluster not ok within " + timeout + "; last CLUSTER INFO from " + last);
    }

    private boolean isOk(String info) {
        return "ok".equals(RespConnection.field(info, "cluster_state"))
                && Integer.toString(SLOTS).equals(RespConnection.field(info, "cluster_slots_ok"))
                && Integer.toString(nodes.size()).equals(RespConnection.field(info, "cluster_known_nodes"));
    }

    /**
     * The index of the node that serves {@code key}'s hash slot (asks the cluster).
     *
     * @param key any key
     * @return the index into {@link #nodes()} of the master owning the key's slot now
     * @throws IllegalStateException if no node of this cluster serves the slot
     */
    public int nodeIndexForKey(String key) {
        try (RespConnection c = nodes.get(0).connect()) {
            long slot = (Long) c.command("CLUSTER", "KEYSLOT", key);
            Object slots = c.command("CLUSTER", "SLOTS");
            for (Object o : (List<?>) slots) {
                List<?> range = (List<?>) o;
                if ((Long) range.get(0) <= slot && slot <= (Long) range.get(1)) {
                    long port = (Long) ((List<?>) range.get(2)).get(1);
                    for (int i = 0; i < nodes.size(); i++) {
                        if (nodes.get(i).port() == port) {
                            return i;
                        }
                    }
                }
            }
        }
        throw new IllegalStateException("no node serves the slot of key '" + key + "'");
    }

    @Override
    public ServerSource source() {
        return ServerSource.BINARY;
    }

    @Override
    public List<String> seedUris() {
        List<String> uris = new ArrayList<>();
        for (RedisProcess n : nodes) {
            uris.add(n.uri());
        }
        return uris;
    }

    @Override
    public Optional<RedisTls> tls() {
        return tls;
    }

    @Override
    public List<RedisProcess> nodes() {
        return nodes;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            for (RedisProcess n : nodes) {
                n.close();
            }
        } finally {
            Reaper.unregister(this);
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ")";
        }
    }

    @Override
    public String toString() {
        return "RedisCluster" + seedUris();
    }
}
