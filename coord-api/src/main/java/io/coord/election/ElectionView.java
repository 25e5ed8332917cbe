package io.coord.election;

import io.coord.Subscription;
import java.util.Optional;

/**
 * Read-only view of an election: who leads now, and every change in order. Needs no session.
 */
public interface ElectionView {

    /**
     * The election's name, as given.
     *
     * @return the name passed to {@link io.coord.Coordinator#election(String)} or {@link io.coord.Session#election(String)}
     */
    String name();

    /**
     * The current leader, read from the server now (one round trip), or empty if there is none.
     *
     * @return the leader at the time of the read; it may have changed by the time this returns
     */
    Optional<Leader> leader();

    /**
     * Observes the election. The first call of the listener reports the current state (possibly
     * "no leader"); every later call reports a change (new leader, new value, new term, or no
     * leader), in order, on the coordinator's event thread; consecutive identical states are not
     * repeated. Close the returned subscription to stop.
     *
     * @param listener not null
     * @return the subscription; closing it stops the calls and the backend's watch or poller
     */
    Subscription observe(LeaderListener listener);
}
