package io.coord.election;

import java.util.Optional;

/** Told of the leader of an election (empty: no leader), on the coordinator's event thread. */
@FunctionalInterface
public interface LeaderListener {
    /**
     * Called with the state first observed, then with each change, in order.
     *
     * @param leader the leader, or empty if the election has none
     */
    void leaderChanged(Optional<Leader> leader);
}
