package io.coord.spring.integration;

import io.coord.Coordinator;
import io.coord.testkit.CrashableClient;
import io.coord.testservers.EtcdServer;
import io.coord.testservers.TestServers;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The Spring Integration mapping on a real single-node etcd (the Debian binary on a loopback port). */
class EtcdSpringIntegrationTest extends SpringIntegrationContract {

    private static EtcdServer server;
    private static Client inspector;

    @BeforeAll
    static void startServer() {
        server = TestServers.etcd();
        inspector = Client.builder().endpoints(server.endpoints().toArray(String[]::new)).build();
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (inspector != null) {
            inspector.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Override
    Coordinator open(String namespace) {
        return Coordinator.open(server.coordUri(namespace));
    }

    @Override
    CrashableClient openCrashable(String namespace) {
        List<String> hostPorts = server.endpoints().stream().map(e -> e.replaceFirst("^https?://", "")).toList();
        return CrashableClient.throughProxies(hostPorts,
                proxies -> Coordinator.open("etcd://" + String.join(",", proxies) + "/" + namespace));
    }

    /** Every key under {@code coord/<ns>/}: all of them hang on a session's lease, none is permanent. */
    @Override
    Set<String> leftovers(String namespace) {
        Set<String> out = new TreeSet<>();
        for (KeyValue kv : list("coord/" + namespace + "/")) {
            out.add(kv.getKey().toString(StandardCharsets.UTF_8));
        }
        return out;
    }

    @Override
    int candidates(String namespace, String name) {
        return list("coord/" + namespace + "/election/" + name + "/").size();
    }

    @Override
    int lockEntries(String namespace, String name) {
        return list("coord/" + namespace + "/lock/" + name + "/").size();
    }

    @Override
    int fairEntries(String namespace, String name) {
        return list("coord/" + namespace + "/fairlock/" + name + "/").size();
    }

    @Override
    String serverHostPort() {
        return server.endpoints().get(0).replaceFirst("^https?://", "");
    }

    @Override
    Coordinator openAt(String hostPort, String namespace, Duration operationTimeout) {
        return Coordinator.open("etcd://" + hostPort + "/" + namespace + "?operationTimeout="
                + operationTimeout.toMillis() + "ms");
    }

    private List<KeyValue> list(String prefix) {
        try {
            return inspector.getKVClient().get(ByteSequence.from(prefix, StandardCharsets.UTF_8),
                    GetOption.builder().isPrefix(true).build()).get(10, TimeUnit.SECONDS).getKvs();
        } catch (Exception e) {
            throw new IllegalStateException("cannot list " + prefix + " on " + server.endpoints(), e);
        }
    }

    @Override
    Duration shortTtl() {
        return Duration.ofSeconds(2);
    }
}
