package io.coord.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NameEncodingTest {

    private static final List<String> NAMES = List.of("plain", "a/b", "a%2Fb", "a b", "*", "{tag}", "100%", ".", "..",
            "ключ", "锁/🔒", "tab\there", "x".repeat(256));

    @Test
    void encodedNamesAreSafeKeySegments() {
        for (String n : NAMES) {
            String e = NameEncoding.encode(n);
            assertTrue(e.matches("[A-Za-z0-9_%-]+"), () -> n + " -> " + e);
        }
    }

    @Test
    void encodingIsInjectiveAndReversible() {
        Set<String> seen = new HashSet<>();
        for (String n : NAMES) {
            String e = NameEncoding.encode(n);
            assertTrue(seen.add(e), "collision on " + n);
            assertEquals(n, NameEncoding.decode(e));
        }
        assertNotEquals(NameEncoding.encode("a/b"), NameEncoding.encode("a%2Fb"));
    }
}
