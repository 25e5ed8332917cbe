package io.coord.testservers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One or more etcd processes started from a binary on free loopback ports (client and peer), as a
 * static cluster ({@code --initial-cluster}) with a temporary data directory per member and
 * {@code --heartbeat-interval 50 --election-timeout 500}, so the minimum lease TTL is 1 s.
 *
 * <p>Guarantees: {@link #start(Path, int)} returns only when every member answers {@code /health}
 * (bounded by {@link #START_TIMEOUT}; a fresh start that lost a port race is retried on new ports,
 * at most 3 times), otherwise it fails with the member's log path and tail and leaves nothing
 * running. {@link #close()} kills every member, waits for the exits and deletes the temporary
 * directory (kept when {@code -Dcoord.keep.server.dirs=true}). Member {@code i} serves
 * {@code endpoints().get(i)}. Each member's stdout/stderr go to {@code <tmp>/<name>.log}.
 */
public final class EtcdCluster implements EtcdServer {
    private static final Logger LOG = LoggerFactory.getLogger(EtcdCluster.class);
    /** Upper bound for a fresh start to become healthy. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final int START_ATTEMPTS = 3;

    private final Path binary;
    private final Path tempDir;
    private final List<EtcdMember> members;
    private boolean closed;

    private EtcdCluster(Path binary, Path tempDir, List<EtcdMember> members) {
        this.binary = binary;
        this.tempDir = tempDir;
        this.members = List.copyOf(members);
    }

    /**
     * Starts {@code size} members (1 for a single node, 3 for a cluster) from {@code binary}.
     *
     * @throws IllegalStateException when the members do not become healthy in time
     */
    public static EtcdCluster start(Path binary, int size) {
        return start(binary, size, List.of());
    }

    /**
     * Same as {@link #start(Path, int)} with {@code extraFlags} appended to every member's command line
     * (e.g. {@code --auth-token-ttl=2}).
     */
    public static EtcdCluster start(Path binary, int size, List<String> extraFlags) {
        Objects.requireNonNull(binary, "binary");
        List<String> extra = List.copyOf(extraFlags);
        if (size < 1 || size > 7) {
            throw new IllegalArgumentException("etcd cluster size must be in [1, 7], was " + size);
        }
        RuntimeException last = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            EtcdCluster c = launch(binary, size, extra);
            try {
                for (EtcdMember m : c.members) {
                    m.awaitHealthy(START_TIMEOUT);
                }
                Reaper.register(c);
                LOG.info("etcd x{} ready at {} (tmp {})", size, c.endpoints(), c.tempDir);
                return c;
            } catch (RuntimeException e) {
                boolean portRace = c.members.stream().anyMatch(m -> m.process().logTail(200).contains("address already in use"));
                c.close();
                last = e;
                if (!portRace) {
                    break;
                }
                LOG.warn("etcd start attempt {} lost a port race, retrying on new ports", attempt);
            }
        }
        throw last;
    }

    private static EtcdCluster launch(Path binary, int size, List<String> extra) {
        Path tmp;
        try {
            tmp = Files.createTempDirectory("coord-etcd-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temp dir for etcd", e);
        }
        int[] ports = FreePorts.allocate(2 * size);
        String token = "coord-" + tmp.getFileName();
        StringBuilder initial = new StringBuilder();
        for (int i = 0; i < size; i++) {
            if (i > 0) {
                initial.append(',');
            }
            initial.append("m").append(i).append("=http://127.0.0.1:").append(ports[2 * i + 1]);
        }
        List<EtcdMember> members = new ArrayList<>();
        try {
            for (int i = 0; i < size; i++) {
                String name = "m" + i;
                int client = ports[2 * i];
                int peer = ports[2 * i + 1];
                Path data = tmp.resolve(name + ".etcd");
                List<String> cmd = new ArrayList<>(List.of(binary.toString(),
                        "--name", name,
                        "--data-dir", data.toString(),
                        "--listen-client-urls", "http://127.0.0.1:" + client,
                        "--advertise-client-urls", "http://127.0.0.1:" + client,
                        "--listen-peer-urls", "http://127.0.0.1:" + peer,
                        "--initial-advertise-peer-urls", "http://127.0.0.1:" + peer,
                        "--initial-cluster", initial.toString(),
                        "--initial-cluster-token", token,
                        "--initial-cluster-state", "new",
                        "--heartbeat-interval", "50",
                        "--election-timeout", "500",
                        "--logger", "zap",
                        "--log-outputs", "stderr"));
                cmd.addAll(extra);
                ChildProcess p = ChildProcess.start("etcd-" + name + "-" + client, cmd, tmp, tmp.resolve(name + ".log"));
                members.add(new EtcdMember(name, client, peer, data, p));
            }
        } catch (RuntimeException e) {
            members.forEach(m -> m.process().close());
            ChildProcess.deleteTree(tmp);
            throw e;
        }
        return new EtcdCluster(binary, tmp, members);
    }

    @Override
    public ServerSource source() {
        return ServerSource.BINARY;
    }

    @Override
    public List<String> endpoints() {
        List<String> eps = new ArrayList<>(members.size());
        for (EtcdMember m : members) {
            eps.add(m.endpoint());
        }
        return eps;
    }

    @Override
    public List<EtcdMember> members() {
        return members;
    }

    /** Number of members. */
    public int size() {
        return members.size();
    }

    /** The current leader member; polls at most {@code timeout}. */
    public EtcdMember awaitLeaderMember(Duration timeout) {
        return members.get(awaitLeader(timeout));
    }

    /** The binary the members run. */
    public Path binary() {
        return binary;
    }

    /** The temporary directory holding data directories and logs. */
    public Path tempDir() {
        return tempDir;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            for (EtcdMember m : members) {
                m.process().close();
            }
        } finally {
            Reaper.unregister(this);
            if (!Boolean.getBoolean("coord.keep.server.dirs")) {
                ChildProcess.deleteTree(tempDir);
            }
        }
    }

    @Override
    public String toString() {
        return "EtcdCluster" + endpoints() + " (tmp " + tempDir + ")";
    }
}
