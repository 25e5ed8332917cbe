package io.coord.testkit.faults;

import io.coord.Coordinator;
import io.coord.Session;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The lock holder of the fault scenarios, run in its own JVM so that the test can SIGSTOP or
 * SIGKILL it. It takes one {@link HolderFaultRules.Held} (a lock, a write lock, a one-permit semaphore's
 * permit, the leadership of an election, or a group's one shard), reports on stdout, and obeys commands
 * the test appends to a file. Every report line starts with {@value #PREFIX} and carries
 * {@link System#nanoTime()}, which on Linux is CLOCK_MONOTONIC and so comparable with the
 * parent's clock.
 *
 * <pre>
 * args: uri LOCK|WRITE_LOCK|PERMIT|ELECTION|SHARD name ttlMillis commandFile
 * out:  GRANTED token validUntil now | VALID token validUntil now | STATE state now
 *       | LOST reason now | WROTE token held now | BYE now
 * in:   WRITE (report a write attempt with the token held, whether or not still valid) | EXIT
 * </pre>
 */
public final class HolderMain {

    /** The start of every report line, told apart from the child's log lines by it. */
    public static final String PREFIX = "COORD-CHILD ";
    private static final Duration MAX_LIFE = Duration.ofMinutes(5);

    private HolderMain() {
    }

    /**
     * Runs the holder: see the class comment for the arguments, reports and commands; reports {@code BYE} and exits
     * after {@code EXIT}, or after 5 minutes at most.
     *
     * @param args {@code uri LOCK|WRITE_LOCK|PERMIT|ELECTION|SHARD name ttlMillis commandFile}
     * @throws Exception any failure, which ends the child JVM with a stack trace in its log
     */
    public static void main(String[] args) throws Exception {
        String uri = args[0];
        HolderFaultRules.Held kind = HolderFaultRules.Held.valueOf(args[1]);
        String name = args[2];
        Duration ttl = Duration.ofMillis(Long.parseLong(args[3]));
        Path commands = Path.of(args[4]);
        try (Coordinator coordinator = Coordinator.open(uri)) {
            Session session = coordinator.openSession(ttl);
            session.addListener((s, from, to) -> say("STATE " + to + " " + System.nanoTime()));
            Holding holding = Holding.take(session, kind, name);
            long token = holding.token();
            say("GRANTED " + token + " " + session.validUntilNanos() + " " + System.nanoTime());
            holding.lost().thenAccept(r -> say("LOST " + r + " " + System.nanoTime()));
            obey(commands, session, token, holding.held()::get);
        }
        say("BYE " + System.nanoTime());
        System.exit(0);
    }

    /**
     * Reports validity and obeys the command file until EXIT, bounded by {@link #MAX_LIFE}. Waits for the
     * file to change (a directory watch), waking at least every 20 ms to report a new validity deadline.
     */
    private static void obey(Path commands, Session session, long token, BooleanSupplier held) throws IOException, InterruptedException {
        int done = 0;
        long lastValid = 0;
        long end = System.nanoTime() + MAX_LIFE.toNanos();
        try (WatchService changes = commands.getFileSystem().newWatchService()) {
            commands.toAbsolutePath().getParent().register(changes, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
            while (System.nanoTime() < end) {
                long valid = session.validUntilNanos();
                if (valid != lastValid && held.getAsBoolean()) {
                    say("VALID " + token + " " + valid + " " + System.nanoTime());
                    lastValid = valid;
                }
                List<String> lines = Files.exists(commands) ? Files.readAllLines(commands, StandardCharsets.UTF_8) : List.of();
                for (; done < lines.size(); done++) {
                    switch (lines.get(done).trim()) {
                        case "WRITE" -> say("WROTE " + token + " " + held.getAsBoolean() + " " + System.nanoTime());
                        case "EXIT" -> {
                            return;
                        }
                        default -> say("UNKNOWN " + lines.get(done));
                    }
                }
                WatchKey key = changes.poll(20, TimeUnit.MILLISECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                }
            }
        }
    }

    private static synchronized void say(String line) {
        System.out.println(PREFIX + line);
        System.out.flush();
    }
}
