package io.coord.testservers;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PostgresLauncherTest {

    @Test
    void startsOnLoopbackAndCloseStopsItAndDeletesItsDirectory() {
        PostgresProcess pg = TestServers.postgres();
        Path dir = pg.dir();
        try {
            assertTrue(pg.jdbcUrl().startsWith("jdbc:postgresql://127.0.0.1:" + pg.port() + "/"), pg.jdbcUrl());
            assertTrue(pg.isReady(Duration.ofSeconds(2)), "pg_isready before close");
            assertTrue(Files.isDirectory(dir.resolve("data")), "data directory " + dir);
        } finally {
            pg.close();
        }
        assertFalse(pg.isReady(Duration.ofSeconds(1)), "pg_isready after close");
        assertFalse(Files.exists(dir), "directory deleted: " + dir);
        pg.close();
    }
}
