package io.coord.testservers;

import java.util.List;

/**
 * An etcd the kit did not start: named by {@code COORD_ETCD_ENDPOINTS} ({@link ServerSource#EXTERNAL})
 * or a Testcontainers container ({@link ServerSource#TESTCONTAINERS}). No faults; closing stops
 * the container, if any, and never touches an external server.
 */
final class ExternalEtcd implements EtcdServer {
    private final ServerSource source;
    private final List<String> endpoints;
    private final Runnable onClose;
    private boolean closed;

    ExternalEtcd(ServerSource source, List<String> endpoints, Runnable onClose) {
        this.source = source;
        this.endpoints = List.copyOf(endpoints);
        this.onClose = onClose;
    }

    /** Parses {@code COORD_ETCD_ENDPOINTS}: comma-separated, {@code http://} added when missing. */
    static ExternalEtcd parse(String csv) {
        List<String> eps = new java.util.ArrayList<>();
        for (String s : csv.split(",")) {
            String t = s.trim();
            if (!t.isEmpty()) {
                eps.add(t.contains("://") ? t : "http://" + t);
            }
        }
        if (eps.isEmpty()) {
            throw new TestServerUnavailableException("COORD_ETCD_ENDPOINTS is set but names no endpoint: '" + csv + "'");
        }
        return new ExternalEtcd(ServerSource.EXTERNAL, eps, () -> { });
    }

    @Override
    public ServerSource source() {
        return source;
    }

    @Override
    public List<String> endpoints() {
        return endpoints;
    }

    @Override
    public List<EtcdMember> members() {
        return List.of();
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
        return "etcd(" + source + ")" + endpoints;
    }
}
