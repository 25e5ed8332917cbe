package io.coord.etcd;

import io.coord.testkit.faults.FaultBackend;
import io.coord.testkit.faults.ServerFaults;
import io.coord.testservers.EtcdMember;
import io.coord.testservers.EtcdServer;
import java.time.Duration;
import java.util.List;

/**
 * The fault suite's view of coord-etcd: the kit backend plus URIs for holder JVMs and proxies, the expiry
 * bound, and the server faults of the topology (single node: kill -9 and restart on its data directory;
 * cluster: kill -9 the raft leader, restarted afterwards).
 */
class EtcdFaultBackend extends EtcdKitBackend implements FaultBackend {

    private final ServerFaults serverFaults;

    EtcdFaultBackend(String label, EtcdServer server) {
        super(label, server);
        this.serverFaults = server.members().size() > 1 ? cluster(server) : single(server);
    }

    /** With {@code inspector} reading the keyspace (see {@link EtcdKitBackend#EtcdKitBackend(String, EtcdServer, Client)}). */
    EtcdFaultBackend(String label, EtcdServer server, io.etcd.jetcd.Client inspector) {
        super(label, server, inspector);
        this.serverFaults = server.members().size() > 1 ? cluster(server) : single(server);
    }

    @Override
    public List<String> endpoints() {
        return hostPorts();
    }

    @Override
    public String uri(String namespace, List<String> hostPorts) {
        return "etcd://" + String.join(",", hostPorts) + "/" + namespace + uriParameters(namespace);
    }

    /** What {@link #uri} appends after the namespace ({@code ?tls=true&...} for a TLS backend): nothing here. */
    String uriParameters(String namespace) {
        return "";
    }

    /**
     * etcd revokes an expired lease in its first expiry check (every 500 ms) after the TTL, through raft;
     * the waiter's watch then fires and it re-reads once. One more second covers a busy machine.
     */
    @Override
    public Duration expiryBound(Duration ttl) {
        return ttl.plusMillis(500).plusSeconds(1);
    }

    @Override
    public ServerFaults serverFaults() {
        return serverFaults;
    }

    private static ServerFaults single(EtcdServer server) {
        if (!server.supportsFaults()) {
            return () -> ServerFaults.Topology.NONE;
        }
        return new ServerFaults() {
            @Override
            public Topology topology() {
                return Topology.SINGLE;
            }

            @Override
            public void killAndRestart() {
                EtcdMember m = server.member(0);
                m.kill();
                m.restart();
                m.awaitHealthy(Duration.ofSeconds(30));
            }
        };
    }

    private static ServerFaults cluster(EtcdServer server) {
        return new ServerFaults() {
            @Override
            public Topology topology() {
                return Topology.CLUSTER;
            }

            @Override
            public Runnable killLeader() {
                int leader = server.awaitLeader(Duration.ofSeconds(20));
                EtcdMember m = server.member(leader);
                m.kill();
                return () -> {
                    m.restart();
                    m.awaitHealthy(Duration.ofSeconds(30));
                };
            }
        };
    }
}
