package io.coord;

import io.coord.group.GroupView;

import io.coord.election.ElectionView;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The entry point: one connection to one coordination backend, scoped to one namespace.
 *
 * <p>Open it from a URI ({@code zookeeper://host:port[,host:port]/namespace}, {@code etcd://…},
 * {@code redis://…}); the backend is found through {@link ServiceLoader} among the
 * {@link CoordinatorProvider}s on the class path. Each backend module also has a builder.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>Everything this coordinator creates lives under its namespace; two coordinators with
 *       different namespaces never see each other's locks, sessions or elections.</li>
 *   <li>Ownership belongs to a {@link Session} (a lease kept alive in the background), never to a
 *       thread: locks and leadership are acquired under a session and lost with it.</li>
 *   <li>{@link #close()} closes every session it opened (revoking them, so whatever they held is
 *       free at once), disconnects, and stops every thread it started.</li>
 *   <li>Listener callbacks run on one coordinator-owned thread, in order, never on a client
 *       library's I/O thread; a callback that blocks delays later callbacks but nothing else.
 *       (Observers for metrics, {@link #addObserver(CoordObserver)}, are the one exception: they
 *       run on the thread that saw the event and must not block.)</li>
 * </ul>
 *
 * <p>Names of locks and elections: any non-blank string of at most 256 UTF-8 bytes; '/', spaces,
 * '*', '{', '}', '%' and non-ASCII characters are legal and mapped safely to backend keys.
 */
public interface Coordinator extends AutoCloseable {

    /**
     * Opens a coordinator for {@code uri}, e.g. {@code "etcd://127.0.0.1:2379/myapp"}.
     *
     * @param uri the backend URI; leading and trailing blanks are ignored
     * @return a new coordinator, owned by the caller, who must close it
     * @throws NullPointerException     if {@code uri} is null
     * @throws IllegalArgumentException if {@code uri} is not a valid URI or {@link #open(URI)} rejects it
     */
    static Coordinator open(String uri) {
        if (uri == null) {
            throw new NullPointerException("uri must not be null; expected e.g. zookeeper://host:port/namespace");
        }
        final URI parsed;
        try {
            parsed = new URI(uri.trim());
        } catch (java.net.URISyntaxException e) {
            // Neither the input nor the parser's message (which quotes the input) is shown: it may hold a password.
            throw new IllegalArgumentException("not a valid URI: '" + io.coord.spi.CoordinatorUri.redacted(uri) + "' ("
                    + e.getReason() + " at index " + e.getIndex() + "); expected e.g. zookeeper://host:port/namespace", null);
        }
        return open(parsed);
    }

    /**
     * Opens a coordinator for {@code uri}; the scheme selects the backend.
     *
     * @param uri the backend URI; its scheme is matched case-insensitively against {@link CoordinatorProvider#schemes()}
     * @return a new coordinator, owned by the caller, who must close it
     * @throws NullPointerException     if {@code uri} is null
     * @throws IllegalArgumentException if {@code uri} has no scheme, no provider on the class path handles it, or the
     *                                  provider rejects the rest of the URI
     */
    static Coordinator open(URI uri) {
        if (uri == null) {
            throw new NullPointerException("uri must not be null; expected e.g. zookeeper://host:port/namespace");
        }
        String scheme = uri.getScheme();
        if (scheme == null) {
            throw new IllegalArgumentException("URI '" + io.coord.spi.CoordinatorUri.redacted(uri)
                    + "' has no scheme; expected one of zookeeper://, etcd://, redis://");
        }
        List<String> known = new ArrayList<>();
        for (CoordinatorProvider provider : ServiceLoader.load(CoordinatorProvider.class, Coordinator.class.getClassLoader())) {
            known.addAll(provider.schemes());
            if (provider.schemes().contains(scheme.toLowerCase(java.util.Locale.ROOT))) {
                return provider.open(uri);
            }
        }
        throw new IllegalArgumentException("no coord backend on the class path handles scheme '" + scheme
                + "' (found: " + known + "); add coord-zookeeper, coord-etcd or coord-redis as a dependency");
    }

    /**
     * The backend's name: {@code "zookeeper"}, {@code "etcd"} or {@code "redis"}.
     *
     * @return the backend's name
     */
    String backend();

    /**
     * The namespace (key prefix) isolating this application on the cluster.
     *
     * @return the namespace, as checked by {@link io.coord.spi.Arguments#namespace(String)}; {@code "coord"} if none was given
     */
    String namespace();

    /**
     * What this backend guarantees beyond the common contract; see {@link Capability}.
     *
     * @return an unmodifiable set, possibly empty, fixed for the life of this coordinator
     */
    Set<Capability> capabilities();

    /**
     * Opens a session: a lease with the given time-to-live, renewed in the background about every
     * TTL/3. The server may clamp the TTL; {@link Session#grantedTtl()} reports what it granted.
     *
     * @param ttl between 100 ms and 1 hour
     * @return a new {@link SessionState#ACTIVE} session, already renewing; close it to free what it holds at once
     * @throws BackendUnavailableException if the server cannot be reached in time
     * @throws IllegalStateException       if this coordinator is closed
     */
    Session openSession(Duration ttl);

    /**
     * Asynchronous form of {@link #openSession(Duration)}; argument errors are thrown at once. The session is
     * opened on a coordinator worker thread; cancelling the future does not stop that, and a session opened after
     * the cancellation lives (and is renewed) until the coordinator closes.
     *
     * @param ttl between 100 ms and 1 hour
     * @return a future of the new session, or failing with what {@link #openSession(Duration)} would throw
     * @throws IllegalStateException if this coordinator is closed
     */
    CompletableFuture<Session> openSessionAsync(Duration ttl);

    /**
     * A read-only view of an election, for observers that do not campaign: needs no session.
     * To campaign, use {@link Session#election(String)}.
     *
     * @param name the election's name (see the class comment for legal names)
     * @return a new view; each {@link ElectionView#leader()} reads from the server
     * @throws IllegalStateException if this coordinator is closed
     */
    ElectionView election(String name);

    /**
     * A read-only view of a group: its members, and a watch of every change. Needs no session; to join, use
     * {@link Session#join(String, String, String)}.
     *
     * @param name the group's name (same rules as lock names)
     * @return a new view; each {@link GroupView#members()} reads from the server
     * @throws NullPointerException     if {@code name} is null
     * @throws IllegalArgumentException if {@code name} breaks the rules
     * @throws IllegalStateException    if this coordinator is closed
     */
    GroupView group(String name);

    /**
     * Round trips and waiter wake-ups counted so far, per primitive.
     *
     * @return the live counters (not a snapshot), readable from any thread
     */
    CoordStats stats();

    /**
     * Registers an observer of this coordinator's sessions, acquisitions, grants and leaderships (for
     * metrics); see {@link CoordObserver} for what it is told and on which threads. The same observer
     * may be added twice and is then told twice.
     *
     * <p>Compatibility (pre-1.0): this is a new abstract method; an implementation of {@code Coordinator} outside
     * coord must add it (coord's own backends inherit it from the SPI).
     *
     * @param observer the observer; it must be fast, non-blocking and thread-safe
     * @return closing it (idempotent) removes the observer: no call to it starts after close returns, and a call
     *         already running on another thread has finished by then (close waits for it, at most 5 s, and never
     *         for a call on its own thread: closing from within the observer returns at once). Reporting threads
     *         never wait for a close.
     * @throws NullPointerException  if {@code observer} is null
     * @throws IllegalStateException if this coordinator is closed
     */
    Subscription addObserver(CoordObserver observer);

    /**
     * Closes every open session (revoking their leases), disconnects and stops all threads this
     * coordinator started. Idempotent. Any later call fails with {@link IllegalStateException}.
     */
    @Override
    void close();
}
