package io.coord.election;

import java.util.Optional;

/** Told of the leader of an election (empty: no leader), on the coordinator's event thread. */
@FunctionalInterface
public interface LeaderListener {
    void leaderChanged(Optional<Leader> leader);
}
