package io.coord.testkit;

import io.coord.Coordinator;
import io.coord.testservers.TcpFaultProxy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A coordinator the kit can crash where real crashes happen, outside coord: a separate client whose
 * connections to the server run through a cut the test controls. {@link #crash()} silences it the way a
 * frozen or partitioned process goes silent — its requests and renewals go unanswered, nothing is
 * revoked, the server frees its leases only when their TTL runs out, and the client itself sees
 * timeouts until its local validity deadline passes. coord has no hook for this and needs none.
 *
 * <p>Usually made with {@link #throughProxies}: one {@link TcpFaultProxy} per server endpoint, black-holed
 * on crash. A topology whose clients follow server redirects (Redis Cluster) builds its own cut.
 */
public final class CrashableClient implements AutoCloseable {

    private final Coordinator coordinator;
    private final Runnable crash;
    private final Runnable dispose;

    /**
     * A client with its own way to be cut off; closing this object closes the coordinator, then disposes.
     *
     * @param coordinator the client to crash
     * @param crash       cuts it off from the server, at once, without closing anything
     * @param dispose     undoes the cut's resources after the coordinator is closed (proxies, users)
     */
    public CrashableClient(Coordinator coordinator, Runnable crash, Runnable dispose) {
        this.coordinator = coordinator;
        this.crash = crash;
        this.dispose = dispose;
    }

    /**
     * Starts one proxy per {@code host:port} in {@code endpoints} and opens a coordinator through them with
     * {@code open} (given the proxies' {@code host:port}s, in the same order). A crash black-holes them all:
     * connections stay open, nothing is delivered either way, new connections are accepted and hang.
     *
     * @param endpoints the servers' {@code host:port}s
     * @param open opens the coordinator on the given proxy addresses
     * @return the client; closing it also closes the proxies
     * @throws RuntimeException whatever {@code open} throws, after closing the proxies
     */
    public static CrashableClient throughProxies(List<String> endpoints, Function<List<String>, Coordinator> open) {
        List<TcpFaultProxy> proxies = new ArrayList<>();
        try {
            for (String endpoint : endpoints) {
                int colon = endpoint.lastIndexOf(':');
                proxies.add(TcpFaultProxy.start(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1)), 64));
            }
            Coordinator c = open.apply(proxies.stream().map(TcpFaultProxy::hostPort).toList());
            return new CrashableClient(c, () -> proxies.forEach(TcpFaultProxy::blackhole), () -> proxies.forEach(TcpFaultProxy::close));
        } catch (RuntimeException e) {
            proxies.forEach(TcpFaultProxy::close);
            throw e;
        }
    }

    /**
     * The crashable client; close this object, not the coordinator.
     *
     * @return the coordinator, for the scenario to use
     */
    public Coordinator coordinator() {
        return coordinator;
    }

    /** Cuts the client off from the server from now on (idempotent). Nothing is closed or revoked. */
    public void crash() {
        crash.run();
    }

    /** Closes the coordinator (whose sessions have usually expired by then), then the cut. */
    @Override
    public void close() {
        try {
            coordinator.close();
        } finally {
            dispose.run();
        }
    }
}
