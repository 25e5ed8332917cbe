package io.coord.testservers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A throwaway PostgreSQL server started by the kit: {@code initdb} into a temporary directory
 * (trust authentication, superuser {@value #USER}), then {@code postgres} on a free 127.0.0.1 port
 * with its Unix socket inside that directory and {@code fsync=off}. PostgreSQL refuses to run as
 * root: under root the directory is handed to the {@code postgres} system user (created by the
 * Debian package) and both programs run as that user through {@code setpriv}, which execs in
 * place so the child's pid is the postmaster's.
 *
 * <p>Binaries: {@code -Dcoord.postgres.bin=<dir>}, else the newest {@code /usr/lib/postgresql/<v>/bin}
 * (Debian package {@code postgresql}; not on PATH), else {@code initdb} on PATH.
 *
 * <p>Guarantees: {@link #start()} returns only once {@code pg_isready} answers (bounded by
 * {@link #START_TIMEOUT}; a port race is retried on a new port, at most 3 times), otherwise it
 * fails with the log tail and leaves nothing running. {@link #close()} stops the server (fast
 * shutdown, then SIGKILL), deletes the directory (kept with {@code -Dcoord.keep.server.dirs=true})
 * and is idempotent; a JVM shutdown hook closes it if the test forgets.
 */
public final class PostgresProcess implements TestServer {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresProcess.class);
    /** Upper bound for initdb plus the first {@code pg_isready}. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    /** The superuser created by initdb (trust authentication: no password). */
    public static final String USER = "coord";
    /** The database every cluster has. */
    public static final String DATABASE = "postgres";
    private static final String SYSTEM_USER = "postgres";
    private static final int START_ATTEMPTS = 3;
    private static final Duration STOP_WAIT = Duration.ofSeconds(15);

    private final Path bin;
    private final Path dir;
    private final int port;
    private final ChildProcess process;
    private boolean closed;

    private PostgresProcess(Path bin, Path dir, int port, ChildProcess process) {
        this.bin = bin;
        this.dir = dir;
        this.port = port;
        this.process = process;
    }

    /**
     * Starts a server from the binaries found as the class comment says.
     *
     * @return the running server, accepting connections; close it when done
     * @throws TestServerUnavailableException when no PostgreSQL binaries are installed
     */
    public static PostgresProcess start() {
        return start(findBin().orElseThrow(() -> new TestServerUnavailableException(
                "No PostgreSQL server binaries for the tests: no /usr/lib/postgresql/<version>/bin, no initdb on PATH,"
                        + " and -Dcoord.postgres.bin is not set. Run scripts/install-test-servers.sh as root"
                        + " (or: apt-get install postgresql; the tests start their own server).")));
    }

    /**
     * Starts a server from the {@code initdb}/{@code postgres}/{@code pg_ctl}/{@code pg_isready} in {@code bin}.
     *
     * @param bin the PostgreSQL binary directory
     * @return the running server, accepting connections; close it when done
     * @throws IllegalStateException when the server does not become ready in time (with its log's tail)
     */
    public static PostgresProcess start(Path bin) {
        RuntimeException last = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            PostgresProcess p = launch(bin);
            try {
                p.awaitReady(START_TIMEOUT);
                Reaper.register(p);
                LOG.info("postgres ready at {} (dir {})", p.jdbcUrl(), p.dir);
                return p;
            } catch (RuntimeException e) {
                boolean portRace = p.process.logTail(50).contains("Address already in use");
                p.close();
                last = e;
                if (!portRace) {
                    break;
                }
                LOG.warn("postgres start attempt {} lost a port race, retrying on a new port", attempt);
            }
        }
        throw last;
    }

    /** The binary directory: the system property, else the newest Debian install, else PATH. */
    static Optional<Path> findBin() {
        String override = System.getProperty("coord.postgres.bin");
        if (override != null && !override.isBlank()) {
            Path p = Path.of(override.trim());
            return Files.isExecutable(p.resolve("initdb")) ? Optional.of(p) : Optional.empty();
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                Optional<Path> newest = versions.map(v -> v.resolve("bin"))
                        .filter(b -> Files.isExecutable(b.resolve("initdb")))
                        .max(Comparator.comparingInt(b -> versionOf(b.getParent())));
                if (newest.isPresent()) {
                    return newest;
                }
            } catch (IOException e) {
                LOG.debug("cannot list {}: {}", debian, e.toString());
            }
        }
        return TestServerPolicy.findOnPath("initdb", System.getenv("PATH")).map(Path::getParent);
    }

    private static int versionOf(Path versionDir) {
        try {
            return Integer.parseInt(versionDir.getFileName().toString());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static PostgresProcess launch(Path bin) {
        Path dir;
        try {
            dir = Files.createTempDirectory("coord-pg-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temp dir for postgres", e);
        }
        try {
            Path data = dir.resolve("data");
            Path socket = dir.resolve("sock");
            Files.createDirectories(socket);
            if (isRoot()) {
                chownTree(dir, SYSTEM_USER);
            }
            runToEnd(asServerUser(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", USER,
                    "--auth=trust", "--encoding=UTF8", "--no-sync")), dir.resolve("initdb.log"));
            int port = FreePorts.allocate();
            List<String> cmd = asServerUser(List.of(bin.resolve("postgres").toString(), "-D", data.toString(),
                    "-p", Integer.toString(port), "-k", socket.toString(),
                    "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=100"));
            ChildProcess p = ChildProcess.start("postgres-" + port, cmd, dir, dir.resolve("postgres.log"));
            return new PostgresProcess(bin, dir, port, p);
        } catch (RuntimeException e) {
            ChildProcess.deleteTree(dir);
            throw e;
        } catch (IOException e) {
            ChildProcess.deleteTree(dir);
            throw new UncheckedIOException("cannot prepare " + dir + " for postgres", e);
        }
    }

    @Override
    public ServerSource source() {
        return ServerSource.BINARY;
    }

    /**
     * Always {@code 127.0.0.1}.
     *
     * @return the loopback address the server listens on
     */
    public String host() {
        return "127.0.0.1";
    }

    /**
     * The TCP port.
     *
     * @return the loopback port the server listens on
     */
    public int port() {
        return port;
    }

    /**
     * {@code jdbc:postgresql://127.0.0.1:<port>/postgres?user=coord} (no password: trust).
     *
     * @return a JDBC URL of the {@code postgres} database as user {@code coord}
     */
    public String jdbcUrl() {
        return "jdbc:postgresql://" + host() + ":" + port + "/" + DATABASE + "?user=" + USER;
    }

    /**
     * The temporary directory (data directory, socket directory and logs).
     *
     * @return the directory, deleted by {@link #close()}
     */
    public Path dir() {
        return dir;
    }

    /**
     * The server's log.
     *
     * @return the server's stdout/stderr log
     */
    public Path logFile() {
        return process.logFile();
    }

    /**
     * True when {@code pg_isready} reports the server accepting connections within {@code timeout}.
     *
     * @param timeout the probe's bound (at least 1 s)
     * @return true if ready; false on any failure (never throws)
     */
    public boolean isReady(Duration timeout) {
        List<String> cmd = List.of(bin.resolve("pg_isready").toString(), "-q", "-h", host(), "-p", Integer.toString(port),
                "-U", USER, "-d", DATABASE, "-t", Long.toString(Math.max(1, timeout.toSeconds())));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        do {
            if (!process.isAlive()) {
                throw new IllegalStateException("postgres on port " + port + " exited (code " + process.exitCode()
                        + "); log " + logFile() + ":\n" + process.logTail(30));
            }
            if (isReady(Duration.ofSeconds(1))) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        } while (System.nanoTime() < deadline);
        throw new IllegalStateException("postgres on port " + port + " was not ready within " + timeout
                + "; log " + logFile() + ":\n" + process.logTail(30));
    }

    /** Fast shutdown ({@code pg_ctl stop -m fast}), then kills whatever is left and deletes the directory. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (process.isAlive()) {
                try {
                    runToEnd(asServerUser(List.of(bin.resolve("pg_ctl").toString(), "stop", "-D", dir.resolve("data").toString(),
                            "-m", "fast", "-w", "-t", Long.toString(STOP_WAIT.toSeconds()))), dir.resolve("pg_ctl.log"));
                } catch (RuntimeException e) {
                    LOG.warn("pg_ctl stop failed for {}; killing it", this, e);
                }
            }
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
        return "PostgresProcess[" + host() + ":" + port + ", dir " + dir + "]";
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Under root, the command run as the {@code postgres} system user (setpriv execs in place). */
    private static List<String> asServerUser(List<String> command) {
        if (!isRoot()) {
            return command;
        }
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + SYSTEM_USER, "--regid=" + SYSTEM_USER,
                "--init-groups", "--"));
        cmd.addAll(command);
        return cmd;
    }

    private static void chownTree(Path root, String user) throws IOException {
        UserPrincipalLookupService lookup = root.getFileSystem().getUserPrincipalLookupService();
        UserPrincipal owner;
        GroupPrincipal group;
        try {
            owner = lookup.lookupPrincipalByName(user);
            group = lookup.lookupPrincipalByGroupName(user);
        } catch (IOException e) {
            throw new TestServerUnavailableException("PostgreSQL refuses to run as root and there is no '" + user
                    + "' system user to run it as (the Debian package postgresql creates it): " + e.getMessage(), e);
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                PosixFileAttributeView view = Files.getFileAttributeView(p, PosixFileAttributeView.class);
                view.setOwner(owner);
                view.setGroup(group);
            }
        }
    }

    private static void runToEnd(List<String> command, Path log) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            if (!p.waitFor(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(command.get(0) + " did not finish within " + START_TIMEOUT + "; log " + log);
            }
            if (p.exitValue() != 0) {
                String tail;
                try {
                    tail = Files.readString(log);
                } catch (IOException e) {
                    tail = "(cannot read " + log + ")";
                }
                throw new IllegalStateException(String.join(" ", command) + " failed with exit code " + p.exitValue()
                        + "; log " + log + ":\n" + tail);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command.get(0), e);
        }
    }
}
