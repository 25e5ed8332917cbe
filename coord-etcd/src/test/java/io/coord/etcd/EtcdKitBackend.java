package io.coord.etcd;

import io.coord.Capability;
import io.coord.Coordinator;
import io.coord.Primitive;
import io.coord.testkit.CrashableClient;
import io.coord.testkit.KitBackend;
import io.coord.testservers.EtcdServer;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The kit's view of coord-etcd on one test server. Reads the keyspace with its own jetcd client (not through
 * coord): a plain one, or the admin client a TLS backend gives ({@link EtcdSecureKitBackend}). Test servers run
 * with election timeout 500 ms, so the minimum lease TTL is 1 s.
 */
class EtcdKitBackend implements KitBackend, AutoCloseable {

    private final String label;
    private final EtcdServer server;
    private final Client inspector;

    EtcdKitBackend(String label, EtcdServer server) {
        this(label, server, Client.builder().endpoints(server.endpoints().toArray(String[]::new)).build());
    }

    /** With {@code inspector} (closed with this backend) reading the keyspace, e.g. an authenticated admin client over TLS. */
    EtcdKitBackend(String label, EtcdServer server, Client inspector) {
        this.label = label;
        this.server = server;
        this.inspector = inspector;
    }

    /**
     * How coordinators of {@code namespace} reach the server beyond endpoints, namespace and timeout (TLS, identity):
     * nothing here; a TLS backend overrides it.
     */
    EtcdCoordinatorBuilder connect(String namespace, EtcdCoordinatorBuilder builder) {
        return builder;
    }

    EtcdServer server() {
        return server;
    }

    @Override
    public String label() {
        return label;
    }

    @Override
    public Coordinator open(String namespace) {
        return connect(namespace, EtcdCoordinator.builder().endpoints(server.endpoints()).namespace(namespace)
                .operationTimeout(Duration.ofSeconds(5))).build();
    }

    /** The members' client endpoints as {@code host:port}. */
    List<String> hostPorts() {
        return server.endpoints().stream().map(e -> e.replaceFirst("^https?://", "")).toList();
    }

    /** A coordinator reaching every member through its own fault proxy (gRPC connects only where it is told). */
    @Override
    public CrashableClient openCrashable(String namespace) {
        return CrashableClient.throughProxies(hostPorts(), proxies -> connect(namespace, EtcdCoordinator.builder()
                .endpoints(proxies).namespace(namespace)
                .operationTimeout(Duration.ofSeconds(5))).build());
    }

    @Override
    public Set<String> keys(String namespace) {
        return list(new EtcdKeys(namespace).namespacePrefix()).stream().map(kv -> EtcdKeys.text(kv.getKey()))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    @Override
    public List<String> entries(String namespace, Primitive primitive, String name) {
        EtcdKeys keys = new EtcdKeys(namespace);
        ByteSequence queue = primitive == Primitive.GROUP ? keys.groupPrefix(name) : keys.queue(primitive, name);
        return list(queue).stream().map(kv -> EtcdKeys.text(kv.getKey())).collect(Collectors.toList());
    }

    /** Keys under {@code prefix}, oldest (smallest create revision) first. */
    List<KeyValue> list(ByteSequence prefix) {
        try {
            return inspector.getKVClient().get(prefix, GetOption.builder().isPrefix(true)
                    .withSortField(GetOption.SortTarget.CREATE).withSortOrder(GetOption.SortOrder.ASCEND).build())
                    .get(10, TimeUnit.SECONDS).getKvs();
        } catch (Exception e) {
            throw new IllegalStateException("cannot list " + EtcdKeys.text(prefix) + " on " + server.endpoints(), e);
        }
    }

    Client inspector() {
        return inspector;
    }

    @Override
    public boolean isPermanent(String key) {
        return false; // coord-etcd keeps nothing permanent: every key (group members too) is attached to a session's lease
    }

    @Override
    public Set<Capability> declaredCapabilities() {
        return EnumSet.of(Capability.DURABLE_FENCING_TOKENS, Capability.FAILOVER_SAFE_EXCLUSION, Capability.SERVER_CLOCK_LEASES);
    }

    @Override
    public Duration shortTtl() {
        return Duration.ofSeconds(1);
    }

    @Override
    public Duration longTtl() {
        return Duration.ofSeconds(20);
    }

    @Override
    public Duration minimumGrantedTtl() {
        return Duration.ofSeconds(1);
    }

    /** One transaction to enqueue-and-win, one to release. */
    @Override
    public int maxRoundTripsPerUncontendedCycle() {
        return 2;
    }

    /** Enqueue + remove for locks and both read-write modes; enqueue + slot claim + remove for a semaphore permit. */
    @Override
    public int maxRoundTripsPerUncontendedCycle(Primitive primitive) {
        return primitive == Primitive.SEMAPHORE ? 3 : 2;
    }

    /** One transaction each: the join's put-if-absent, the update's and the leave's guarded put and delete. */
    @Override
    public int maxRoundTripsPerMembershipCycle() {
        return 3;
    }

    @Override
    public void close() {
        inspector.close();
    }
}
