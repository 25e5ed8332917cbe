package io.coord.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The parent's handle on one child JVM of an example (a worker, a service instance): starts a main class with this
 * JVM's class path, collects the lines it prints on stdout as reports ({@code KIND word word...}; a reader thread
 * per process), sends EXIT on its stdin, kills it with SIGKILL. Its log (stderr) goes to a temporary file, shown
 * when something goes wrong and deleted on {@link #close()}.
 */
public final class ChildProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path log;
    /** Every report line so far (guarded by itself). */
    private final List<String> reports = new ArrayList<>();

    private ChildProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
        Thread reader = new Thread(this::read, "example-child-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code main} in a JVM of its own (128 MB heap, quick start-up) with {@code args}.
     *
     * @param name for messages and the log file's name
     * @param main the class whose {@code main} runs
     * @param args its arguments
     * @return the running child
     * @throws IOException if the JVM cannot be started
     */
    public static ChildProcess start(String name, Class<?> main, String... args) throws IOException {
        Path log = Files.createTempFile("coord-" + name + "-", ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // under Maven's surefire java.class.path is a launcher jar: the test class path is in this property
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(java, "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classpath, main.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(log.toFile()).start();
        return new ChildProcess(name, p, log);
    }

    /**
     * The name given to {@link #start}.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * The operating system's process id.
     *
     * @return the pid
     */
    public long pid() {
        return process.pid();
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                synchronized (reports) {
                    reports.add(line);
                }
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    /**
     * The last report of a kind.
     *
     * @param kind the report's first word
     * @return the report split into words (the kind first), or empty if there was none yet
     */
    public Optional<String[]> last(String kind) {
        synchronized (reports) {
            for (int i = reports.size() - 1; i >= 0; i--) {
                if (reports.get(i).startsWith(kind + " ")) {
                    return Optional.of(reports.get(i).split(" "));
                }
            }
        }
        return Optional.empty();
    }

    /**
     * How many reports of a kind came so far.
     *
     * @param kind the report's first word
     * @return the count
     */
    public long count(String kind) {
        return all(kind).size();
    }

    /**
     * Every report of a kind so far, in order.
     *
     * @param kind the report's first word
     * @return the reports, each split into words (the kind first)
     */
    public List<String[]> all(String kind) {
        synchronized (reports) {
            return reports.stream().filter(r -> r.startsWith(kind + " ")).map(r -> r.split(" ")).toList();
        }
    }

    /**
     * Polls (every 20 ms) until {@code ready} holds for this child, or fails with its log after {@code atMost}.
     *
     * @param what  what is awaited, for the message
     * @param ready the condition
     * @param atMost how long to wait
     * @throws InterruptedException if interrupted while waiting
     * @throws IOException if its log cannot be read for the message
     * @throws IllegalStateException if the condition did not hold in time, or the child exited first
     */
    public void await(String what, Predicate<ChildProcess> ready, Duration atMost) throws InterruptedException, IOException {
        long end = System.nanoTime() + atMost.toNanos();
        while (!ready.test(this)) {
            if (System.nanoTime() > end || !process.isAlive() && !ready.test(this)) {
                throw new IllegalStateException(name + " did not report " + what + " within " + atMost.toSeconds() + " s"
                        + (process.isAlive() ? "" : " (it exited)") + "; its log:\n" + Files.readString(log));
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }

    /**
     * SIGKILL: the process ends at once, releasing nothing.
     *
     * @throws InterruptedException if interrupted while waiting for it to end
     */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    /**
     * Sends EXIT on its stdin (it releases what it holds and exits); kills it if it has not exited within {@code atMost}.
     *
     * @param atMost how long it may take
     * @throws InterruptedException if interrupted while waiting
     */
    public void exit(Duration atMost) throws InterruptedException {
        if (process.isAlive()) {
            try {
                OutputStream in = process.getOutputStream();
                in.write("EXIT\n".getBytes(StandardCharsets.UTF_8));
                in.flush();
            } catch (IOException e) {
                // it is already going
            }
            if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
                kill();
            }
        }
    }

    /**
     * Whether the process still runs.
     *
     * @return true while it runs
     */
    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() throws IOException, InterruptedException {
        if (process.isAlive()) {
            kill();
        }
        Files.deleteIfExists(log);
    }
}
