package io.coord.zookeeper;

import io.coord.testkit.faults.FaultBackend;
import io.coord.testkit.faults.ClusterFaultKit;
import io.coord.testkit.faults.ServerFaults;
import io.coord.testservers.TestServers;
import io.coord.testservers.ZooKeeperTestEnsemble;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** Fault scenarios against an in-process 3-node ZooKeeper ensemble whose leader can be killed. */
@DisplayName("zookeeper 3-node ensemble: faults")
class ZooKeeperEnsembleFaultTest extends ClusterFaultKit {

    private static ZooKeeperTestEnsemble ensemble;
    private static ZooKeeperFaultBackend backend;

    @BeforeAll
    static void startEnsemble() {
        ensemble = TestServers.zookeeperEnsemble();
        backend = new ZooKeeperFaultBackend("zookeeper (3-node ensemble)", ensemble.connectString(), new ServerFaults() {
            @Override
            public Topology topology() {
                return Topology.CLUSTER;
            }

            @Override
            public Runnable killLeader() {
                int leader = ensemble.awaitLeader(Duration.ofSeconds(20));
                ensemble.kill(leader);
                return () -> ensemble.restart(leader);
            }
        });
    }

    @AfterAll
    static void stopEnsemble() {
        if (backend != null) {
            backend.close();
        }
        if (ensemble != null) {
            ensemble.close();
        }
    }

    @Override
    protected FaultBackend backend() {
        return backend;
    }
}
