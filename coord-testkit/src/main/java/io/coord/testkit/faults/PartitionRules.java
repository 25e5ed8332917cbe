package io.coord.testkit.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coord.CoordException;
import io.coord.Coordinator;
import io.coord.LossReason;
import io.coord.Session;
import io.coord.SessionState;
import io.coord.testkit.KitBackend;
import io.coord.testkit.Scenario;
import io.coord.testservers.TcpFaultProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A client partition, for a lock and for an election: a proxy between the client and every server blackholes its
 * traffic. The partitioned session is reported SUSPENDED then EXPIRED, its loss is signalled no later than its
 * {@code validUntil}, the next holder gets a greater token, and healing the partition does not resurrect the old
 * grant. The proxy forwards bytes, so this also runs over TLS (see each backend's TLS partition test). It needs
 * clients that reach every server through the proxy: a topology whose clients follow server redirects past any
 * proxy (Redis Cluster) does not nest this group.
 */
public abstract class PartitionRules extends Scenario {

    /**
     * These rules against the backend {@code backend} supplies, which must be a {@link FaultBackend}.
     *
     * @param backend called before each scenario
     */
    protected PartitionRules(Supplier<KitBackend> backend) {
        super(backend);
    }

    private FaultBackend faults() {
        return (FaultBackend) backend;
    }

    @ParameterizedTest
    @EnumSource(HolderFaultRules.Held.class)
    void aPartitionedClientIsExpiredAndHealingDoesNotResurrectIt(HolderFaultRules.Held kind) throws Exception {
        String name = unique("partition");
        Duration ttl = backend.shortTtl();
        List<TcpFaultProxy> proxies = new ArrayList<>();
        try {
            List<String> via = new ArrayList<>();
            for (String endpoint : faults().endpoints()) {
                int colon = endpoint.lastIndexOf(':');
                TcpFaultProxy p = TcpFaultProxy.start(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1)));
                proxies.add(p);
                via.add(p.hostPort());
            }
            Coordinator cut = adopt(Coordinator.open(faults().uri(namespace, via)));
            Session s = cut.openSession(ttl);
            List<SessionState> states = new CopyOnWriteArrayList<>();
            s.addListener((x, from, to) -> states.add(to));
            Holding old = Holding.take(s, kind, name);
            AtomicLong lostAt = new AtomicLong();
            CompletableFuture<LossReason> lostSignal = old.lost().whenComplete((r, e) -> lostAt.set(System.nanoTime()));

            proxies.forEach(TcpFaultProxy::blackhole);
            long cutAt = System.nanoTime();

            assertThat(join(lostSignal)).isEqualTo(LossReason.SESSION_EXPIRED);
            long deadline = s.validUntilNanos();
            assertThat(lostAt.get()).as("the loss was signalled no later than validUntil").isLessThanOrEqualTo(deadline);
            assertThat(old.held().get()).isFalse();
            await().untilAsserted(() -> assertThat(states).containsSubsequence(SessionState.SUSPENDED, SessionState.EXPIRED));

            try (Session other = session()) {
                Holding next = Holding.take(other, kind, name);
                long recoveredAt = System.nanoTime();
                assertThat(next.token()).isGreaterThan(old.token());

                proxies.forEach(TcpFaultProxy::heal);
                // Healing must not resurrect the old grant: watch for a while that nothing changes.
                await().during(ttl.multipliedBy(2)).atMost(ttl.multipliedBy(2).plus(patience())).until(() ->
                        !old.held().get() && s.state() == SessionState.EXPIRED && next.held().get()
                                && entries(Holding.primitive(kind), name).size() == 1);
                assertThatThrownBy(old.release()::run).isInstanceOf(CoordException.class).hasMessageContaining("lost");
                assertThat(next.held().get()).isTrue();
                next.release().run();
                FaultReport.add(new FaultReport.Row("client partition (" + kind.name().toLowerCase() + ")", backend.label(),
                        2, 2, 0, 0, 0, List.of(Duration.ofNanos(recoveredAt - cutAt)),
                        "ok (loss signalled " + Duration.ofNanos(deadline - lostAt.get()).toMillis() + " ms before validUntil)"));
            }
            s.close();
        } finally {
            proxies.forEach(TcpFaultProxy::close);
        }
    }

}
