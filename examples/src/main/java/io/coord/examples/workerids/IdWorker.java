package io.coord.examples.workerids;

import io.coord.Coordinator;
import io.coord.Session;
import io.coord.semaphore.Permit;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.StringJoiner;
import java.util.concurrent.CompletableFuture;

/**
 * One worker process of the worker-id example: takes a permit of the semaphore {@code worker-ids} (its slot is the
 * worker id), then issues Snowflake ids in batches while the permit is held, and reports on stdout. Times are
 * {@link System#nanoTime()}, CLOCK_MONOTONIC on Linux, so the parent can compare them with its own.
 *
 * <pre>
 * args: uri permits ttlMillis
 * out:  WAITING now | SLOT slot token validUntil now | VALID validUntil | IDS id id ... | LOST reason now | BYE now
 * in:   EXIT (release the permit, close, exit 0); end of input does the same
 * </pre>
 */
public final class IdWorker {

    static final String SEMAPHORE = "worker-ids";
    private static final int BATCH = 20;
    private static final long BATCH_PAUSE_MS = 50;

    private IdWorker() {
    }

    /**
     * Runs one worker; see the class comment.
     *
     * @param args {@code uri permits ttlMillis}
     * @throws Exception any failure, which ends the process with a stack trace
     */
    public static void main(String[] args) throws Exception {
        String uri = args[0];
        int permits = Integer.parseInt(args[1]);
        Duration ttl = Duration.ofMillis(Long.parseLong(args[2]));
        CompletableFuture<Void> exit = new CompletableFuture<>();
        Thread commands = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null && !line.trim().equals("EXIT"); ) {
                    say("UNKNOWN " + line);
                }
            } catch (Exception e) {
                // treated as EXIT
            }
            exit.complete(null);
        }, "worker-commands");
        commands.setDaemon(true);
        commands.start();
        try (Coordinator coordinator = Coordinator.open(uri); Session session = coordinator.openSession(ttl)) {
            say("WAITING " + System.nanoTime());
            try (Permit permit = session.semaphore(SEMAPHORE, permits).acquire()) {
                say("SLOT " + permit.slot() + " " + permit.fencingToken() + " " + session.validUntilNanos() + " " + System.nanoTime());
                permit.whenLost().thenAccept(reason -> say("LOST " + reason + " " + System.nanoTime()));
                SnowflakeIds ids = new SnowflakeIds(permit.slot());
                long reportedValidity = 0;
                while (!exit.isDone()) {
                    long valid = session.validUntilNanos();
                    if (valid != reportedValidity) {
                        say("VALID " + valid);
                        reportedValidity = valid;
                    }
                    StringJoiner batch = new StringJoiner(" ", "IDS ", "");
                    for (int i = 0; i < BATCH && permit.isHeld(); i++) { // never an id without the permit
                        batch.add(Long.toString(ids.next()));
                    }
                    if (batch.length() > "IDS ".length()) {
                        say(batch.toString());
                    }
                    Thread.sleep(BATCH_PAUSE_MS);                       // the worker's "work" between batches
                }
            }
        }
        say("BYE " + System.nanoTime());
    }

    private static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
