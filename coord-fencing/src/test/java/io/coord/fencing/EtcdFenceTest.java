package io.coord.fencing;

import static org.assertj.core.api.Assertions.assertThat;

import io.coord.testservers.EtcdServer;
import io.coord.testservers.TestServers;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link EtcdFence} on a real etcd started by coord-test-servers. */
class EtcdFenceTest extends FenceContractTest {
    private static EtcdServer etcd;
    private static Client client;
    private static EtcdFence fence;

    @BeforeAll
    static void start() {
        etcd = TestServers.etcd();
        client = Client.builder().endpoints(etcd.endpoints().toArray(new String[0])).build();
        fence = EtcdFence.of(client.getKVClient());
    }

    @AfterAll
    static void stop() throws Exception {
        closeAll(client, etcd);
    }

    @Override
    Sink sink() {
        return Sink.ofBytes(fence, r -> get(fence.valueKey(r)).map(kv -> kv.getValue().getBytes()).orElse(null));
    }

    @Test
    void theTokenAndTheValueAreWrittenInOneTransaction() {
        assertThat(fence.write("txn", 3, new byte[] {3}).accepted()).isTrue();
        KeyValue token = get(fence.tokenKey("txn")).orElseThrow();
        KeyValue value = get(fence.valueKey("txn")).orElseThrow();
        assertThat(token.getKey().toString(StandardCharsets.UTF_8)).isEqualTo("coord/fence/token/txn");
        assertThat(token.getValue().toString(StandardCharsets.US_ASCII)).isEqualTo("0000000000000000003");
        assertThat(value.getModRevision()).as("one revision: one transaction").isEqualTo(token.getModRevision());
        long before = value.getModRevision();
        assertThat(fence.write("txn", 2, new byte[] {2}).isStale()).isTrue();
        assertThat(get(fence.valueKey("txn")).orElseThrow().getModRevision()).as("the refused write changed nothing").isEqualTo(before);
    }

    private static Optional<KeyValue> get(ByteSequence key) {
        try {
            List<KeyValue> kvs = client.getKVClient().get(key).get().getKvs();
            return kvs.stream().findFirst();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }
}
