package io.coord.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.coord.Coordinator;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The shared builder shape: what a URI sets, what is refused and how the refusal reads. */
class CoordinatorBuilderTest {

    /** The smallest builder: no extras, one own parameter; build() is never called here. */
    static final class ProbeBuilder extends CoordinatorBuilder<ProbeBuilder, Coordinator> {
        Duration flavour = Duration.ZERO;

        ProbeBuilder() {
            super("probe", Set.of("probe"), 1234, Duration.ofSeconds(5), Duration.ofSeconds(3));
        }

        @Override
        public Coordinator build() {
            throw new UnsupportedOperationException("not needed here");
        }

        @Override
        protected boolean parameter(String key, CoordinatorUri uri) {
            if (key.equals("flavour")) {
                flavour = uri.durationParameter(key, flavour);
                return true;
            }
            return false;
        }

        @Override
        protected Set<String> parameterNames() {
            return Set.of("flavour");
        }
    }

    @Test
    void aUriSetsEndpointsNamespaceSharedAndOwnParametersAndLaterSettersWin() {
        ProbeBuilder b = new ProbeBuilder().uri("probe://a,b:9/team/app?operationTimeout=700ms&connectTimeout=2s&flavour=3s");
        assertEquals(List.of("a:1234", "b:9"), b.configuredEndpoints());
        assertEquals("team/app", b.configuredNamespace());
        assertEquals(Duration.ofMillis(700), b.configuredOperationTimeout());
        assertEquals(Duration.ofSeconds(2), b.configuredConnectTimeout());
        assertEquals(Duration.ofSeconds(3), b.flavour);
        b.operationTimeout(Duration.ofSeconds(1)).endpoints("c:1");
        assertEquals(Duration.ofSeconds(1), b.configuredOperationTimeout());
        assertEquals(List.of("c:1"), b.configuredEndpoints());
    }

    @Test
    void refusesBadInputSayingWhatIsAllowed() {
        ProbeBuilder b = new ProbeBuilder();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.uri("probe://a/ns?bogus=1")).getMessage()
                .contains("allowed: caFile, certFile, connectTimeout, flavour, keyFile, operationTimeout, tls"));
        String misplaced = assertThrows(IllegalArgumentException.class, () -> b.uri("probe://a/ns?password=s3cret")).getMessage();
        assertTrue(misplaced.contains("unknown probe URI parameter 'password'"), misplaced);
        assertTrue(misplaced.contains("probe://user:password@host:1234/namespace"), misplaced);
        assertFalse(misplaced.contains("s3cret"), "a secret put in the query is never echoed: " + misplaced);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.uri("other://a/ns")).getMessage()
                .contains("expected probe://host:1234/namespace"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.endpoints(List.of())).getMessage()
                .contains("non-empty list of host:port"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.endpoints("a:0")).getMessage().contains("1..65535"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.operationTimeout(Duration.ofMillis(5))).getMessage()
                .contains("operation timeout"));
        assertTrue(assertThrows(IllegalStateException.class, b::configuredEndpoints).getMessage().contains("no probe endpoint given"));
    }

    @Test
    void neverEchoesCredentials() {
        ProbeBuilder b = new ProbeBuilder();
        for (String uri : List.of("probe://u:hunter2@a/ns", "probe://u:hunter2@a,b/ns?bogus=1", "probe://u:hunter2@a b/ns")) {
            String message = assertThrows(IllegalArgumentException.class, () -> b.uri(uri)).getMessage();
            assertFalse(message.contains("hunter2"), message);
        }
    }
}
