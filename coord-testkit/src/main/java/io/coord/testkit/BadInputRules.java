package io.coord.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coord.Coordinator;
import io.coord.Session;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * A table of invalid calls across the whole API: each must fail at once, with the right exception
 * and a message saying what was wrong and what is allowed, and must leave nothing on the server.
 */
public abstract class BadInputRules extends Scenario {

    /**
     * These rules against the backend {@code backend} supplies (see {@link Scenario#Scenario}).
     *
     * @param backend called before each scenario
     */
    protected BadInputRules(Supplier<KitBackend> backend) {
        super(backend);
    }

    /** One row: a call, the exception it must raise, and words its message must contain. */
    record Row(String call, Executable executable, Class<? extends Throwable> error, String... words) {
    }

    private List<Row> table(Session s) {
        String tooLong = "n".repeat(257);
        String tooLongUtf8 = "é".repeat(129); // 258 bytes in UTF-8, 129 characters
        String hugeValue = "v".repeat(4097);
        var lock = s.lock("ok");
        var election = s.election("ok");
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("Coordinator.open((String) null)", () -> Coordinator.open((String) null), NullPointerException.class, "uri"));
        rows.add(new Row("Coordinator.open(\"nope://h/ns\")", () -> Coordinator.open("nope://h/ns"), IllegalArgumentException.class, "nope", "scheme"));
        rows.add(new Row("Coordinator.open(\"localhost:1/ns\")", () -> Coordinator.open("localhost:1/ns"), IllegalArgumentException.class, "scheme"));
        rows.add(new Row("openSession(null)", () -> coord.openSession(null), NullPointerException.class, "TTL"));
        rows.add(new Row("openSession(0)", () -> coord.openSession(Duration.ZERO), IllegalArgumentException.class, "TTL", "0 ms", "allowed"));
        rows.add(new Row("openSession(-1 s)", () -> coord.openSession(Duration.ofSeconds(-1)), IllegalArgumentException.class, "allowed"));
        rows.add(new Row("openSession(2 h)", () -> coord.openSession(Duration.ofHours(2)), IllegalArgumentException.class, "2 hours", "1 hour"));
        rows.add(new Row("openSessionAsync(0)", () -> coord.openSessionAsync(Duration.ZERO), IllegalArgumentException.class, "TTL"));
        for (String kind : List.of("lock", "fair lock", "election", "semaphore", "read-write lock")) {
            rows.add(new Row(kind + "(null)", () -> named(s, kind, null), NullPointerException.class, kind + " name"));
            rows.add(new Row(kind + "(\"\")", () -> named(s, kind, ""), IllegalArgumentException.class, "blank"));
            rows.add(new Row(kind + "(\"  \\t\")", () -> named(s, kind, "  \t"), IllegalArgumentException.class, "blank"));
            rows.add(new Row(kind + "(257 bytes)", () -> named(s, kind, tooLong), IllegalArgumentException.class, "257", "256"));
            rows.add(new Row(kind + "(129 x 'é' = 258 bytes)", () -> named(s, kind, tooLongUtf8), IllegalArgumentException.class, "258", "UTF-8"));
        }
        rows.add(new Row("coordinator.election(null)", () -> coord.election(null), NullPointerException.class, "election name"));
        rows.add(new Row("tryAcquire(null)", () -> lock.tryAcquire(null), NullPointerException.class, "timeout"));
        rows.add(new Row("tryAcquire(-1 ms)", () -> lock.tryAcquire(Duration.ofMillis(-1)), IllegalArgumentException.class, "-1 ms", "allowed"));
        rows.add(new Row("tryAcquire(25 h)", () -> lock.tryAcquire(Duration.ofHours(25)), IllegalArgumentException.class, "24 hours"));
        rows.add(new Row("campaign(null)", () -> election.campaign(null), NullPointerException.class, "value"));
        rows.add(new Row("campaign(4097 bytes)", () -> election.campaign(hugeValue), IllegalArgumentException.class, "4097", "4096"));
        rows.add(new Row("campaign(v, -1 ms)", () -> election.campaign("v", Duration.ofMillis(-1)), IllegalArgumentException.class, "allowed"));
        rows.add(new Row("campaignAsync(null)", () -> election.campaignAsync(null), NullPointerException.class, "value"));
        rows.add(new Row("observe(null)", () -> election.observe(null), NullPointerException.class, "listener"));
        var semaphore = s.semaphore("ok", 2);
        for (int permits : new int[] {0, -1, 1025, Integer.MIN_VALUE}) {
            rows.add(new Row("semaphore(ok, " + permits + ")", () -> s.semaphore("ok", permits), IllegalArgumentException.class,
                    "permits", "1024", String.valueOf(permits)));
        }
        rows.add(new Row("semaphore.tryAcquire(null)", () -> semaphore.tryAcquire(null), NullPointerException.class, "timeout"));
        rows.add(new Row("semaphore.tryAcquire(-1 ms)", () -> semaphore.tryAcquire(Duration.ofMillis(-1)), IllegalArgumentException.class, "allowed"));
        rows.add(new Row("readLock().tryAcquire(25 h)", () -> s.readWriteLock("ok").readLock().tryAcquire(Duration.ofHours(25)),
                IllegalArgumentException.class, "24 hours"));
        rows.add(new Row("addListener(null)", () -> s.addListener(null), NullPointerException.class, "listener"));
        for (String kind : List.of("group", "member id")) {
            rows.add(new Row("join: " + kind + " null", () -> joined(s, kind, null), NullPointerException.class, kind));
            rows.add(new Row("join: " + kind + " \"\"", () -> joined(s, kind, ""), IllegalArgumentException.class, "blank"));
            rows.add(new Row("join: " + kind + " 257 bytes", () -> joined(s, kind, tooLong), IllegalArgumentException.class, "257", "256"));
            rows.add(new Row("join: " + kind + " 258 UTF-8 bytes", () -> joined(s, kind, tooLongUtf8), IllegalArgumentException.class, "258", "UTF-8"));
        }
        rows.add(new Row("join(g, m, null)", () -> s.join("g", "m", null), NullPointerException.class, "metadata"));
        rows.add(new Row("join(g, m, 4097 bytes)", () -> s.join("g", "m", hugeValue), IllegalArgumentException.class, "4097", "4096"));
        rows.add(new Row("join(g, m, 2049 x 'é')", () -> s.join("g", "m", "é".repeat(2049)), IllegalArgumentException.class, "4098", "4096"));
        rows.add(new Row("coordinator.group(null)", () -> coord.group(null), NullPointerException.class, "group name"));
        rows.add(new Row("coordinator.group(\"\")", () -> coord.group(""), IllegalArgumentException.class, "blank"));
        rows.add(new Row("coordinator.group(\" \")", () -> coord.group(" "), IllegalArgumentException.class, "blank"));
        var group = coord.group("ok");
        rows.add(new Row("group.watch(null)", () -> group.watch(null), NullPointerException.class, "listener"));
        rows.add(new Row("alertWhenAbsent(null, a)", () -> group.alertWhenAbsent(null, m -> { }), NullPointerException.class, "absence"));
        rows.add(new Row("alertWhenAbsent(0, a)", () -> group.alertWhenAbsent(Duration.ZERO, m -> { }), IllegalArgumentException.class, "absence", "allowed"));
        rows.add(new Row("alertWhenAbsent(1 s, null)", () -> group.alertWhenAbsent(Duration.ofSeconds(1), null), NullPointerException.class, "alert"));
        rows.add(new Row("alertWhenBelow(0, 1 s, a)", () -> group.alertWhenBelow(0, Duration.ofSeconds(1), g -> { }), IllegalArgumentException.class, "at least 1", "0"));
        rows.add(new Row("alertWhenBelow(1, 25 h, a)", () -> group.alertWhenBelow(1, Duration.ofHours(25), g -> { }), IllegalArgumentException.class, "24 hours"));
        return rows;
    }

    private static Object joined(Session s, String kind, String name) {
        return kind.equals("group") ? s.join(name, "m", "") : s.join("g", name, "");
    }

    private static Object named(Session s, String kind, String name) {
        return switch (kind) {
            case "lock" -> s.lock(name);
            case "fair lock" -> s.fairLock(name);
            case "semaphore" -> s.semaphore(name, 3);
            case "read-write lock" -> s.readWriteLock(name);
            default -> s.election(name);
        };
    }

    @Test
    void everyInvalidCallFailsAtOnceWithAClearMessage() {
        try (Session s = session()) {
            List<Row> rows = table(s);
            for (Row row : rows) {
                assertThatThrownBy(row.executable()::execute).as(row.call())
                        .isInstanceOf(row.error())
                        .satisfies(e -> assertThat(e.getMessage()).as(row.call() + " message").contains(row.words()));
            }
            assertThat(rows).hasSizeGreaterThan(30);
        }
        assertThat(leftovers()).as("invalid calls sent nothing").isEmpty();
    }

    @Test
    void legalEdgeValuesAreAccepted() throws Exception {
        try (Session s = session()) {
            String longest = "é".repeat(128); // exactly 256 UTF-8 bytes
            s.lock(longest).acquire().release();
            s.semaphore(longest, 1).acquire().release();
            s.semaphore("max", io.coord.semaphore.Semaphore.MAX_PERMITS).acquire().release();
            s.readWriteLock(longest).writeLock().acquire().release();
            var l = s.election(longest).campaign("v".repeat(4096));
            l.proclaim("");
            l.resign();
            assertThat(Stream.of(s.lock("x").tryAcquire(Duration.ZERO))).allMatch(o -> o.isPresent());
            try (var m = s.join(longest, longest, "é".repeat(2048))) { // 256-byte names, 4 096 bytes of metadata
                assertThat(coord.group(longest).members().member(longest)).map(x -> x.metadata()).contains("é".repeat(2048));
            }
        }
    }
}
