package io.coord.testservers;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

/**
 * A single in-process ZooKeeper (curator-test {@link TestingServer}) on a free 127.0.0.1 port with
 * a small tick time (default {@value #DEFAULT_TICK_MS} ms, so negotiated session timeouts lie in
 * [2, 20] × tick = [0.4 s, 4 s]) and no per-IP connection limit.
 *
 * <p>Guarantees: {@link #start} returns once the server answers {@code srvr}; {@link #stop()}
 * shuts it down (clients lose their connection, the data directory stays); {@link #restart()}
 * brings it back on the same port and data directory, so persistent znodes survive (sessions
 * survive only if their client reconnects within the session timeout after the restart, as with a
 * real server); {@link #close()} stops it and deletes the data directory, also run from a
 * JVM shutdown hook if the test forgets.
 */
public final class ZooKeeperTestServer implements ZooKeeperServer {
    /** Default tick time in milliseconds. */
    public static final int DEFAULT_TICK_MS = 200;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

    private final TestingServer server;
    private final int tickTimeMs;
    private final Path dataDir;
    private boolean running;
    private boolean closed;

    private ZooKeeperTestServer(TestingServer server, int tickTimeMs, Path dataDir) {
        this.server = server;
        this.tickTimeMs = tickTimeMs;
        this.dataDir = dataDir;
        this.running = true;
    }

    /** Starts a server with the default tick time. */
    public static ZooKeeperTestServer start() {
        return start(DEFAULT_TICK_MS);
    }

    /** Starts a server with {@code tickTimeMs} (50..3000). */
    public static ZooKeeperTestServer start(int tickTimeMs) {
        if (tickTimeMs < 50 || tickTimeMs > 3000) {
            throw new IllegalArgumentException("tickTime must be in [50, 3000] ms, was " + tickTimeMs);
        }
        Path dir;
        try {
            dir = Files.createTempDirectory("coord-zk-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a ZooKeeper data dir", e);
        }
        InstanceSpec spec = spec(dir.toFile(), FreePorts.allocate(), -1, -1, -1, tickTimeMs);
        TestingServer ts;
        try {
            ts = new TestingServer(spec, true);
        } catch (Exception e) {
            ChildProcess.deleteTree(dir);
            throw new IllegalStateException("cannot start in-process ZooKeeper on 127.0.0.1:" + spec.getPort(), e);
        }
        ZooKeeperTestServer z = new ZooKeeperTestServer(ts, tickTimeMs, dir);
        Reaper.register(z);
        try {
            z.awaitServing(READY_TIMEOUT);
        } catch (RuntimeException e) {
            z.close();
            throw e;
        }
        return z;
    }

    static InstanceSpec spec(File dir, int port, int electionPort, int quorumPort, int serverId, int tickTimeMs) {
        // maxClientCnxns 0 = unlimited (tests open many sessions from 127.0.0.1); no admin HTTP server;
        // session bounds as a real server computes them ([2, 20] x tick): curator-test lowers the
        // minimum to 1 x tick, which would hide clamping that production servers do.
        return new InstanceSpec(dir, port, electionPort, quorumPort, true, serverId, tickTimeMs, 0,
                Map.of("admin.enableServer", "false",
                        "minSessionTimeout", Integer.toString(2 * tickTimeMs),
                        "maxSessionTimeout", Integer.toString(20 * tickTimeMs)), "127.0.0.1");
    }

    @Override
    public ServerSource source() {
        return ServerSource.IN_PROCESS;
    }

    /** {@code 127.0.0.1:port}. */
    @Override
    public String connectString() {
        return server.getConnectString();
    }

    /** The client port. */
    public int port() {
        return server.getPort();
    }

    /** The tick time in milliseconds. */
    @Override
    public int tickTimeMillis() {
        return tickTimeMs;
    }

    /** The data directory (kept across stop/restart). */
    public Path dataDir() {
        return dataDir;
    }

    /** True between start/restart and stop/close. */
    public synchronized boolean isRunning() {
        return running;
    }

    /** Shuts the server down, keeping its data; a no-op when stopped. */
    public synchronized void stop() {
        requireOpen();
        try {
            server.stop();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stop ZooKeeper " + connectString(), e);
        }
        running = false;
    }

    /** Starts the server again on the same port and data directory (stops it first if running). */
    public synchronized void restart() {
        requireOpen();
        try {
            server.restart();
        } catch (Exception e) {
            throw new IllegalStateException("cannot restart ZooKeeper " + connectString(), e);
        }
        running = true;
        awaitServing(READY_TIMEOUT);
    }

    /** The server's {@code srvr} mode ("standalone") or empty when it does not answer. */
    public Optional<String> mode() {
        return ZooKeeperProbe.mode(port(), Duration.ofMillis(500));
    }

    private void awaitServing(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        do {
            if (mode().isPresent()) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        } while (System.nanoTime() < deadline);
        throw new IllegalStateException("in-process ZooKeeper " + connectString() + " not serving within " + timeout);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        running = false;
        try {
            server.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close ZooKeeper " + connectString(), e);
        } finally {
            Reaper.unregister(this);
            ChildProcess.deleteTree(dataDir);
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("ZooKeeper " + connectString() + " is closed");
        }
    }

    @Override
    public String toString() {
        return "ZooKeeperTestServer[" + connectString() + ", tick " + tickTimeMs + " ms]";
    }
}
