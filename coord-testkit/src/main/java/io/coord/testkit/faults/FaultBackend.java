package io.coord.testkit.faults;

import io.coord.testkit.KitBackend;
import java.time.Duration;
import java.util.List;

/** What the fault scenarios need from a backend beyond the conformance kit. */
public interface FaultBackend extends KitBackend {

    /**
     * The client endpoints of the server(s), as {@code host:port}.
     *
     * @return the endpoints, at least one
     */
    List<String> endpoints();

    /**
     * A coord URI for {@code namespace} reaching the server through {@code hostPorts} (e.g. a proxy).
     *
     * @param namespace the coord namespace
     * @param hostPorts the {@code host:port}s to connect to, in endpoint order
     * @return a URI for {@link io.coord.Coordinator#open(String)}, with whatever TLS or credentials the backend needs
     */
    String uri(String namespace, List<String> hostPorts);

    /**
     * A coord URI reaching the server directly (what a child JVM uses).
     *
     * @param namespace the coord namespace
     * @return {@code uri(namespace, endpoints())}
     */
    default String uri(String namespace) {
        return uri(namespace, endpoints());
    }

    /**
     * How long after a holder process dies a waiter may have to wait for the grant, at most:
     * the lease TTL plus the backend's renewal and expiry granularity, with room for a busy machine.
     *
     * @param ttl the dead holder's session TTL
     * @return the bound the fault scenarios assert recovery within
     */
    Duration expiryBound(Duration ttl);

    /**
     * The server-side faults this topology can inject.
     *
     * @return the faults; the scenarios skip, with the reason, those it does not support
     */
    ServerFaults serverFaults();
}
