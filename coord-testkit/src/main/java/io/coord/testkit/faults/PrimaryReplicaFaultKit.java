package io.coord.testkit.faults;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

/**
 * The fault suite for a primary and its replica (Redis): every scenario of {@link FaultKit} plus {@link ServerFaultRules.PrimaryFailover}.
 * Its {@link #backend()} must report that topology ({@link ServerFaults#topology()}), or the server-fault group fails.
 */
public abstract class PrimaryReplicaFaultKit extends FaultKit {

    /** For a backend's test class. */
    protected PrimaryReplicaFaultKit() {
    }

    @Nested
    @DisplayName("primary failed over under load")
    class PrimaryReplicaFailover extends ServerFaultRules.PrimaryFailover {
        PrimaryReplicaFailover() {
            super(PrimaryReplicaFaultKit.this::backend);
        }
    }
}
