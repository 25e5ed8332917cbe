package io.coord.testkit;

import io.coord.Capability;
import io.coord.Coordinator;
import io.coord.Primitive;
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

    /**
     * A short label for reports, e.g. {@code "etcd (3-node cluster)"}.
     *
     * @return the label, stable for the backend's life
     */
    String label();

    /**
     * Opens a new coordinator (a new client, as a separate process would have) on {@code namespace}.
     *
     * @param namespace the coord namespace
     * @return an open coordinator, which the caller (the scenario) closes
     */
    Coordinator open(String namespace);

    /**
     * Every key / node the backend has under {@code namespace} on the server, read directly (not through coord).
     *
     * @param namespace the coord namespace
     * @return the keys or node paths, as the backend names them; empty when nothing is left
     */
    Set<String> keys(String namespace);

    /**
     * The entries the server holds right now for one lock, fair lock, election, semaphore or read-write lock of that name in
     * {@code namespace} — the holder's and the queued waiters' (keys, nodes or queue members), read
     * directly from the server. A backend whose plain lock keeps no queue lists only the holder.
     *
     * @param namespace the coord namespace
     * @param primitive which kind of primitive
     * @param name the primitive's name
     * @return the entries in the server's queue order, holder first; empty when none
     */
    java.util.List<String> entries(String namespace, Primitive primitive, String name);

    /**
     * Whether a key may legitimately remain after every session is closed (for example a
     * per-lock token counter). Everything else must be gone. Document the same list in the backend.
     *
     * @param key a key or node path as {@link #keys} returns it
     * @return true if the key may outlive every session
     */
    boolean isPermanent(String key);

    /**
     * The capabilities this backend claims; the kit checks the coordinator reports exactly these.
     *
     * @return the capabilities, as the coordinator must report them
     */
    Set<Capability> declaredCapabilities();

    /**
     * A short TTL the server grants as asked (used where a test waits for an expiry).
     *
     * @return the TTL, at least {@link #minimumGrantedTtl()}
     */
    Duration shortTtl();

    /**
     * A long TTL the server grants as asked (used where a test must show something did not wait for expiry).
     *
     * @return the TTL, long enough that no session of it expires during a test
     */
    Duration longTtl();

    /**
     * The smallest TTL the server grants: a request below it is raised (and reported) to at least this.
     *
     * @return the server's minimum TTL
     */
    Duration minimumGrantedTtl();

    /**
     * Round trips of one uncontended acquire plus release that the backend promises at most (lock and fair lock).
     *
     * @return the promised bound, checked against the coordinator's statistics
     */
    int maxRoundTripsPerUncontendedCycle();

    /**
     * Round trips of one uncontended acquire plus release of {@code primitive} on a name not used before that the
     * backend promises at most. By default: the lock's bound for both modes of a read-write lock, and one more
     * (the slot claim) for a semaphore permit.
     *
     * @param primitive {@link Primitive#LOCK}, {@code FAIR_LOCK}, {@code SEMAPHORE} or {@code READ_WRITE_LOCK}
     * @return the promised bound, checked against the coordinator's statistics
     */
    default int maxRoundTripsPerUncontendedCycle(Primitive primitive) {
        return maxRoundTripsPerUncontendedCycle() + (primitive == Primitive.SEMAPHORE ? 1 : 0);
    }

    /**
     * Round trips of one join, one update and one leave of a member of a group not used before that the backend
     * promises at most, counted by the joining coordinator's statistics ({@link Primitive#GROUP}). By default 3: one
     * each.
     *
     * @return the promised bound
     */
    default int maxRoundTripsPerMembershipCycle() {
        return 3;
    }

    /**
     * Opens a new coordinator on {@code namespace} whose connections the kit can cut, as a crashed, frozen
     * or partitioned process is cut off: see {@link CrashableClient} (usually {@link CrashableClient#throughProxies}).
     *
     * @param namespace the coord namespace
     * @return an open coordinator and its crash switch, which the caller closes
     */
    CrashableClient openCrashable(String namespace);

    /**
     * Whether {@code thread} belongs to a coord client (it must be gone once its coordinator is closed).
     *
     * @param thread a live thread
     * @return true if the thread's name starts with {@code coord-}
     */
    default boolean isClientThread(Thread thread) {
        return thread.getName().startsWith("coord-");
    }
}
