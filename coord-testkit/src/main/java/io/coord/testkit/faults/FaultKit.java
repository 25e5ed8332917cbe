package io.coord.testkit.faults;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

/**
 * The fault-injection suite: subclass it once per topology with a {@link FaultBackend}. Every
 * scenario records a history, runs it through the history checker and the fenced register, and
 * adds a row to {@code target/fault-results.md} (see {@link FaultReport}). Scenarios that do not apply to a topology are
 * skipped with the reason.
 */
public abstract class FaultKit {

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

    @Nested
    @DisplayName("server faults")
    class ServerFaultScenarios extends ServerFaultRules {
        ServerFaultScenarios() {
            super(FaultKit.this::backend);
        }
    }
}
