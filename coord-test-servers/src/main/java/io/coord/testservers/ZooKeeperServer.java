package io.coord.testservers;

import java.time.Duration;
import java.util.Optional;

/**
 * An in-process ZooKeeper for tests — one server ({@link ZooKeeperTestServer}) or an ensemble
 * ({@link ZooKeeperTestEnsemble}). Guarantees: it grants session timeouts clamped to
 * [2, 20] × {@link #tickTimeMillis()}, as a real server does.
 */
public interface ZooKeeperServer extends TestServer {

    /**
     * {@code host:port[,host:port…]}.
     *
     * @return the plain-text client addresses, in ZooKeeper's notation
     */
    String connectString();

    /**
     * {@code host:port[,host:port…]} of the TLS client ports when started in secure mode; empty otherwise.
     *
     * @return the TLS client addresses, or empty
     */
    Optional<String> secureConnectString();

    /**
     * The tick time in milliseconds.
     *
     * @return the tick time, fixed at start
     */
    int tickTimeMillis();

    /**
     * A {@code zookeeper://host:port,.../namespace} URI for the coord backend.
     *
     * @param namespace the coord namespace, appended as the URI's path
     * @return the URI (plain text)
     */
    default String coordUri(String namespace) {
        return "zookeeper://" + connectString() + "/" + namespace;
    }

    /**
     * Smallest session timeout the server grants (2 × tick).
     *
     * @return {@code 2 × tickTimeMillis()}
     */
    default Duration minSessionTimeout() {
        return Duration.ofMillis(2L * tickTimeMillis());
    }

    /**
     * Largest session timeout the server grants (20 × tick).
     *
     * @return {@code 20 × tickTimeMillis()}
     */
    default Duration maxSessionTimeout() {
        return Duration.ofMillis(20L * tickTimeMillis());
    }
}
