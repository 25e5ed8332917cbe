package io.coord.shedlock;

import io.coord.Coordinator;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * One real server the contract runs against: how to reach it through coord, and how to read what coord left on it
 * without going through coord (the hygiene check after every test).
 */
interface Backend extends AutoCloseable {

    /** The backend's name, for messages. */
    String label();

    /** A coord URI of {@code namespace} on the server, or on {@code hostPorts} (proxies in front of it) instead. */
    String uri(List<String> hostPorts, String namespace);

    /** The server's client endpoints as {@code host:port}. */
    List<String> hostPorts();

    /** The session TTL the tests use (granted as asked on every backend's test server). */
    default Duration ttl() {
        return Duration.ofSeconds(2);
    }

    /** A session TTL long enough to ride out a short outage (ZooKeeper's test server grants at most 4 s). */
    default Duration longTtl() {
        return Duration.ofSeconds(10);
    }

    /**
     * The operation timeout of the coordinator that rides out an outage: the outage lasts about one release's
     * timeout, and the session (of {@link #longTtl()}) must still reconnect and renew before its lease runs out.
     */
    default Duration outageOperationTimeout() {
        return Duration.ofSeconds(2);
    }

    /** A coordinator of {@code namespace} connected straight to the server. */
    default Coordinator open(String namespace) {
        return Coordinator.open(uri(hostPorts(), namespace));
    }

    /**
     * What coord left on the server in {@code namespace} that must not outlive the sessions: every key or node
     * except the backend's documented permanent ones (Redis's per-name counters, ZooKeeper's empty containers).
     */
    Set<String> leftovers(String namespace) throws Exception;

    @Override
    void close();
}
