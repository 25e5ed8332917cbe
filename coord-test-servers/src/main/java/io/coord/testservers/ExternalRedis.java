package io.coord.testservers;

import java.net.URI;

/**
 * A Redis the kit did not start: named by {@code COORD_REDIS_URI} ({@link ServerSource#EXTERNAL})
 * or a Testcontainers container ({@link ServerSource#TESTCONTAINERS}). No faults; closing stops the
 * container, if any, and never touches an external server.
 */
final class ExternalRedis implements RedisServer {
    private final ServerSource source;
    private final String host;
    private final int port;
    private final Runnable onClose;
    private boolean closed;

    ExternalRedis(ServerSource source, String host, int port, Runnable onClose) {
        this.source = source;
        this.host = host;
        this.port = port;
        this.onClose = onClose;
    }

    /** Parses {@code COORD_REDIS_URI} ({@code redis://host[:port][/...]}, port 6379 by default). */
    static ExternalRedis parse(String uri) {
        try {
            URI u = URI.create(uri.contains("://") ? uri : "redis://" + uri);
            if (u.getHost() == null) {
                throw new IllegalArgumentException("no host");
            }
            return new ExternalRedis(ServerSource.EXTERNAL, u.getHost(), u.getPort() < 0 ? 6379 : u.getPort(), () -> { });
        } catch (IllegalArgumentException e) {
            throw new TestServerUnavailableException("COORD_REDIS_URI is not a redis://host:port URI: '" + uri + "'", e);
        }
    }

    @Override
    public ServerSource source() {
        return source;
    }

    @Override
    public String host() {
        return host;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public RedisProcess process() {
        requireFaults();
        throw new IllegalStateException("unreachable: " + source + " redis has no process");
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Reaper.unregister(this);
            onClose.run();
        }
    }

    @Override
    public String toString() {
        return "redis(" + source + ")" + uri();
    }
}
