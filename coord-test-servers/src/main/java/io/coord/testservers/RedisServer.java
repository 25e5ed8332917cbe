package io.coord.testservers;

import java.time.Duration;

/**
 * A single Redis for tests, whatever its {@link #source()}. Obtain one through
 * {@link TestServers#redis()}. Guarantees: it answered PING when handed out; {@link #process()}
 * is available exactly when {@link #supportsFaults()}.
 */
public interface RedisServer extends TestServer {

    /** Host to connect to. */
    String host();

    /** Port to connect to. */
    int port();

    /** {@code redis://host:port}. */
    default String uri() {
        return "redis://" + host() + ":" + port();
    }

    /** A {@code redis://host:port/namespace} URI for the coord backend. */
    default String coordUri(String namespace) {
        return uri() + "/" + namespace;
    }

    /** Opens a small RESP connection (2 s timeout) for assertions; the caller closes it. */
    default RespConnection connect() {
        return RespConnection.open(host(), port(), Duration.ofSeconds(2));
    }

    /** The process behind this server, for kill/pause/restart; calls {@link #requireFaults()} first. */
    RedisProcess process();
}
