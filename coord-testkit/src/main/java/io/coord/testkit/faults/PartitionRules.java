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
import io.coord.Subscription;
import io.coord.group.GroupEvent;
import io.coord.group.GroupSnapshot;
import io.coord.group.Member;
import io.coord.group.Membership;
import io.coord.testservers.TcpFaultProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A client partition, for a lock and for an election: a proxy between the client and every server blackholes its
 * traffic. The partitioned session is reported SUSPENDED then EXPIRED, its loss is signalled no later than its
 * {@code validUntil}, the next holder gets a greater token, and healing the partition does not resurrect the old
 * grant. The proxy forwards bytes, so this also runs over TLS (see each backend's TLS partition test). It needs
 * clients that reach every server through the proxy: a topology whose clients follow server redirects past any
 * proxy (Redis Cluster) does not nest this group.
 *
 * <p>Also a group watcher cut off while the group changes: it reports nothing while cut off, and once healed it
 * reports exactly the differences (each once) and ends in the server's state.
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

    @ParameterizedTest // a shard is its lock's grant: the lock's rows cover it, and HolderFaultRules pauses and kills a shard owner
    @EnumSource(value = HolderFaultRules.Held.class, names = "SHARD", mode = EnumSource.Mode.EXCLUDE)
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

    @Test
    void aWatcherCutOffReportsExactlyTheDifferencesOnceHealed() throws Exception {
        String group = unique("resync");
        List<TcpFaultProxy> proxies = new ArrayList<>();
        try (Session s = session(); Session leaver = session()) {
            List<String> via = new ArrayList<>();
            for (String endpoint : faults().endpoints()) {
                int colon = endpoint.lastIndexOf(':');
                TcpFaultProxy p = TcpFaultProxy.start(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1)));
                proxies.add(p);
                via.add(p.hostPort());
            }
            leaver.join(group, "a", "a");
            Membership c = s.join(group, "c", "c1");
            Coordinator cut = adopt(Coordinator.open(faults().uri(namespace, via)));
            List<GroupEvent> events = new CopyOnWriteArrayList<>();
            try (Subscription w = cut.group(group).watch(events::add)) {
                await().until(() -> !events.isEmpty());
                assertThat(events.get(0).snapshot().members()).extracting(Member::id).containsExactly("a", "c");

                proxies.forEach(TcpFaultProxy::blackhole);
                leaver.close();                                      // a leaves with its session
                s.join(group, "b", "b");                             // b joins
                c.update("c2");                                      // c is updated twice: one difference
                c.update("c3");
                // While cut off the watcher reports nothing: its own lost connection is no departure of anyone.
                await().during(backend.shortTtl().multipliedBy(2)).atMost(backend.shortTtl().multipliedBy(2).plus(patience()))
                        .until(() -> events.size() == 1);
                proxies.forEach(TcpFaultProxy::drop); // then the connections are reset, and the network heals

                proxies.forEach(TcpFaultProxy::heal);
                long healedAt = System.nanoTime();

                GroupSnapshot server = coord.group(group).members();
                await().untilAsserted(() -> assertThat(events.get(events.size() - 1).snapshot().members())
                        .as("the watcher ends in the server's state").isEqualTo(server.members()));
                Duration converged = Duration.ofNanos(System.nanoTime() - healedAt);
                // Then no more events come: a duplicate delivered late (a resync after the messages, or the reverse)
                // would show here. "Stable" = the count unchanged across a whole second of polls.
                AtomicInteger counted = new AtomicInteger(-1);
                await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(1).plus(patience()))
                        .until(() -> {
                            int n = events.size();
                            return counted.getAndSet(n) == n;
                        });
                List<GroupEvent> afterCut = List.copyOf(events.subList(1, events.size()));
                List<String> after = afterCut.stream().map(e -> e.type() + " " + e.member().orElseThrow().id()).toList();
                assertThat(after).as("each difference reported once, nothing else (the two updates of c may be merged)")
                        .filteredOn(e -> !e.equals("UPDATED c")).containsExactlyInAnyOrder("LEFT a", "JOINED b");
                assertThat(after).filteredOn(e -> e.equals("UPDATED c")).as("c was updated twice: one or two events, never more")
                        .hasSizeBetween(1, 2);
                // Per member, the versions delivered only grow: a change is never delivered twice, nor an older one late.
                Map<String, Long> versions = new HashMap<>();
                events.get(0).snapshot().members().forEach(m -> versions.put(m.id(), m.version()));
                for (GroupEvent e : afterCut) {
                    Member m = e.member().orElseThrow();
                    Long last = versions.get(m.id());
                    if (e.type() == GroupEvent.Type.LEFT) {
                        assertThat(last).as("%s: a departure of a member delivered before", e).isNotNull();
                        assertThat(m.version()).as("%s: the member as it was last", e).isGreaterThanOrEqualTo(last);
                        versions.remove(m.id());
                    } else {
                        if (last != null) {
                            assertThat(m.version()).as("%s: a greater version than the last delivered (%d)", e, last).isGreaterThan(last);
                        }
                        versions.put(m.id(), m.version());
                    }
                }
                assertThat(events.get(events.size() - 1).snapshot().member("c").orElseThrow().metadata()).isEqualTo("c3");
                FaultReport.add(new FaultReport.Row("group watcher cut off, then healed", backend.label(), 4, 0, 0, 0, 0,
                        List.of(converged), "ok (" + after.size() + " events after the cut, " + events.stream().filter(GroupEvent::resynced).count()
                                + " of them from a resync)"));
            }
        } finally {
            proxies.forEach(TcpFaultProxy::close);
        }
    }
}
