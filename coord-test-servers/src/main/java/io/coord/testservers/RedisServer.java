package io.coord.testservers;

import java.time.Duration;
import java.util.Optional;

/**
 * A single Redis for tests, whatever its {@link #source()}. Obtain one through
 * {@link TestServers#redis()}. Guarantees: it answered PING when handed out; {@link #process()}
 * is available exactly when {@link #supportsFaults()}.
 */
public interface RedisServer extends TestServer {

    /**
     * Host to connect to.
     *
     * @return the host name or address (loopback for servers the kit starts)
     */
    String host();

    /**
     * Port to connect to.
     *
     * @return the TCP port (the TLS port for a TLS server)
     */
    int port();

    /**
     * {@code redis://host:port}, or {@code rediss://host:port} when the server serves TLS ({@link #tls()}).
     *
     * @return the URI, without credentials or namespace
     */
    default String uri() {
        return (tls().isPresent() ? "rediss://" : "redis://") + host() + ":" + port();
    }

    /**
     * A {@code redis://host:port/namespace} URI for the coord backend; over TLS {@code rediss://host:port/namespace?}
     * followed by {@link RedisTls#coordParameters()} (the test CA and a client certificate).
     *
     * @param namespace the coord namespace, appended as the URI's path
     * @return the URI
     */
    default String coordUri(String namespace) {
        return uri() + "/" + namespace + tls().map(t -> "?" + t.coordParameters()).orElse("");
    }

    /**
     * The TLS setting this server was started with; empty for plain text (the default).
     *
     * @return the TLS setting, or empty
     */
    default Optional<RedisTls> tls() {
        return Optional.empty();
    }

    /**
     * Opens a small RESP connection (2 s timeout, TLS when the server serves TLS) for assertions; the caller closes it.
     *
     * @return an open connection
     * @throws java.io.UncheckedIOException if the server cannot be reached
     */
    default RespConnection connect() {
        return RespConnection.open(host(), port(), Duration.ofSeconds(2), tls());
    }

    /**
     * The process behind this server, for kill/pause/restart; calls {@link #requireFaults()} first.
     *
     * @return the process
     * @throws org.opentest4j.TestAbortedException if faults are not supported (see {@link #requireFaults()})
     */
    RedisProcess process();
}
