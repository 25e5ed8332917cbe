package io.coord.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The grant rules as pure functions of a read, and their exactness: a waiting entry is granted precisely when as
 * many of the entries it waits for as the rule says have left (checked by simulating departures in every order).
 */
class GrantRuleTest {

    private static Position read(String... tagsNearestFirst) {
        List<Position.Ahead> ahead = new ArrayList<>();
        for (int i = 0; i < tagsNearestFirst.length; i++) {
            ahead.add(new Position.Ahead("e" + i, 100 - i, tagsNearestFirst[i]));
        }
        return new Position(true, 200, ahead, 0);
    }

    @Test
    void firstInLineWaitsForTheNearestOnly() {
        assertNull(GrantRule.FIRST_IN_LINE.waitFor(read()));
        GrantRule.Wait w = GrantRule.FIRST_IN_LINE.waitFor(read("", "", ""));
        assertEquals(List.of("e0"), w.entries().stream().map(Position.Ahead::id).toList());
        assertEquals(1, w.departures());
    }

    @Test
    void aSemaphoreGrantsFewerThanItsPermitsAheadAndWaitsForTheMissingDepartures() {
        GrantRule rule = GrantRule.fewerThan(3, "semaphore 's'");
        assertEquals(3, rule.slots());
        assertEquals(GrantRule.ALL, rule.lookahead());
        assertNull(rule.waitFor(read()));
        assertNull(rule.waitFor(read("3", "3")));
        GrantRule.Wait w = rule.waitFor(read("3", "3", "3", "3", "3"));
        assertEquals(5, w.entries().size());
        assertEquals(3, w.departures(), "rank 5 of 3 permits: granted after 3 departures");
    }

    @Test
    void aSemaphoreRefusesToQueueBehindAnotherNumberOfPermits() {
        var e = assertThrows(IllegalStateException.class, () -> GrantRule.fewerThan(5, "semaphore 'workers'").waitFor(read("5", "3")));
        assertTrue(e.getMessage().startsWith("semaphore 'workers' is in use with 3 permits"), e.getMessage());
        assertTrue(e.getMessage().contains("asked with 5"), e.getMessage());
    }

    @Test
    void readersWaitForEveryWriterAheadAndWritersForEverything() {
        assertNull(GrantRule.READER.waitFor(read("r", "r")));
        GrantRule.Wait r = GrantRule.READER.waitFor(read("r", "w", "r", "w"));
        assertEquals(List.of("e1", "e3"), r.entries().stream().map(Position.Ahead::id).toList());
        assertEquals(2, r.departures());
        assertNull(GrantRule.WRITER.waitFor(read()));
        GrantRule.Wait w = GrantRule.WRITER.waitFor(read("r", "r", "w"));
        assertEquals(3, w.entries().size());
        assertEquals(3, w.departures());
    }

    /** Departures in random orders: each rule's count is reached exactly when a fresh read would grant. */
    @Test
    void everyRuleButFirstInLineIsExact() {
        Random random = new Random(42);
        List<GrantRule> rules = List.of(GrantRule.fewerThan(1, "s"), GrantRule.fewerThan(3, "s"), GrantRule.READER, GrantRule.WRITER);
        for (int trial = 0; trial < 2000; trial++) {
            GrantRule rule = rules.get(trial % rules.size());
            int n = 1 + random.nextInt(8);
            String[] tags = new String[n];
            for (int i = 0; i < n; i++) {
                tags[i] = rule.slots() > 0 ? Integer.toString(rule.slots()) : (random.nextBoolean() ? "r" : "w");
            }
            Position first = read(tags);
            GrantRule.Wait wait = rule.waitFor(first);
            if (wait == null) {
                continue;
            }
            List<Position.Ahead> remaining = new ArrayList<>(first.ahead());
            int counted = 0;
            while (!remaining.isEmpty()) {
                Position.Ahead gone = remaining.remove(random.nextInt(remaining.size()));
                if (wait.entries().contains(gone)) {
                    counted++;
                }
                boolean grantedNow = rule.waitFor(new Position(true, 200, remaining, 0)) == null;
                assertEquals(grantedNow, counted >= wait.departures(), rule + " after " + counted + " of " + wait);
                if (grantedNow) {
                    break;
                }
            }
        }
    }

    @Test
    void aWaitNeedsOneToAllDepartures() {
        Position.Ahead a = new Position.Ahead("a", 1);
        assertThrows(IllegalArgumentException.class, () -> new GrantRule.Wait(List.of(a), 0));
        assertThrows(IllegalArgumentException.class, () -> new GrantRule.Wait(List.of(a), 2));
        assertEquals("", a.tag());
    }

    @Test
    void permitsHaveARange() {
        assertEquals(1, Arguments.permits(1));
        assertEquals(1024, Arguments.permits(1024));
        assertEquals("a semaphore has between 1 and 1024 permits (got 0)",
                assertThrows(IllegalArgumentException.class, () -> Arguments.permits(0)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Arguments.permits(1025));
    }
}
