package io.coord.testkit.faults;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

/**
 * The fault-injection suite's scenarios that every topology runs: holder faults and the client partition.
 * Subclass the kit of your backend's topology, which adds its server faults: {@link SingleServerFaultKit},
 * {@link ClusterFaultKit} or {@link PrimaryReplicaFaultKit} (or this class alone, for a topology whose server
 * faults are not injected). Every scenario records a history, runs it through the history checker and the fenced
 * register, and adds a row to {@code target/fault-results.md} (see {@link FaultReport}). No scenario is skipped:
 * each group applies to every backend it is nested for.
 */
public abstract class FaultKit {

    /** For subclasses: the kits of each topology, and a backend's own test class. */
    protected FaultKit() {
    }

    /**
     * The backend under test; called once per scenario, usually returning a shared instance.
     *
     * @return the backend
     */
    protected abstract FaultBackend backend();

    @Nested
    @DisplayName("holder faults")
    class HolderFaults extends HolderFaultRules {
        HolderFaults() {
            super(FaultKit.this::backend);
        }
    }

    @Nested
    @DisplayName("client partition")
    class Partition extends PartitionRules {
        Partition() {
            super(FaultKit.this::backend);
        }
    }
}
