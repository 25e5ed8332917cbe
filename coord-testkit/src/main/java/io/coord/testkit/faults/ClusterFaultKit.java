package io.coord.testkit.faults;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

/**
 * The fault suite for a cluster (etcd members, a ZooKeeper ensemble): every scenario of {@link FaultKit} plus {@link ServerFaultRules.LeaderFailover}.
 * Its {@link #backend()} must report that topology ({@link ServerFaults#topology()}), or the server-fault group fails.
 */
public abstract class ClusterFaultKit extends FaultKit {

    /** For a backend's test class. */
    protected ClusterFaultKit() {
    }

    @Nested
    @DisplayName("cluster leader killed under load")
    class ClusterLeaderFailover extends ServerFaultRules.LeaderFailover {
        ClusterLeaderFailover() {
            super(ClusterFaultKit.this::backend);
        }
    }
}
