package io.coord.redis;

import io.coord.testkit.faults.FaultBackend;
import io.coord.testkit.faults.ServerFaults;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/** The fault suite's view of coord-redis: one server (or one address in front of a primary/replica pair). */
final class RedisFaultBackend extends RedisKitBackend implements FaultBackend {

    private final String hostPort;
    private final ServerFaults serverFaults;

    RedisFaultBackend(String label, String host, int port, ServerFaults serverFaults) {
        super(label, List.of(URI.create("redis://" + host + ":" + port)), ns -> "redis://" + host + ":" + port + "/" + ns);
        this.hostPort = host + ":" + port;
        this.serverFaults = serverFaults;
    }

    @Override
    public List<String> endpoints() {
        return List.of(hostPort);
    }

    @Override
    public String uri(String namespace, List<String> hostPorts) {
        return "redis://" + hostPorts.get(0) + "/" + namespace;
    }

    /**
     * Redis expires the dead holder's session key within about a millisecond of its TTL (the key is
     * checked on access); a waiter re-checks its predecessor's PTTL when it could have run out and
     * at least every poll interval. One more second covers a busy machine.
     */
    @Override
    public Duration expiryBound(Duration ttl) {
        return redisExpiryBound(ttl);
    }

    /** {@link #expiryBound} for every Redis fault backend (TLS ones included). */
    static Duration redisExpiryBound(Duration ttl) {
        return ttl.multipliedBy(3).dividedBy(2).plusSeconds(1);
    }

    @Override
    public ServerFaults serverFaults() {
        return serverFaults;
    }
}
