package io.coord.examples.workerids;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Runs the worker-id example on the embedded ZooKeeper with real worker processes, and checks its parts. */
class WorkerIdsDemoTest {

    @Test
    void theKilledWorkersSlotGoesToTheNewcomerAfterItsLeaseAndNoIdRepeats() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();

        WorkerIdsDemo.Result result = WorkerIdsDemo.run(WorkerIdsDemo.Config.parse("--ttl", "1500"),
                new PrintStream(printed, true, StandardCharsets.UTF_8));

        String story = printed.toString(StandardCharsets.UTF_8);
        System.out.print(story);                          // kept in the surefire report
        assertEquals(0, result.exitStatus(), story);
        assertTrue(result.problems().isEmpty(), story);
        assertTrue(result.ids() > 0, story);
        assertEquals(0, result.duplicates(), story);
        assertEquals(0, result.wrongSlot(), story);
        assertTrue(story.contains("killed (SIGKILL) holding slot 1"), story);
        assertTrue(story.matches("(?s).*newcomer holds slot 1, token \\d+.*"), story);
        assertTrue(story.contains("OK: every check held"), story);
    }

    @Test
    void idsCarryTheWorkerIdAndStrictlyIncrease() {
        SnowflakeIds ids = new SnowflakeIds(1023);
        Set<Long> seen = new HashSet<>();
        long previous = 0;
        for (int i = 0; i < 20_000; i++) {                // several milliseconds' worth: the sequence wraps
            long id = ids.next();
            assertTrue(id > previous, "ids strictly increase");
            assertEquals(1023, SnowflakeIds.workerOf(id));
            assertTrue(seen.add(id));
            previous = id;
        }
        assertThrows(IllegalArgumentException.class, () -> new SnowflakeIds(SnowflakeIds.MAX_WORKERS));
        assertThrows(IllegalArgumentException.class, () -> new SnowflakeIds(-1));
    }

    @Test
    void badArgumentsAreRefusedSayingWhatIsAllowed() {
        String ids = assertThrows(IllegalArgumentException.class, () -> WorkerIdsDemo.Config.parse("--ids", "1")).getMessage();
        assertTrue(ids.contains("--ids must be an integer from 2 to 8, got '1'"), ids);
        String ttl = assertThrows(IllegalArgumentException.class, () -> WorkerIdsDemo.Config.parse("--ttl", "soon")).getMessage();
        assertTrue(ttl.contains("--ttl must be an integer from 500 to 30000"), ttl);
        String missing = assertThrows(IllegalArgumentException.class, () -> WorkerIdsDemo.Config.parse("--ids")).getMessage();
        assertTrue(missing.contains("--ids needs a value"), missing);
        assertThrows(IllegalArgumentException.class, () -> WorkerIdsDemo.Config.parse("zookeeper://a:1/x", "etcd://b:2/y"));
        assertEquals(3, WorkerIdsDemo.Config.parse().ids());
    }
}
