package io.coord.testservers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.apache.curator.test.TestingZooKeeperServer;

/**
 * An in-process ZooKeeper ensemble (curator-test {@link TestingCluster}, default 3 members) on free
 * 127.0.0.1 ports with a small tick time (default 200 ms: session timeouts in [0.4 s, 4 s]).
 *
 * <p>Guarantees: {@link #start} returns once every member serves as leader or follower;
 * {@link #kill(int)} stops member {@code i} abruptly (its clients lose their connection);
 * {@link #restart(int)} brings it back on the same ports and data directory and returns once it
 * serves again; {@link #leaderIndex()} asks each member ({@code srvr}) which one leads;
 * {@link #close()} stops all members and deletes their data, also run from a JVM shutdown hook.
 *
 * <p>Secure mode ({@link #startSecure}): as {@link ZooKeeperTestServer#startSecure}, every member also serves TLS
 * on its own {@code secureClientPort} ({@link #secureConnectString()}; the quorum itself talks plain text on
 * loopback), with client certificates required and {@code digest} authentication enforced.
 */
public final class ZooKeeperTestEnsemble implements ZooKeeperServer {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

    private final TestingCluster cluster;
    private final List<TestingZooKeeperServer> servers;
    private final List<InstanceSpec> specs;
    private final Path baseDir;
    private final int tickTimeMs;
    private final boolean[] running;
    private final int[] securePorts;
    private boolean closed;

    private ZooKeeperTestEnsemble(TestingCluster cluster, List<InstanceSpec> specs, Path baseDir, int tickTimeMs, int[] securePorts) {
        this.cluster = cluster;
        this.securePorts = securePorts;
        this.specs = List.copyOf(specs);
        this.baseDir = baseDir;
        this.tickTimeMs = tickTimeMs;
        List<TestingZooKeeperServer> byOrder = new ArrayList<>();
        for (InstanceSpec s : specs) {
            for (TestingZooKeeperServer srv : cluster.getServers()) {
                if (srv.getInstanceSpec().equals(s)) {
                    byOrder.add(srv);
                }
            }
        }
        this.servers = List.copyOf(byOrder);
        this.running = new boolean[specs.size()];
        java.util.Arrays.fill(running, true);
    }

    /**
     * Starts 3 members with the default tick time.
     *
     * @return a started ensemble with a leader; close it when done
     */
    public static ZooKeeperTestEnsemble start() {
        return start(3, ZooKeeperTestServer.DEFAULT_TICK_MS);
    }

    /**
     * Starts {@code size} (3..7) members with {@code tickTimeMs}.
     *
     * @param size the number of members, 3 to 7
     * @param tickTimeMs the tick time, 50 to 3000 ms
     * @return a started ensemble with a leader; close it when done
     * @throws IllegalArgumentException if {@code size} or {@code tickTimeMs} is out of range
     */
    public static ZooKeeperTestEnsemble start(int size, int tickTimeMs) {
        return start(size, tickTimeMs, null);
    }

    /**
     * Starts 3 secure members (see the class comment) with the default tick time, TLS with
     * {@code certificates.server().bundle()} as key store and {@code certificates.caCertificate()} as trust store.
     *
     * @param certificates the test CA and the server certificate every member presents
     * @return a started ensemble with a leader; close it when done
     */
    public static ZooKeeperTestEnsemble startSecure(TestCertificates certificates) {
        return start(3, ZooKeeperTestServer.DEFAULT_TICK_MS, certificates);
    }

    private static ZooKeeperTestEnsemble start(int size, int tickTimeMs, TestCertificates secure) {
        if (size < 3 || size > 7) {
            throw new IllegalArgumentException("ensemble size must be in [3, 7], was " + size);
        }
        if (tickTimeMs < 50 || tickTimeMs > 3000) {
            throw new IllegalArgumentException("tickTime must be in [50, 3000] ms, was " + tickTimeMs);
        }
        Path base;
        try {
            base = Files.createTempDirectory("coord-zk-ensemble-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a ZooKeeper data dir", e);
        }
        int[] ports = FreePorts.allocate(4 * size);
        int[] securePorts = null;
        if (secure != null) {
            securePorts = java.util.Arrays.copyOfRange(ports, 3 * size, 4 * size);
            ZooKeeperSecureMode.enterSecure(ZooKeeperSecureMode.serverProperties(secure.server().bundle(), secure.caCertificate()));
        } else {
            ZooKeeperSecureMode.enterPlain();
        }
        List<InstanceSpec> specs = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            Path d = base.resolve("zk" + (i + 1));
            try {
                Files.createDirectories(d);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create " + d, e);
            }
            specs.add(ZooKeeperTestServer.spec(d.toFile(), ports[3 * i], ports[3 * i + 1], ports[3 * i + 2], i + 1, tickTimeMs,
                    securePorts == null ? -1 : securePorts[i]));
        }
        TestingCluster tc = new TestingCluster(specs);
        ZooKeeperTestEnsemble e = new ZooKeeperTestEnsemble(tc, specs, base, tickTimeMs, securePorts);
        Reaper.register(e);
        try {
            tc.start();
            for (int i = 0; i < size; i++) {
                e.awaitServing(i, READY_TIMEOUT);
            }
        } catch (Exception ex) {
            e.close();
            throw new IllegalStateException("cannot start a " + size + "-member ZooKeeper ensemble", ex);
        }
        return e;
    }

    @Override
    public ServerSource source() {
        return ServerSource.IN_PROCESS;
    }

    /** {@code 127.0.0.1:p1,127.0.0.1:p2,...}. */
    @Override
    public String connectString() {
        return cluster.getConnectString();
    }

    /** {@code 127.0.0.1:s1,127.0.0.1:s2,...}: the members' TLS ports, in secure mode. */
    @Override
    public Optional<String> secureConnectString() {
        if (securePorts == null) {
            return Optional.empty();
        }
        List<String> out = new ArrayList<>();
        for (int p : securePorts) {
            out.add("127.0.0.1:" + p);
        }
        return Optional.of(String.join(",", out));
    }

    /**
     * {@code 127.0.0.1:port} of member {@code i}.
     *
     * @param i the member's index, 0 to {@code size() - 1}
     * @return the member's plain client address
     */
    public String connectString(int i) {
        return "127.0.0.1:" + specs.get(i).getPort();
    }

    /**
     * Number of members.
     *
     * @return the number of members, fixed at start
     */
    public int size() {
        return specs.size();
    }

    /** The tick time in milliseconds. */
    @Override
    public int tickTimeMillis() {
        return tickTimeMs;
    }

    /**
     * True unless member {@code i} was killed and not restarted.
     *
     * @param i the member's index, 0 to {@code size() - 1}
     * @return false between {@link #kill(int)} and {@link #restart(int)}
     */
    public synchronized boolean isRunning(int i) {
        return running[i];
    }

    /**
     * Stops member {@code i} abruptly; data is kept for {@link #restart(int)}.
     *
     * @param i the member's index, 0 to {@code size() - 1}
     */
    public synchronized void kill(int i) {
        requireOpen();
        servers.get(i).kill();
        running[i] = false;
    }

    /**
     * Restarts member {@code i} on its ports and data directory; returns once it serves again.
     *
     * @param i the member's index, 0 to {@code size() - 1}
     * @throws IllegalStateException if the member cannot be restarted or does not serve in time
     */
    public synchronized void restart(int i) {
        requireOpen();
        try {
            servers.get(i).restart();
        } catch (Exception e) {
            throw new IllegalStateException("cannot restart ZooKeeper member " + i, e);
        }
        running[i] = true;
        awaitServing(i, READY_TIMEOUT);
    }

    /**
     * Member {@code i}'s {@code srvr} mode ("leader", "follower") or empty if it does not answer or has no quorum.
     *
     * @param i the member's index, 0 to {@code size() - 1}
     * @return the mode, or empty
     */
    public Optional<String> mode(int i) {
        return ZooKeeperProbe.mode(specs.get(i).getPort(), Duration.ofMillis(500));
    }

    /**
     * The index of the member that reports itself leader, if any.
     *
     * @return the leader's index, or empty
     */
    public OptionalInt leaderIndex() {
        for (int i = 0; i < specs.size(); i++) {
            if (isRunning(i) && mode(i).filter("leader"::equals).isPresent()) {
                return OptionalInt.of(i);
            }
        }
        return OptionalInt.empty();
    }

    /**
     * Polls {@link #leaderIndex()} at most {@code timeout}.
     *
     * @param timeout how long to poll
     * @return the leader's index
     * @throws IllegalStateException when no leader appears in time
     */
    public int awaitLeader(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        do {
            OptionalInt l = leaderIndex();
            if (l.isPresent()) {
                return l.getAsInt();
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        } while (System.nanoTime() < deadline);
        throw new IllegalStateException("no ZooKeeper leader within " + timeout);
    }

    private void awaitServing(int i, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        do {
            Optional<String> m = mode(i);
            if (m.isPresent() && (m.get().equals("leader") || m.get().equals("follower"))) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        } while (System.nanoTime() < deadline);
        throw new IllegalStateException("ZooKeeper member " + i + " (" + connectString(i) + ") not serving within " + timeout);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            cluster.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close the ZooKeeper ensemble", e);
        } finally {
            if (securePorts == null) {
                ZooKeeperSecureMode.leavePlain();
            } else {
                ZooKeeperSecureMode.leaveSecure();
            }
            Reaper.unregister(this);
            ChildProcess.deleteTree(baseDir);
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("ZooKeeper ensemble is closed");
        }
    }

    @Override
    public String toString() {
        return "ZooKeeperTestEnsemble[" + connectString() + ", tick " + tickTimeMs + " ms]";
    }
}
