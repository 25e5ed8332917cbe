package io.coord.testservers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One operating-system child process that can be killed (SIGKILL), paused (SIGSTOP), resumed
 * (SIGCONT), stopped gracefully (SIGTERM, then SIGKILL) and restarted with the same command line.
 * Used for etcd and redis-server, and usable for any helper process a fault test starts (e.g. a
 * lock holder in another JVM).
 *
 * <p>Guarantees: stdout and stderr go to {@link #logFile()} (appended across restarts); every
 * operation that ends the process returns only after the process has exited; {@link #pause()}
 * returns once the kernel reports the process stopped; {@link #close()} kills it and is idempotent;
 * until closed the process is registered with a JVM shutdown hook that kills it; and a tiny
 * {@code sh} watchdog kills the child if this JVM dies without running its hooks (SIGKILL).
 * All methods are synchronized on this object; none are called from other threads by the kit.
 */
public final class ChildProcess implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ChildProcess.class);
    private static final Duration EXIT_WAIT = Duration.ofSeconds(20);
    private static final Duration SIGNAL_WAIT = Duration.ofSeconds(5);

    private final String name;
    private final List<String> command;
    private final Path workDir;
    private final Path logFile;
    private final Map<String, String> environment;
    private Process process;
    private Process guard;
    private boolean paused;
    private boolean closed;

    private ChildProcess(String name, List<String> command, Path workDir, Path logFile, Map<String, String> environment) {
        this.name = Objects.requireNonNull(name, "name");
        this.command = List.copyOf(command);
        this.workDir = Objects.requireNonNull(workDir, "workDir");
        this.logFile = Objects.requireNonNull(logFile, "logFile");
        this.environment = Map.copyOf(environment);
    }

    /**
     * Starts {@code command} in {@code workDir}, output appended to {@code logFile}.
     *
     * @param name a short name for logs and thread names
     * @param command the program and its arguments (copied)
     * @param workDir the working directory, which must exist
     * @param logFile where stdout and stderr are appended (created if missing)
     * @return the running process, registered for killing at JVM exit; close it when done
     * @throws UncheckedIOException when the process cannot be started
     */
    public static ChildProcess start(String name, List<String> command, Path workDir, Path logFile) {
        return start(name, command, workDir, logFile, Map.of());
    }

    /**
     * Starts {@code command} in {@code workDir} with {@code environment} added to this JVM's
     * environment, output appended to {@code logFile}.
     *
     * @param name a short name for logs and thread names
     * @param command the program and its arguments (copied)
     * @param workDir the working directory, which must exist
     * @param logFile where stdout and stderr are appended (created if missing)
     * @param environment variables added to (or replacing) this JVM's environment (copied)
     * @return the running process, registered for killing at JVM exit; close it when done
     * @throws UncheckedIOException when the process cannot be started
     */
    public static ChildProcess start(String name, List<String> command, Path workDir, Path logFile,
            Map<String, String> environment) {
        ChildProcess p = new ChildProcess(name, command, workDir, logFile, environment);
        Reaper.register(p);
        try {
            p.launch();
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
        return p;
    }

    /**
     * A command line running {@code mainClass} in a new JVM with this JVM's java binary and class
     * path (works under surefire's manifest-only jar), for fault tests whose lock holder must live
     * in another process (SIGSTOP / kill -9 of the holder).
     *
     * @param mainClass the class whose {@code main} the new JVM runs
     * @param jvmArgs options placed before {@code -cp}, e.g. {@code -Xmx64m}
     * @param args the arguments of {@code main}
     * @return the command line, for {@link #start}
     */
    public static List<String> javaCommand(String mainClass, List<String> jvmArgs, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }

    /**
     * A short name used in logs and thread names.
     *
     * @return the name given to {@link #start}
     */
    public String name() {
        return name;
    }

    /**
     * The command line, unchanged across restarts.
     *
     * @return the command line (immutable)
     */
    public List<String> command() {
        return command;
    }

    /**
     * Where stdout and stderr go.
     *
     * @return the log file given to {@link #start}
     */
    public Path logFile() {
        return logFile;
    }

    /**
     * The operating-system pid of the current incarnation.
     *
     * @return the pid (also of an incarnation that has exited)
     * @throws IllegalStateException if the process was never started
     */
    public synchronized long pid() {
        requireStarted();
        return process.pid();
    }

    /**
     * True while the current incarnation has not exited (a paused process is alive).
     *
     * @return true while the current incarnation runs or is paused
     */
    public synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    /**
     * True between {@link #pause()} and {@link #resume()} / kill.
     *
     * @return true while the process is alive and stopped by {@link #pause()}
     */
    public synchronized boolean isPaused() {
        return paused && isAlive();
    }

    /** Sends SIGKILL and waits for the exit. A no-op when not alive. */
    public synchronized void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        awaitExit(EXIT_WAIT);
        paused = false;
        stopGuard();
    }

    /**
     * Sends SIGTERM (after SIGCONT if paused), waits up to {@code grace}, then SIGKILL; returns once
     * the process has exited.
     *
     * @param grace how long to wait for the exit after SIGTERM
     */
    public synchronized void stop(Duration grace) {
        if (!isAlive()) {
            kill();
            return;
        }
        if (paused) {
            signal("CONT");
            paused = false;
        }
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("{} did not exit within {} after SIGTERM; sending SIGKILL", name, grace);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        kill();
    }

    /**
     * Sends SIGSTOP and returns once the process is stopped.
     *
     * @throws IllegalStateException if the process is not running (the message carries the log's tail)
     */
    public synchronized void pause() {
        requireAlive("pause");
        signal("STOP");
        paused = true;
        awaitProcState(true);
    }

    /**
     * Sends SIGCONT and returns once the process runs again.
     *
     * @throws IllegalStateException if the process is not running (the message carries the log's tail)
     */
    public synchronized void resume() {
        requireAlive("resume");
        signal("CONT");
        paused = false;
        awaitProcState(false);
    }

    /**
     * Kills the current incarnation if alive and starts the same command again (same log file).
     *
     * @throws IllegalStateException if this process handle is closed
     */
    public synchronized void restart() {
        if (closed) {
            throw new IllegalStateException(name + " is closed");
        }
        kill();
        launch();
    }

    /**
     * The exit code of the current incarnation, or -1 while it runs or before the first start.
     *
     * @return the exit code, or -1
     */
    public synchronized int exitCode() {
        return process == null || process.isAlive() ? -1 : process.exitValue();
    }

    /**
     * The last {@code maxLines} lines of the log file (for failure messages); never throws.
     *
     * @param maxLines how many lines at most, from the end
     * @return the lines joined by newlines, or a note saying why the file cannot be read
     */
    public String logTail(int maxLines) {
        try {
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - maxLines), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(cannot read " + logFile + ": " + e + ")";
        }
    }

    /** Kills the process (if alive) and waits for it; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            kill();
        } finally {
            stopGuard();
            Reaper.unregister(this);
        }
    }

    @Override
    public String toString() {
        return "ChildProcess[" + name + (process == null ? "" : ", pid " + process.pid()) + ", log " + logFile + "]";
    }

    private void launch() {
        if (closed) {
            throw new IllegalStateException(name + " is closed");
        }
        try {
            Files.createDirectories(workDir);
            ProcessBuilder pb = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            pb.environment().putAll(environment);
            process = pb.start();
            paused = false;
            LOG.debug("started {} pid {}: {}", name, process.pid(), command);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + " (" + command + "), see " + logFile, e);
        }
        startGuard();
    }

    /** An orphan watchdog: kills the child if this JVM disappears without running shutdown hooks. */
    private void startGuard() {
        if (!Files.isExecutable(Path.of("/bin/sh"))) {
            return;
        }
        long jvm = ProcessHandle.current().pid();
        long child = process.pid();
        String script = "while kill -0 " + jvm + " 2>/dev/null && kill -0 " + child + " 2>/dev/null; do sleep 1; done;"
                + " kill -0 " + jvm + " 2>/dev/null || kill -9 " + child + " 2>/dev/null";
        try {
            guard = new ProcessBuilder("/bin/sh", "-c", script)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException e) {
            LOG.debug("no orphan watchdog for {}: {}", name, e.toString());
            guard = null;
        }
    }

    private void stopGuard() {
        Process g = guard;
        guard = null;
        if (g != null) {
            g.destroyForcibly();
            try {
                g.waitFor(SIGNAL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(name + " (pid " + process.pid() + ") did not exit within " + timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + name + " to exit", e);
        }
    }

    private void signal(String sig) {
        long pid = process.pid();
        try {
            Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(pid))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!k.waitFor(SIGNAL_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                k.destroyForcibly();
                throw new IllegalStateException("kill -" + sig + " " + pid + " did not finish");
            }
            if (k.exitValue() != 0) {
                throw new IllegalStateException("kill -" + sig + " " + pid + " failed with exit code " + k.exitValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill -" + sig, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while signalling " + name, e);
        }
    }

    /** Polls /proc/pid/stat (bounded) until the process is (not) in the stopped state; no-op without /proc. */
    private void awaitProcState(boolean stopped) {
        Path stat = Path.of("/proc", Long.toString(process.pid()), "stat");
        if (!Files.exists(stat)) {
            return;
        }
        long deadline = System.nanoTime() + SIGNAL_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            char state = procState(stat);
            boolean isStopped = state == 'T' || state == 't';
            if (isStopped == stopped || state == '?') {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        throw new IllegalStateException(name + " did not become " + (stopped ? "stopped" : "running") + " within " + SIGNAL_WAIT);
    }

    private static char procState(Path stat) {
        try {
            String s = Files.readString(stat, StandardCharsets.US_ASCII);
            int i = s.lastIndexOf(')');
            return i < 0 || i + 2 >= s.length() ? '?' : s.charAt(i + 2);
        } catch (IOException e) {
            return '?';
        }
    }

    private void requireStarted() {
        if (process == null) {
            throw new IllegalStateException(name + " was never started");
        }
    }

    private void requireAlive(String op) {
        if (!isAlive()) {
            throw new IllegalStateException("cannot " + op + " " + name + ": not running; log " + logFile + "\n" + logTail(20));
        }
    }

    /** Deletes a directory tree, best effort (used for temp dirs). */
    static void deleteTree(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        List<Path> paths = new ArrayList<>();
        try (var walk = Files.walk(root)) {
            walk.forEach(paths::add);
        } catch (IOException | UncheckedIOException e) {
            LOG.debug("cannot list {}: {}", root, e.toString());
        }
        for (int i = paths.size() - 1; i >= 0; i--) {
            try {
                Files.deleteIfExists(paths.get(i));
            } catch (IOException e) {
                LOG.debug("cannot delete {}: {}", paths.get(i), e.toString());
            }
        }
    }
}
