package io.coord.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.coord.Coordinator;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class CoordinatorUriTest {

    @Test
    void parsesSeveralEndpointsNamespaceAndParameters() {
        CoordinatorUri u = CoordinatorUri.parse(URI.create("zookeeper://a:1,b,c.example:3/app/team?connectTimeout=5s&x=500ms"), 2181);
        assertEquals("zookeeper", u.scheme());
        assertEquals(List.of("a:1", "b:2181", "c.example:3"), u.endpoints());
        assertEquals("app/team", u.namespace());
        assertEquals(Duration.ofSeconds(5), u.durationParameter("connectTimeout", Duration.ZERO));
        assertEquals(Duration.ofMillis(500), u.durationParameter("x", Duration.ZERO));
        assertEquals(Duration.ofSeconds(9), u.durationParameter("missing", Duration.ofSeconds(9)));
    }

    @Test
    void defaultsTheNamespace() {
        assertEquals(CoordinatorUri.DEFAULT_NAMESPACE, CoordinatorUri.parse(URI.create("etcd://h:2379"), 2379).namespace());
    }

    @Test
    void rejectsBadUrisClearly() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CoordinatorUri.parse(URI.create("etcd://h:99999/x"), 1))
                .getMessage().contains("99999"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CoordinatorUri.parse(URI.create("etcd:///x"), 1))
                .getMessage().contains("names no server"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CoordinatorUri.parse(URI.create("etcd://h/a%20b"), 1))
                .getMessage().contains("bad namespace"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Coordinator.open("mystery://h/x"))
                .getMessage().contains("no coord backend"));
    }

    @Test
    void readsCredentialsEvenWithSeveralHostsAndNeverShowsThem() {
        // java.net.URI reports no user info for a multi-host authority; the parser must still find it
        URI uri = URI.create("redis://app:s3cr%40t@a:1,b:2/ns");
        CoordinatorUri u = CoordinatorUri.parse(uri, 6379);
        assertEquals(List.of("a:1", "b:2"), u.endpoints());
        assertEquals("app", u.credentials().orElseThrow()[0]);
        assertEquals("s3cr@t", u.credentials().orElseThrow()[1]);
        assertFalse(u.toString().contains("s3cr"), u.toString());
        assertEquals("redis://***@a:1,b:2/ns", CoordinatorUri.redacted(uri));
        String message = assertThrows(IllegalArgumentException.class,
                () -> CoordinatorUri.parse(URI.create("redis://app:s3cr%40t@a:99999/ns"), 6379)).getMessage();
        assertTrue(message.contains("99999") && !message.contains("s3cr"), message);
    }

    @Test
    void redactsPasswordsThatBreakUriParsing() {
        // A '/', '#', '?' or space in a password, or a missing '//', keeps java.net.URI from seeing user info at all.
        for (String text : List.of("redis://:pa#ss@h/ns", "redis:pw@h:6379/ns", "admin:s3cret@10.0.0.1:2379/billing",
                "etcd://u:pa/ss@h/ns", "etcd://u:pa?ss@h/ns", "redis://u:p ss@h/ns", "zookeeper://u:p@ss@h/ns")) {
            String shown = CoordinatorUri.redacted(text);
            for (String secret : List.of("pa#ss", "pw", "s3cret", "pa/ss", "pa?ss", "p ss", "p@ss")) {
                assertFalse(shown.contains(secret), shown + " shows " + secret);
            }
            assertTrue(shown.contains("***@"), shown);
            String refused = assertThrows(IllegalArgumentException.class, () -> Coordinator.open(text)).getMessage();
            for (String secret : List.of("pa#ss", "s3cret", "pa/ss", "pa?ss", "p ss", "p@ss")) {
                assertFalse(refused.contains(secret), refused + " shows " + secret);
            }
        }
        assertEquals("etcd://h:2379/ns?tls=true", CoordinatorUri.redacted("etcd://h:2379/ns?tls=true"));
        assertEquals("redis://***@h:6379/ns", CoordinatorUri.redacted(URI.create("redis://u:pw@h:6379/ns")));
    }
}
