package io.coord.examples.crontab;

import io.coord.testservers.TcpFaultProxy;
import java.util.ArrayList;
import java.util.List;

/**
 * One worker's network link to the cluster: a {@link TcpFaultProxy} on 127.0.0.1 per server
 * endpoint, and the backend URI rewritten to reach the servers through them. {@link #cutOff()}
 * black-holes every proxy: the connections stay open but nothing is delivered in either direction,
 * which is exactly what a partitioned or frozen process looks like to the cluster. It stops
 * renewing its session and revokes nothing, so the server frees the session only when the TTL runs
 * out; locally the client sees no answers, its session suspends and expires at its validity
 * deadline, while the worker's own thread keeps running.
 *
 * <p>{@link #direct} makes a link without proxies, for runs without a crash. Thread safety: the
 * proxies are thread-safe; {@link #cutOff()} and {@link #close()} may be called from any thread.
 */
final class WorkerNetwork implements AutoCloseable {

    /** Connections one proxy serves at once: a client reconnecting while cut off opens new ones. */
    private static final int MAX_CONNECTIONS_PER_PROXY = 64;

    private final String uri;
    private final List<TcpFaultProxy> proxies;
    private volatile boolean cut;

    private WorkerNetwork(String uri, List<TcpFaultProxy> proxies) {
        this.uri = uri;
        this.proxies = List.copyOf(proxies);
    }

    /** A link straight to the servers of {@code backend}; it cannot be cut. */
    static WorkerNetwork direct(BackendUri backend) {
        return new WorkerNetwork(backend.toString(), List.of());
    }

    /** Starts one proxy per endpoint of {@code backend}; on failure, closes those already started. */
    static WorkerNetwork proxied(BackendUri backend) {
        List<TcpFaultProxy> proxies = new ArrayList<>();
        List<BackendUri.Endpoint> viaProxies = new ArrayList<>();
        try {
            for (BackendUri.Endpoint server : backend.endpoints()) {
                TcpFaultProxy proxy = TcpFaultProxy.start(server.host(), server.port(), MAX_CONNECTIONS_PER_PROXY);
                proxies.add(proxy);
                viaProxies.add(new BackendUri.Endpoint("127.0.0.1", proxy.port()));
            }
        } catch (RuntimeException e) {
            proxies.forEach(TcpFaultProxy::close);
            throw e;
        }
        return new WorkerNetwork(backend.withEndpoints(viaProxies).toString(), proxies);
    }

    /** The URI this worker's client opens. */
    String uri() {
        return uri;
    }

    /** {@code host:port} of each proxy, for the story; empty for a direct link. */
    List<String> proxyAddresses() {
        return proxies.stream().map(TcpFaultProxy::hostPort).toList();
    }

    /** Black-holes every proxy of this link: from now on nothing reaches the cluster or comes back. */
    void cutOff() {
        if (proxies.isEmpty()) {
            throw new IllegalStateException("cannot cut off a worker that reaches the servers directly (no proxy)");
        }
        cut = true;
        proxies.forEach(TcpFaultProxy::blackhole);
    }

    boolean isCut() {
        return cut;
    }

    /** Closes every proxy: resets their connections and stops their threads. Idempotent. */
    @Override
    public void close() {
        proxies.forEach(TcpFaultProxy::close);
    }
}
