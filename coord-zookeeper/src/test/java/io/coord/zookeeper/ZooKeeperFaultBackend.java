package io.coord.zookeeper;

import io.coord.testkit.faults.FaultBackend;
import io.coord.testkit.faults.ServerFaults;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * The fault suite's view of coord-zookeeper: the kit backend plus the URIs a holder JVM or a
 * proxy needs, the expiry bound, and the server faults of the topology.
 */
final class ZooKeeperFaultBackend extends ZooKeeperKitBackend implements FaultBackend {

    private final String connectString;
    private final ServerFaults serverFaults;

    ZooKeeperFaultBackend(String label, String connectString, ServerFaults serverFaults) {
        super(label, connectString);
        this.connectString = connectString;
        this.serverFaults = serverFaults;
    }

    @Override
    public List<String> endpoints() {
        return Arrays.asList(connectString.split(","));
    }

    @Override
    public String uri(String namespace, List<String> hostPorts) {
        return "zookeeper://" + String.join(",", hostPorts) + "/" + namespace;
    }

    /**
     * The server expires a session in the first tick bucket after its timeout (≤ TTL + one tick,
     * 200 ms here); the waiter's watch then fires. One more second covers a busy machine.
     */
    @Override
    public Duration expiryBound(Duration ttl) {
        return zooKeeperExpiryBound(ttl);
    }

    /** {@link #expiryBound}, for the fault backends not built on this class (over TLS). */
    static Duration zooKeeperExpiryBound(Duration ttl) {
        return ttl.plusMillis(200).plusSeconds(1);
    }

    @Override
    public ServerFaults serverFaults() {
        return serverFaults;
    }
}
