package io.coord.examples.workerids;

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
 * The parent's handle on one {@link IdWorker} process: starts it with this JVM's class path, collects its reports
 * (a reader thread per process), sends EXIT, kills it with SIGKILL. Its log (stderr) goes to a temporary file,
 * shown when something goes wrong and deleted on {@link #close()}.
 */
final class WorkerProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path log;
    /** Every report line so far (guarded by itself). */
    private final List<String> reports = new ArrayList<>();
    private final List<Long> ids = new ArrayList<>();

    private WorkerProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
        Thread reader = new Thread(this::read, "worker-ids-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    static WorkerProcess start(String name, String uri, int permits, Duration ttl) throws IOException {
        Path log = Files.createTempFile("coord-" + name + "-", ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // under Maven's surefire java.class.path is a launcher jar: the test class path is in this property
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder(java, "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classpath, IdWorker.class.getName(),
                uri, Integer.toString(permits), Long.toString(ttl.toMillis()))
                .redirectError(log.toFile()).start();
        return new WorkerProcess(name, p, log);
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                synchronized (reports) {
                    reports.add(line);
                    if (line.startsWith("IDS ")) {
                        for (String id : line.substring(4).split(" ")) {
                            ids.add(Long.parseLong(id));
                        }
                    }
                }
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    /** The last report starting with {@code kind}, split into words. */
    Optional<String[]> last(String kind) {
        synchronized (reports) {
            for (int i = reports.size() - 1; i >= 0; i--) {
                if (reports.get(i).startsWith(kind + " ")) {
                    return Optional.of(reports.get(i).split(" "));
                }
            }
        }
        return Optional.empty();
    }

    long count(String kind) {
        synchronized (reports) {
            return reports.stream().filter(r -> r.startsWith(kind + " ")).count();
        }
    }

    /** Every id it reported. */
    List<Long> ids() {
        synchronized (reports) {
            return List.copyOf(ids);
        }
    }

    /** Polls (every 20 ms) until {@code ready} holds for this worker, or fails with its log after {@code atMost}. */
    void await(String what, Predicate<WorkerProcess> ready, Duration atMost) throws InterruptedException, IOException {
        long end = System.nanoTime() + atMost.toNanos();
        while (!ready.test(this)) {
            if (System.nanoTime() > end || !process.isAlive() && !ready.test(this)) {
                throw new IllegalStateException(name + " did not report " + what + " within " + atMost.toSeconds() + " s"
                        + (process.isAlive() ? "" : " (it exited)") + "; its log:\n" + Files.readString(log));
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }

    /** SIGKILL: the process ends at once, releasing nothing. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    /** Asks it to release its permit and exit; kills it if it has not exited within {@code atMost}. */
    void exit(Duration atMost) throws InterruptedException {
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

    boolean isAlive() {
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
