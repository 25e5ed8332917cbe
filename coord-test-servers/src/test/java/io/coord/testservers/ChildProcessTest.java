package io.coord.testservers;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChildProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private static long ticks(ChildProcess p) throws Exception {
        return Files.readAllLines(p.logFile()).stream().filter(l -> l.startsWith("tick ")).count();
    }

    @Test
    void childJvmCanBePausedResumedKilledAndRestarted(@TempDir Path dir) throws Exception {
        List<String> cmd = ChildProcess.javaCommand(ChildJvmMain.class.getName(), List.of("-Xmx32m"), List.of());
        try (ChildProcess p = ChildProcess.start("child-jvm", cmd, dir, dir.resolve("child.log"),
                Map.of("COORD_CHILD_MARK", "m42"))) {
            await().atMost(WAIT).until(() -> ticks(p) > 0);
            assertTrue(p.logTail(500).contains("ready m42"));
            p.pause();
            assertTrue(p.isPaused());
            long frozen = ticks(p);
            // while stopped the child makes no progress: it still has the same count after the log settles
            await().pollDelay(Duration.ofMillis(200)).atMost(WAIT).until(() -> ticks(p) == frozen);
            p.resume();
            assertFalse(p.isPaused());
            await().atMost(WAIT).until(() -> ticks(p) > frozen);

            long firstPid = p.pid();
            p.kill();
            assertFalse(p.isAlive());
            assertEquals(137, p.exitCode(), "SIGKILL");
            p.restart();
            assertTrue(p.isAlive());
            assertTrue(p.pid() != firstPid);
            await().atMost(WAIT).until(() -> p.logTail(1000).lines().filter(l -> l.startsWith("ready")).count() == 2);
        }
    }
}
