package io.coord.testkit.faults;

import io.coord.testservers.ChildProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.awaitility.Awaitility;

/**
 * The parent's handle on a {@link HolderMain} child JVM: start, read its reports, send commands,
 * pause (SIGSTOP), resume (SIGCONT), kill (SIGKILL). Always closed (killed and reaped) by the test.
 */
public final class HolderProcess implements AutoCloseable {

    private final ChildProcess process;
    private final Path commands;
    private final Path log;

    private HolderProcess(ChildProcess process, Path commands, Path log) {
        this.process = process;
        this.commands = commands;
        this.log = log;
    }

    /**
     * Starts a child that takes {@code kind} of {@code name} under a session of {@code ttl}.
     *
     * @param uri the coord URI the child opens
     * @param kind what the child takes
     * @param name the lock's, semaphore's or election's name
     * @param ttl the child session's TTL
     * @return the running child; close it when done
     * @throws java.io.UncheckedIOException if its files cannot be made
     */
    public static HolderProcess start(String uri, HolderFaultRules.Held kind, String name, Duration ttl) {
        try {
            Path dir = Files.createTempDirectory("coord-holder");
            Path commands = dir.resolve("commands");
            Path log = dir.resolve("holder.log");
            Files.createFile(commands);
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            List<String> cmd = List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classpath,
                    HolderMain.class.getName(), uri, kind.name(), name, Long.toString(ttl.toMillis()),
                    commands.toString());
            return new HolderProcess(ChildProcess.start("holder", cmd, dir, log), commands, log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Every report line so far, without the prefix.
     *
     * @return the reports in the order written (a line still being written is left out)
     */
    public List<String> reports() {
        List<String> out = new ArrayList<>();
        try {
            if (!Files.exists(log)) {
                return out;
            }
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                int at = line.indexOf(HolderMain.PREFIX);
                if (at >= 0) {
                    out.add(line.substring(at + HolderMain.PREFIX.length()));
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // a line being written: read again on the next poll
        }
        return out;
    }

    /**
     * The last report starting with {@code kind}, split into words.
     *
     * @param kind the report's first word, e.g. {@code GRANTED}
     * @return the words of the last such report, or empty
     */
    public Optional<String[]> last(String kind) {
        List<String> r = reports();
        for (int i = r.size() - 1; i >= 0; i--) {
            if (r.get(i).startsWith(kind + " ")) {
                return Optional.of(r.get(i).split(" "));
            }
        }
        return Optional.empty();
    }

    /**
     * Waits for a report of {@code kind}; fails with the child's log tail if it does not come.
     *
     * @param kind the report's first word, e.g. {@code GRANTED}
     * @param atMost how long to wait
     * @return the words of the last such report
     * @throws AssertionError if no such report comes in time or the child exits first
     */
    public String[] await(String kind, Duration atMost) {
        try {
            Awaitility.await().pollInterval(Duration.ofMillis(20)).atMost(atMost).until(() -> last(kind).isPresent() || !process.isAlive());
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("holder did not report " + kind + " within " + atMost + "; its log:\n" + process.logTail(40), e);
        }
        return last(kind).orElseThrow(() -> new AssertionError("holder exited before reporting " + kind + "; its log:\n"
                + process.logTail(40)));
    }

    /**
     * Appends {@code command} to the child's command file; the child reads it within a few milliseconds.
     *
     * @param command {@code WRITE} or {@code EXIT}
     * @throws java.io.UncheckedIOException if the file cannot be written
     */
    public void send(String command) {
        try {
            Files.writeString(commands, command + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** SIGSTOP: returns once the child is stopped. */
    public void pause() {
        process.pause();
    }

    /** SIGCONT: returns once the child runs again. */
    public void resume() {
        process.resume();
    }

    /** SIGKILL: returns once the child has exited. */
    public void kill() {
        process.kill();
    }

    /**
     * Whether the child has not exited (a paused child is alive).
     *
     * @return true while the child runs or is paused
     */
    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * The end of the child's log, for failure messages; never throws.
     *
     * @return the last 40 lines
     */
    public String logTail() {
        return process.logTail(40);
    }

    @Override
    public void close() {
        process.close();
    }
}
