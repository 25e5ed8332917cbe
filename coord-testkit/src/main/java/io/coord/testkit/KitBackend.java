package io.coord.testkit;

import io.coord.Capability;
import io.coord.Coordinator;
import java.time.Duration;
import java.util.Set;

/**
 * What the conformance kit needs from a backend under test: a way to open coordinators on a real
 * server, to look at the server's keyspace, and the few numbers the backend declares.
 *
 * <p>Implementations are usually shared by all tests of one class (the server is started once)
 * and must be thread-safe.
 */
public interface KitBackend {

    /** A short label for reports, e.g. {@code "etcd (3-node cluster)"}. */
    String label();

    /** Opens a new coordinator (a new client, as a separate process would have) on {@code namespace}. */
    Coordinator open(String namespace);

    /** Every key / node the backend has under {@code namespace} on the server, read directly (not through coord). */
    Set<String> keys(String namespace);

    /**
     * The entries the server holds right now for one lock, fair lock or election of that name in
     * {@code namespace} — the holder's and the queued waiters' (keys, nodes or queue members), read
     * directly from the server. A backend whose plain lock keeps no queue lists only the holder.
     */
    java.util.List<String> entries(String namespace, io.coord.Primitive primitive, String name);

    /**
     * Whether a key may legitimately remain after every session is closed (for example a
     * per-lock token counter). Everything else must be gone. Document the same list in the backend.
     */
    boolean isPermanent(String key);

    /** The capabilities this backend claims; the kit checks the coordinator reports exactly these. */
    Set<Capability> declaredCapabilities();

    /** A short TTL the server grants as asked (used where a test waits for an expiry). */
    Duration shortTtl();

    /** A long TTL the server grants as asked (used where a test must show something did not wait for expiry). */
    Duration longTtl();

    /** The smallest TTL the server grants: a request below it is raised (and reported) to at least this. */
    Duration minimumGrantedTtl();

    /** Round trips of one uncontended acquire plus release that the backend promises at most (lock and fair lock). */
    int maxRoundTripsPerUncontendedCycle();

    /**
     * Opens a new coordinator on {@code namespace} whose connections the kit can cut, as a crashed, frozen
     * or partitioned process is cut off: see {@link CrashableClient} (usually {@link CrashableClient#throughProxies}).
     */
    CrashableClient openCrashable(String namespace);

    /** Whether {@code thread} belongs to a coord client (it must be gone once its coordinator is closed). */
    default boolean isClientThread(Thread thread) {
        return thread.getName().startsWith("coord-");
    }
}
