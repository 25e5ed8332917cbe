package io.coord.testkit.faults;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

/**
 * The fault suite for a single server: every scenario of {@link FaultKit} plus {@link ServerFaultRules.Restart}.
 * Its {@link #backend()} must report that topology ({@link ServerFaults#topology()}), or the server-fault group fails.
 */
public abstract class SingleServerFaultKit extends FaultKit {

    /** For a backend's test class. */
    protected SingleServerFaultKit() {
    }

    @Nested
    @DisplayName("server killed and restarted")
    class ServerRestart extends ServerFaultRules.Restart {
        ServerRestart() {
            super(SingleServerFaultKit.this::backend);
        }
    }
}
