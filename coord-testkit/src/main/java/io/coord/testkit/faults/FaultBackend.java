package io.coord.testkit.faults;

import io.coord.testkit.KitBackend;
import java.time.Duration;
import java.util.List;

/** What the fault scenarios need from a backend beyond the conformance kit. */
public interface FaultBackend extends KitBackend {

    /** The client endpoints of the server(s), as {@code host:port}. */
    List<String> endpoints();

    /** A coord URI for {@code namespace} reaching the server through {@code hostPorts} (e.g. a proxy). */
    String uri(String namespace, List<String> hostPorts);

    /** A coord URI reaching the server directly (what a child JVM uses). */
    default String uri(String namespace) {
        return uri(namespace, endpoints());
    }

    /**
     * How long after a holder process dies a waiter may have to wait for the grant, at most:
     * the lease TTL plus the backend's renewal and expiry granularity, with room for a busy machine.
     */
    Duration expiryBound(Duration ttl);

    /** Whether clients can reach the servers through a TCP proxy (false where clients follow server redirects, e.g. Redis Cluster). */
    default boolean proxiable() {
        return true;
    }

    /** The server-side faults this topology can inject. */
    ServerFaults serverFaults();
}
