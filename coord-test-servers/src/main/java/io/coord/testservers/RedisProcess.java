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
 * One {@code redis-server} process started by the kit on a free loopback port with no persistence
 * ({@code --save "" --appendonly no}) and its own temporary directory.
 *
 * <p>Guarantees: {@link #start} returns only once the server answers PING (bounded by
 * {@link #START_TIMEOUT}; a fresh start that lost a port race is retried on a new port, at most 3
 * times), otherwise it fails with the log path and tail and leaves nothing running.
 * {@link #kill()} (SIGKILL) returns after exit; {@link #pause()}/{@link #resume()} use
 * SIGSTOP/SIGCONT; {@link #restart()} restarts the same command line on the same port (data is
 * lost: no persistence; a cluster node keeps its {@code nodes.conf}) and waits for PING.
 * {@link #close()} kills the process and deletes its directory (kept with
 * {@code -Dcoord.keep.server.dirs=true}).
 *
 * <p>With a {@link RedisTls} ({@link #start(Path, List, RedisTls)}) the server listens on TLS only: {@link #port()} is
 * its TLS port, the plain port is off, clients must present a certificate signed by the test CA, and the kit's own
 * connections ({@link #connect()}, the PING probe) use TLS. Without one, everything is plain text as before.
 */
public final class RedisProcess implements RedisServer {
    private static final Logger LOG = LoggerFactory.getLogger(RedisProcess.class);
    /** Upper bound for a start or restart to answer PING. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    private static final int START_ATTEMPTS = 3;

    private final int port;
    private final Path dir;
    private final ChildProcess process;
    private final Optional<RedisTls> tls;
    private volatile String adminPassword;
    private boolean closed;

    private RedisProcess(int port, Path dir, ChildProcess process, Optional<RedisTls> tls) {
        this.port = port;
        this.dir = dir;
        this.process = process;
        this.tls = tls;
    }

    /**
     * Starts {@code redis-server} from {@code binary} with {@code extraArgs} appended (for example
     * {@code --cluster-enabled yes} or {@code --replicaof 127.0.0.1 6379}); the extra arguments may
     * contain {@code {dir}} and {@code {port}}, replaced by the server's directory and port.
     *
     * @param binary the {@code redis-server} executable
     * @param extraArgs arguments appended to the command line (copied)
     * @return the running server, answering PING; close it when done
     * @throws IllegalStateException when the server does not answer PING in time (with its log's tail)
     */
    public static RedisProcess start(Path binary, List<String> extraArgs) {
        return start(binary, extraArgs, Optional.empty());
    }

    /**
     * Like {@link #start(Path, List)}, serving TLS only with {@code tls} (see the class comment); add
     * {@link RedisTls#clusterArgs()} or {@link RedisTls#replicationArgs()} for a TLS cluster bus or replication link.
     *
     * @param binary the {@code redis-server} executable
     * @param extraArgs arguments appended to the command line (copied)
     * @param tls the certificates the server serves and requires
     * @return the running server, answering PING; close it when done
     * @throws IllegalStateException when the server does not answer PING in time (with its log's tail)
     */
    public static RedisProcess start(Path binary, List<String> extraArgs, RedisTls tls) {
        return start(binary, extraArgs, Optional.of(Objects.requireNonNull(tls, "tls")));
    }

    static RedisProcess start(Path binary, List<String> extraArgs, Optional<RedisTls> tls) {
        Objects.requireNonNull(binary, "binary");
        RuntimeException last = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            RedisProcess r = launch(binary, extraArgs, tls);
            try {
                r.awaitReady(START_TIMEOUT);
                Reaper.register(r);
                LOG.info("redis ready at {} (dir {})", r.uri(), r.dir);
                return r;
            } catch (RuntimeException e) {
                boolean portRace = r.process.logTail(50).contains("Address already in use");
                r.close();
                last = e;
                if (!portRace) {
                    break;
                }
                LOG.warn("redis start attempt {} lost a port race, retrying on a new port", attempt);
            }
        }
        throw last;
    }

    /**
     * Starts a plain single Redis.
     *
     * @param binary the {@code redis-server} executable
     * @return the running server, answering PING; close it when done
     * @throws IllegalStateException when the server does not answer PING in time (with its log's tail)
     */
    public static RedisProcess start(Path binary) {
        return start(binary, List.of());
    }

    private static RedisProcess launch(Path binary, List<String> extraArgs, Optional<RedisTls> tls) {
        Path dir;
        try {
            dir = Files.createTempDirectory("coord-redis-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temp dir for redis", e);
        }
        int port = FreePorts.allocate();
        List<String> cmd = new ArrayList<>(List.of(binary.toString()));
        cmd.addAll(tls.isPresent() ? tls.get().serverArgs(port) : List.of("--port", Integer.toString(port)));
        cmd.addAll(List.of(
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", dir.toString(),
                "--protected-mode", "no",
                "--daemonize", "no",
                "--logfile", ""));
        for (String a : extraArgs) {
            cmd.add(a.replace("{dir}", dir.toString()).replace("{port}", Integer.toString(port)));
        }
        try {
            ChildProcess p = ChildProcess.start("redis-" + port, cmd, dir, dir.resolve("redis.log"));
            return new RedisProcess(port, dir, p, tls);
        } catch (RuntimeException e) {
            ChildProcess.deleteTree(dir);
            throw e;
        }
    }

    @Override
    public ServerSource source() {
        return ServerSource.BINARY;
    }

    @Override
    public String host() {
        return "127.0.0.1";
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public RedisProcess process() {
        return this;
    }

    @Override
    public Optional<RedisTls> tls() {
        return tls;
    }

    /**
     * Gives the default user {@code password} (and sets it as {@code masterauth}, for a replica linking to a primary
     * protected the same way); from then on the kit's own connections ({@link #connect()}, the PING probe) log in as
     * the default user. Not persisted: a restart forgets it (the kit's connections still work: Redis accepts any
     * password for a user without one).
     *
     * @param password the default user's new password
     */
    public void requirePassword(String password) {
        try (RespConnection c = connect()) {
            c.command("CONFIG", "SET", "masterauth", password);
            c.command("ACL", "SETUSER", "default", "resetpass", ">" + password);
        }
        this.adminPassword = password;
    }

    /** A small RESP connection (2 s timeout, TLS in TLS mode, logged in after {@link #requirePassword}); the caller closes it. */
    @Override
    public RespConnection connect() {
        return open(Duration.ofSeconds(2));
    }

    private RespConnection open(Duration timeout) {
        RespConnection c = RespConnection.open(host(), port, timeout, tls);
        String password = adminPassword;
        if (password != null) {
            try {
                c.command("AUTH", "default", password);
            } catch (RuntimeException e) {
                c.close();
                throw e;
            }
        }
        return c;
    }

    /**
     * The server's temporary directory (also its {@code --dir}).
     *
     * @return the directory, deleted by {@link #close()} unless {@code -Dcoord.keep.server.dirs=true}
     */
    public Path dir() {
        return dir;
    }

    /**
     * The server's stdout log.
     *
     * @return the log file, appended across restarts
     */
    public Path logFile() {
        return process.logFile();
    }

    /**
     * The underlying process (pid, log tail).
     *
     * @return the process; prefer this server's own fault methods to signal it
     */
    public ChildProcess childProcess() {
        return process;
    }

    /** SIGKILL; returns after exit. */
    public void kill() {
        process.kill();
    }

    /** SIGSTOP: the server answers nothing until {@link #resume()}. */
    public void pause() {
        process.pause();
    }

    /** SIGCONT. */
    public void resume() {
        process.resume();
    }

    /**
     * True while paused.
     *
     * @return true between {@link #pause()} and {@link #resume()} (or a kill)
     */
    public boolean isPaused() {
        return process.isPaused();
    }

    /**
     * True while the process exists (paused counts as alive).
     *
     * @return true unless killed or exited
     */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** Kills the process if alive, starts the same command on the same port, waits for PING. */
    public void restart() {
        process.restart();
        awaitReady(START_TIMEOUT);
    }

    /**
     * True when PING answers PONG within {@code timeout}.
     *
     * @param timeout bound of the connect and the reply
     * @return true on PONG; false on any failure (never throws)
     */
    public boolean ping(Duration timeout) {
        try (RespConnection c = open(timeout)) {
            return "PONG".equals(c.commandString("PING"));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Polls PING until PONG, at most {@code timeout}.
     *
     * @param timeout how long to poll (every 20 ms)
     * @throws IllegalStateException with the log path and tail when not ready in time or exited
     */
    public void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        do {
            if (!process.isAlive()) {
                throw new IllegalStateException("redis-server on port " + port + " exited (code " + process.exitCode()
                        + "); log " + logFile() + ":\n" + process.logTail(30));
            }
            if (ping(Duration.ofMillis(500))) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        } while (System.nanoTime() < deadline);
        throw new IllegalStateException("redis-server on port " + port + " did not answer PING within " + timeout
                + "; log " + logFile() + ":\n" + process.logTail(30));
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            process.close();
        } finally {
            Reaper.unregister(this);
            if (!Boolean.getBoolean("coord.keep.server.dirs")) {
                ChildProcess.deleteTree(dir);
            }
        }
    }

    @Override
    public String toString() {
        return "RedisProcess[" + uri() + ", dir " + dir + "]";
    }
}
