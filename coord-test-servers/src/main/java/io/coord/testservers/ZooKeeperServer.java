package io.coord.testservers;

import java.time.Duration;
import java.util.Optional;

/**
 * An in-process ZooKeeper for tests — one server ({@link ZooKeeperTestServer}) or an ensemble
 * ({@link ZooKeeperTestEnsemble}). Guarantees: it grants session timeouts clamped to
 * [2, 20] × {@link #tickTimeMillis()}, as a real server does.
 */
public interface ZooKeeperServer extends TestServer {

    /** {@code host:port[,host:port…]}. */
    String connectString();

    /** {@code host:port[,host:port…]} of the TLS client ports when started in secure mode; empty otherwise. */
    Optional<String> secureConnectString();

    /** The tick time in milliseconds. */
    int tickTimeMillis();

    /** A {@code zookeeper://host:port,.../namespace} URI for the coord backend. */
    default String coordUri(String namespace) {
        return "zookeeper://" + connectString() + "/" + namespace;
    }

    /** Smallest session timeout the server grants (2 × tick). */
    default Duration minSessionTimeout() {
        return Duration.ofMillis(2L * tickTimeMillis());
    }

    /** Largest session timeout the server grants (20 × tick). */
    default Duration maxSessionTimeout() {
        return Duration.ofMillis(20L * tickTimeMillis());
    }
}
