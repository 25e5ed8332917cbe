package io.coord.micrometer;

import io.coord.Coordinator;
import io.coord.etcd.EtcdCoordinator;
import io.coord.testkit.CrashableClient;
import io.coord.testservers.EtcdServer;
import io.coord.testservers.TestServers;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** {@link CoordMetrics} on one etcd node (the etcd binary, or COORD_ETCD_ENDPOINTS). */
@DisplayName("coord metrics on etcd")
class EtcdCoordMetricsTest extends CoordMetricsContract {

    private static EtcdServer server;
    private static Client inspector;

    @BeforeAll
    static void startServer() {
        server = TestServers.etcd();
        inspector = Client.builder().endpoints(server.endpoints().toArray(String[]::new)).build();
    }

    @AfterAll
    static void stopServer() {
        if (inspector != null) {
            inspector.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static Coordinator open(String namespace, List<String> hostPorts) {
        return EtcdCoordinator.builder().endpoints(hostPorts).namespace(namespace).operationTimeout(Duration.ofSeconds(5)).build();
    }

    private static List<String> hostPorts() {
        return server.endpoints().stream().map(e -> e.replaceFirst("^https?://", "")).toList();
    }

    @Override
    Coordinator open(String namespace) {
        return open(namespace, hostPorts());
    }

    @Override
    CrashableClient openCrashable(String namespace) {
        return CrashableClient.throughProxies(hostPorts(), proxies -> open(namespace, proxies));
    }

    /** Every key under {@code coord/<namespace>/}: coord-etcd attaches each to a session's lease. */
    @Override
    Set<String> leftovers(String namespace) {
        try {
            Set<String> out = new TreeSet<>();
            inspector.getKVClient().get(ByteSequence.from("coord/" + namespace + "/", StandardCharsets.UTF_8),
                            GetOption.builder().isPrefix(true).build())
                    .get(10, TimeUnit.SECONDS).getKvs().forEach(kv -> out.add(kv.getKey().toString(StandardCharsets.UTF_8)));
            return out;
        } catch (Exception e) {
            throw new IllegalStateException("cannot list coord/" + namespace + "/ on " + server.endpoints(), e);
        }
    }

    @Override
    Duration shortTtl() {
        return Duration.ofSeconds(2);
    }

    @Override
    String backend() {
        return "etcd";
    }
}
