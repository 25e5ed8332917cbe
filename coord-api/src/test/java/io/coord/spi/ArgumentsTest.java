package io.coord.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ArgumentsTest {

    @Test
    void namesAreLimitedInUtf8Bytes() {
        assertEquals("é".repeat(128), Arguments.name("lock", "é".repeat(128)));
        var e = assertThrows(IllegalArgumentException.class, () -> Arguments.name("lock", "é".repeat(129)));
        assertEquals("lock name is 258 UTF-8 bytes long; at most 256 are allowed", e.getMessage());
        assertEquals("lock name must not be null", assertThrows(NullPointerException.class, () -> Arguments.name("lock", null)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Arguments.name("election", " ")).getMessage().contains("blank"));
    }

    @Test
    void ttlsAndTimeoutsHaveARange() {
        assertEquals("session TTL 0 ms is out of range: allowed 100 ms to 1 hour",
                assertThrows(IllegalArgumentException.class, () -> Arguments.ttl(Duration.ZERO)).getMessage());
        assertEquals("session TTL 2 hours is out of range: allowed 100 ms to 1 hour",
                assertThrows(IllegalArgumentException.class, () -> Arguments.ttl(Duration.ofHours(2))).getMessage());
        assertEquals(Duration.ofSeconds(1), Arguments.ttl(Duration.ofSeconds(1)));
        assertEquals(Duration.ZERO, Arguments.timeout(Duration.ZERO));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Arguments.timeout(Duration.ofMillis(-5)))
                .getMessage().startsWith("timeout -5 ms is out of range"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Arguments.timeout(Duration.ofHours(25)))
                .getMessage().contains("24 hours"));
    }

    @Test
    void valuesAreLimited() {
        assertEquals("", Arguments.value(""));
        assertEquals("election value is 4097 UTF-8 bytes long; at most 4096 are allowed",
                assertThrows(IllegalArgumentException.class, () -> Arguments.value("v".repeat(4097))).getMessage());
    }
}
