package io.coord.election;

import io.coord.Subscription;
import java.util.Optional;

/**
 * Read-only view of an election: who leads now, and every change in order. Needs no session.
 */
public interface ElectionView {

    /** The election's name, as given. */
    String name();

    /** The current leader, read from the server now (one round trip), or empty if there is none. */
    Optional<Leader> leader();

    /**
     * Observes the election. The first call of the listener reports the current state (possibly
     * "no leader"); every later call reports a change (new leader, new value, new term, or no
     * leader), in order, on the coordinator's event thread; consecutive identical states are not
     * repeated. Close the returned subscription to stop.
     */
    Subscription observe(LeaderListener listener);
}
