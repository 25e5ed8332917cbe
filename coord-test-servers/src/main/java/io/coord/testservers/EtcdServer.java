package io.coord.testservers;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * An etcd server or cluster for tests, whatever its {@link #source()}. Obtain one through
 * {@link TestServers#etcd()} / {@link TestServers#etcdCluster()}, which apply the kit's source
 * policy. Guarantees: {@link #endpoints()} are {@code http://host:port} (or, for a TLS {@link EtcdCluster}, {@code https://}) client URLs that answered
 * {@code /health} when the server was handed out; {@link #members()} is non-empty exactly when
 * {@link #supportsFaults()}, and then member {@code i} serves {@code endpoints().get(i)}.
 */
public interface EtcdServer extends TestServer {

    /** Probe timeout used by {@link #leaderIndex()}. */
    Duration PROBE_TIMEOUT = Duration.ofMillis(500);

    /**
     * Client URLs, e.g. {@code http://127.0.0.1:23790} ({@code https://} over TLS).
     *
     * @return the client URLs, at least one, in member order
     */
    List<String> endpoints();

    /**
     * The endpoints joined with commas (the form jetcd and {@code etcd://} URIs take).
     *
     * @return {@link #endpoints()} joined with {@code ,}
     */
    default String endpointsCsv() {
        return String.join(",", endpoints());
    }

    /**
     * An {@code etcd://host:port[,host:port]/namespace} URI for the coord backend.
     *
     * @param namespace the coord namespace, appended as the URI's path
     * @return the URI with the endpoints' host:port (scheme dropped); TLS settings are not in it
     */
    default String coordUri(String namespace) {
        StringBuilder hosts = new StringBuilder();
        for (String e : endpoints()) {
            if (hosts.length() > 0) {
                hosts.append(',');
            }
            hosts.append(e.replaceFirst("^https?://", ""));
        }
        return "etcd://" + hosts + "/" + namespace;
    }

    /**
     * The members the kit controls (kill, pause, restart); empty unless {@link #supportsFaults()}.
     *
     * @return the members in endpoint order, or an empty list
     */
    List<EtcdMember> members();

    /**
     * Member {@code i}; calls {@link #requireFaults()} first.
     *
     * @param i the member's index, as in {@link #endpoints()}
     * @return the member serving {@code endpoints().get(i)}
     * @throws org.opentest4j.TestAbortedException if faults are not supported (see {@link #requireFaults()})
     * @throws IndexOutOfBoundsException if there is no member {@code i}
     */
    default EtcdMember member(int i) {
        requireFaults();
        return members().get(i);
    }

    /**
     * The index (into {@link #endpoints()}) of the current leader as reported by the reachable
     * members, or empty when no reachable member knows a leader that is itself reachable.
     *
     * @return the leader's index, or empty
     */
    default OptionalInt leaderIndex() {
        List<String> eps = endpoints();
        String[] ids = new String[eps.size()];
        String leader = null;
        for (int i = 0; i < eps.size(); i++) {
            Optional<EtcdHttp.Status> st = EtcdHttp.status(eps.get(i), PROBE_TIMEOUT);
            if (st.isPresent()) {
                ids[i] = st.get().memberId();
                if (st.get().hasLeader() && leader == null) {
                    leader = st.get().leaderId();
                }
            }
        }
        for (int i = 0; i < ids.length; i++) {
            if (leader != null && leader.equals(ids[i])) {
                return OptionalInt.of(i);
            }
        }
        return OptionalInt.empty();
    }

    /**
     * Polls {@link #leaderIndex()} until a leader is found, at most {@code timeout}.
     *
     * @param timeout how long to poll (every 50 ms)
     * @return the leader's index into {@link #endpoints()}
     * @throws IllegalStateException when no leader appears in time
     */
    default int awaitLeader(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        do {
            OptionalInt idx = leaderIndex();
            if (idx.isPresent()) {
                return idx.getAsInt();
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        } while (System.nanoTime() < deadline);
        throw new IllegalStateException("no etcd leader among " + endpoints() + " within " + timeout);
    }

    /**
     * True when every endpoint answers {@code /health} within {@code timeout}.
     *
     * @param timeout the probe timeout of each endpoint
     * @return true if every endpoint reported healthy
     */
    default boolean allHealthy(Duration timeout) {
        for (String e : endpoints()) {
            if (!EtcdHttp.isHealthy(e, timeout)) {
                return false;
            }
        }
        return true;
    }
}
