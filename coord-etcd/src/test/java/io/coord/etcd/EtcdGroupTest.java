package io.coord.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coord.AlreadyHeldException;
import io.coord.Coordinator;
import io.coord.LockLostException;
import io.coord.LossReason;
import io.coord.MemberIdInUseException;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.SessionExpiredException;
import io.coord.group.GroupEvent;
import io.coord.group.GroupSnapshot;
import io.coord.group.Member;
import io.coord.group.Membership;
import io.coord.spi.NameEncoding;
import io.coord.testkit.CrashableClient;
import io.coord.testkit.Scenario;
import io.coord.testservers.TcpFaultProxy;
import io.coord.testservers.TestServers;
import io.etcd.jetcd.KeyValue;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Group membership on one real etcd node: the key layout, join / update / leave and their guards, the holder
 * rules, a crashed member's removal, the watch (in order, and its resync after a cut connection), the metadata
 * limit and the round trips. Every scenario ends with an empty namespace ({@link Scenario}'s hygiene check).
 */
class EtcdGroupTest extends Scenario {

    private static EtcdKitBackend etcd;

    EtcdGroupTest() {
        super(() -> etcd);
    }

    @BeforeAll
    static void startServer() {
        etcd = new EtcdKitBackend("etcd (single node)", TestServers.etcd());
    }

    @AfterAll
    static void stopServer() {
        if (etcd != null) {
            etcd.close();
            etcd.server().close();
        }
    }

    /** Every event of a watch, in delivery order. */
    private static final class Events {
        final List<GroupEvent> all = new CopyOnWriteArrayList<>();

        GroupSnapshot last() {
            return all.get(all.size() - 1).snapshot();
        }

        List<GroupEvent> after(int index) {
            return List.copyOf(all.subList(index, all.size()));
        }
    }

    private Events watch(Coordinator c, String group) {
        Events events = new Events();
        c.group(group).watch(events.all::add); // closed with its coordinator
        await().until(() -> !events.all.isEmpty());
        return events;
    }

    private static String describe(GroupEvent e) {
        return e.type() + e.member().map(m -> " " + m.id() + "=" + m.metadata()).orElse("") + (e.resynced() ? " (resync)" : "");
    }

    @Test
    void aJoinIsOneKeyOnTheSessionsLeaseAndVisibleInMembers() {
        String group = "a/b c*{x}%é";
        String id = "node/1 *{é}";
        try (Session s = session()) {
            Membership m = s.join(group, id, "host:1");
            List<KeyValue> kvs = etcd.list(EtcdKeys.bytes("coord/" + namespace + "/"));
            assertThat(kvs).hasSize(1);
            KeyValue kv = kvs.get(0);
            assertThat(EtcdKeys.text(kv.getKey()))
                    .isEqualTo("coord/" + namespace + "/group/" + NameEncoding.encode(group) + "/" + NameEncoding.encode(id));
            assertThat(EtcdKeys.leaseHex(kv.getLease())).as("the member lives on the session's lease").isEqualTo(s.id());
            assertThat(EtcdKeys.text(kv.getValue())).isEqualTo("host:1");

            Member expected = new Member(id, "host:1", s.id(), kv.getCreateRevision(), kv.getModRevision());
            assertThat(m.member()).isEqualTo(expected);
            GroupSnapshot read = coord.group(group).members();
            assertThat(read.members()).containsExactly(expected);
            assertThat(read.revision()).isGreaterThanOrEqualTo(kv.getModRevision());
            assertThat(coord.group("a").members().members()).as("another group's prefix sees nothing of it").isEmpty();
            assertThat(coord.group("a/b c*{x}%").members().members()).isEmpty();
        }
    }

    @Test
    void anUpdateWritesAGreaterVersionAndAStaleJoinIsRefused() {
        String group = unique("g");
        try (Session s = session()) {
            EtcdSession hooks = (EtcdSession) s;
            Membership m = s.join(group, "a", "v1");
            Member first = m.member();
            Member updated = m.update("v2");
            assertThat(updated.version()).isGreaterThan(first.version());
            assertThat(updated.joinToken()).isEqualTo(first.joinToken());
            assertThat(updated.metadata()).isEqualTo("v2");
            assertThat(coord.group(group).members().members()).containsExactly(updated);

            m.leave();
            Membership again = s.join(group, "a", "v3");
            assertThat(again.member().joinToken()).isGreaterThan(first.joinToken());
            assertThat(hooks.updateMember(group, updated, "stale").join()).as("an update of an earlier join").isEmpty();
            assertThat(hooks.leaveGroup(group, updated).join()).as("a leave of an earlier join").isFalse();
            assertThat(coord.group(group).members().members()).containsExactly(again.member());
            assertThatThrownBy(() -> m.update("v4")).isInstanceOf(IllegalStateException.class);

            // Another session takes the id over after this join's key was deleted: this handle can never write it.
            try (Session other = session()) {
                etcd.inspector().getKVClient().delete(EtcdKeys.bytes("coord/" + namespace + "/group/" + NameEncoding.encode(group) + "/a")).join();
                Membership theirs = other.join(group, "a", "theirs");
                assertThatThrownBy(() -> again.update("mine")).isInstanceOf(LockLostException.class)
                        .satisfies(e -> assertThat(((LockLostException) e).reason()).isEqualTo(LossReason.ENTRY_DELETED));
                assertThat(again.isJoined()).isFalse();
                assertThat(join(again.whenLost())).isEqualTo(LossReason.ENTRY_DELETED);
                again.leave(); // a lost membership leaves quietly, deleting nothing
                assertThat(coord.group(group).members().members()).containsExactly(theirs.member());
            }
        }
    }

    /**
     * A stale handle (its key deleted, the id joined again by another session) sends its update and its leave: each
     * one counted transaction, which the server refuses (the create revision is the newer join's). Nothing is
     * written: the server's revision does not move and the newer member is as it was.
     */
    @Test
    void aStaleHandlesUpdateAndLeaveReachTheServerWhichRefusesThem() {
        String group = unique("refused");
        try (Session mine = session(); Session theirs = session()) {
            Membership staleUpdate = mine.join(group, "x", "mine");
            Membership staleLeave = mine.join(group, "y", "mine");
            for (String id : List.of("x", "y")) {
                etcd.inspector().getKVClient().delete(EtcdKeys.bytes("coord/" + namespace + "/group/" + NameEncoding.encode(group) + "/" + id)).join();
            }
            Membership newerX = theirs.join(group, "x", "theirs");
            Membership newerY = theirs.join(group, "y", "theirs");
            GroupSnapshot before = coord.group(group).members();

            long trips = coord.stats().roundTrips(Primitive.GROUP);
            assertThatThrownBy(() -> staleUpdate.update("overwrite")).isInstanceOf(LockLostException.class)
                    .satisfies(e -> assertThat(((LockLostException) e).reason()).isEqualTo(LossReason.ENTRY_DELETED));
            staleLeave.leave();
            assertThat(coord.stats().roundTrips(Primitive.GROUP) - trips).as("each sent: one transaction each").isEqualTo(2);

            GroupSnapshot after = coord.group(group).members();
            assertThat(after.revision()).as("refused: the server's revision did not move").isEqualTo(before.revision());
            assertThat(after.members()).as("the newer joins as they were").containsExactly(newerX.member(), newerY.member());
            newerX.leave();
            newerY.leave();
        }
    }

    @Test
    void aLeaveDeletesTheKeyOnceAndIsIdempotent() {
        String group = unique("g");
        try (Session s = session()) {
            Membership m = s.join(group, "a", "");
            m.leave();
            assertThat(coord.group(group).members().members()).isEmpty();
            assertThat(leftovers()).isEmpty();
            m.leave();
            assertThat(m.isJoined()).isFalse();
            assertThat(s.join(group, "a", "back").member().metadata()).as("the id is free again for this session").isEqualTo("back");
        }
    }

    @Test
    void anIdIsHeldByOneLiveSessionAndFreedWhenItCloses() {
        String group = unique("g");
        Session holder = session();
        Membership held = holder.join(group, "a", "first");
        try (Session other = session()) {
            assertThatThrownBy(() -> other.join(group, "a", "second")).isInstanceOf(MemberIdInUseException.class)
                    .satisfies(e -> assertThat(((MemberIdInUseException) e).holderSessionId()).isEqualTo(holder.id()));
            assertThatThrownBy(() -> holder.join(group, "a", "again")).isInstanceOf(AlreadyHeldException.class);
            assertThat(coord.group(group).members().members()).containsExactly(held.member());

            holder.close();
            assertThat(join(held.whenLost())).isEqualTo(LossReason.SESSION_CLOSED);
            Membership next = other.join(group, "a", "second");
            assertThat(next.member().joinToken()).isGreaterThan(held.member().joinToken());
            assertThat(next.member().sessionId()).isEqualTo(other.id());
        }
    }

    /** etcd refuses a put on a lease it no longer has: the join fails as an expired session and writes nothing. */
    @Test
    void aJoinOnALeaseTheServerDroppedFailsAsExpired() {
        String group = unique("g");
        Session s = session();
        etcd.inspector().getLeaseClient().revoke(Long.parseUnsignedLong(s.id(), 16)).join();
        assertThatThrownBy(() -> s.join(group, "a", "x")).isInstanceOf(SessionExpiredException.class);
        assertThat(coord.group(group).members().members()).isEmpty();
        s.close();
    }

    /** The hook itself, as a retried request meets it: a key of this session already there is this session's member. */
    @Test
    void aRetriedJoinFindsItsOwnKey() {
        String group = unique("g");
        try (Session s = session()) {
            EtcdSession hooks = (EtcdSession) s;
            Member first = hooks.joinGroup(group, "a", "m").join();
            long before = coord.stats().roundTrips(Primitive.GROUP);
            assertThat(hooks.joinGroup(group, "a", "m").join()).as("the same join, retried").isEqualTo(first);
            assertThat(coord.stats().roundTrips(Primitive.GROUP) - before).as("the SPI counts it; nothing extra").isZero();

            Member rewritten = hooks.joinGroup(group, "a", "other").join();
            assertThat(rewritten.joinToken()).isEqualTo(first.joinToken());
            assertThat(rewritten.version()).isGreaterThan(first.version());
            assertThat(rewritten.metadata()).isEqualTo("other");
            assertThat(coord.stats().roundTrips(Primitive.GROUP) - before).as("the extra put is counted").isEqualTo(1);
            assertThat(coord.group(group).members().members()).containsExactly(rewritten);
        }
    }

    @Test
    void aCrashedMemberDisappearsWithinItsTtlAndTheWatchReportsLeft() {
        String group = unique("g");
        Events events = watch(coord, group);
        CrashableClient crashing = crashable();
        Session doomed = crashing.coordinator().openSession(backend.shortTtl());
        Member m = doomed.join(group, "crasher", "x").member();
        await().until(() -> events.last().member("crasher").isPresent());
        int seen = events.all.size();

        long crashedAt = System.nanoTime();
        crashing.crash();
        await().atMost(Duration.ofSeconds(30)).until(() -> events.all.stream().skip(seen).anyMatch(e -> e.type() == GroupEvent.Type.LEFT));
        long leftAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - crashedAt);
        System.out.println("etcd group: crash to LEFT in the watch took " + leftAfterMillis + " ms (granted TTL "
                + doomed.grantedTtl().toMillis() + " ms)");

        assertThat(events.after(seen)).singleElement().satisfies(e -> {
            assertThat(e.type()).isEqualTo(GroupEvent.Type.LEFT);
            assertThat(e.member()).contains(m);
            assertThat(e.resynced()).isFalse();
            assertThat(e.snapshot().members()).isEmpty();
        });
        assertThat(coord.group(group).members().members()).isEmpty();
        Duration bound = doomed.grantedTtl().plusMillis(1500); // EtcdFaultBackend.expiryBound: etcd's 500 ms expiry check + 1 s
        assertThat(Duration.ofMillis(leftAfterMillis)).as("LEFT within TTL + etcd's expiry bound").isLessThanOrEqualTo(bound);
        try (Session s = session()) {
            assertThat(s.join(group, "crasher", "y").member().joinToken()).isGreaterThan(m.joinToken());
        }
    }

    @Test
    void aWatchDeliversTheSnapshotThenEveryChangeInOrder() {
        String group = unique("g");
        try (Session s = session(); Session t = session()) {
            Membership a = s.join(group, "a", "a1");
            Member a1 = a.member();
            Events events = watch(coord, group);
            assertThat(events.all).singleElement().satisfies(e -> {
                assertThat(e.type()).isEqualTo(GroupEvent.Type.SNAPSHOT);
                assertThat(e.snapshot().members()).containsExactly(a.member());
            });

            Membership b = t.join(group, "b", "b1");
            Member b2 = b.update("b2");
            Member a2 = a.update("a2");
            a.leave();
            b.leave();
            await().until(() -> events.all.size() == 6);
            assertThat(events.all.stream().map(EtcdGroupTest::describe))
                    .containsExactly("SNAPSHOT", "JOINED b=b1", "UPDATED b=b2", "UPDATED a=a2", "LEFT a=a2", "LEFT b=b2");
            assertThat(events.all.get(1).snapshot().members()).containsExactly(a1, events.all.get(1).member().orElseThrow());
            assertThat(events.all.get(2).snapshot().members()).containsExactly(a1, b2);
            assertThat(events.all.get(3).snapshot().members()).containsExactly(a2, b2);
            assertThat(events.all.get(4).snapshot().members()).containsExactly(b2);
            assertThat(events.last().members()).isEmpty();
            for (int i = 1; i < events.all.size(); i++) {
                assertThat(events.all.get(i).snapshot().revision()).isGreaterThan(events.all.get(i - 1).snapshot().revision());
                assertThat(events.all.get(i).resynced()).isFalse();
            }
        }
    }

    /**
     * A watcher cut off long enough for gRPC's keep-alive to drop its connection: on heal it reads the group again
     * and delivers exactly the differences, once each, marked resynced; a member that joined and left meanwhile is
     * not reported.
     */
    @Test
    void afterACutConnectionTheWatchResyncsToExactlyTheServersState() {
        String group = unique("g");
        List<TcpFaultProxy> proxies = new ArrayList<>();
        try {
            for (String hostPort : etcd.hostPorts()) {
                int colon = hostPort.lastIndexOf(':');
                proxies.add(TcpFaultProxy.start(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1))));
            }
            Coordinator cut = adopt(EtcdCoordinator.builder().endpoints(proxies.stream().map(TcpFaultProxy::hostPort).toList())
                    .namespace(namespace).operationTimeout(Duration.ofSeconds(5))
                    .keepalive(Duration.ofSeconds(5), Duration.ofMillis(500)).build());
            try (Session s = session()) {
                Membership stays = s.join(group, "stays", "1");
                Membership goes = s.join(group, "goes", "1");
                Events events = watch(cut, group);
                assertThat(events.last().size()).isEqualTo(2);
                long connections = proxies.get(0).acceptedConnections();

                proxies.forEach(TcpFaultProxy::blackhole);
                Member updated = stays.update("2");
                goes.leave();
                Member joined = s.join(group, "joins", "1").member();
                s.join(group, "flickers", "1").leave();
                // gRPC's keep-alive gives the connection up and the watch's re-read opens a new one (which hangs)
                await().atMost(Duration.ofSeconds(30)).until(() -> proxies.get(0).acceptedConnections() > connections);
                assertThat(events.all).hasSize(1);
                proxies.forEach(TcpFaultProxy::heal);

                GroupSnapshot server = coord.group(group).members();
                await().atMost(Duration.ofSeconds(30)).until(() -> events.last().members().equals(server.members()));
                assertThat(events.after(1).stream().map(EtcdGroupTest::describe))
                        .containsExactly("LEFT goes=1 (resync)", "UPDATED stays=2 (resync)", "JOINED joins=1 (resync)");
                assertThat(events.last().members()).containsExactly(joined, updated);

                Member later = stays.update("3");
                await().until(() -> events.all.size() == 5);
                assertThat(describe(events.all.get(4))).as("live events resume after the resync").isEqualTo("UPDATED stays=3");
                assertThat(events.last().members()).containsExactly(joined, later);
            }
        } finally {
            proxies.forEach(TcpFaultProxy::close);
        }
    }

    @Test
    void metadataAtTheLimitRoundTripsExactly() {
        String group = unique("g");
        String limit = "€".repeat(1364) + "ab" + "é"; // 4092 + 2 + 2 = 4096 UTF-8 bytes
        assertThat(limit.getBytes(StandardCharsets.UTF_8)).hasSize(4096);
        String emoji = "😀".repeat(1024); // 4 bytes each
        try (Session s = session()) {
            Events events = watch(coord, group);
            Membership m = s.join(group, "big", limit);
            assertThat(coord.group(group).members().members()).singleElement().satisfies(x -> assertThat(x.metadata()).isEqualTo(limit));
            m.update(emoji);
            assertThat(coord.group(group).members().member("big").map(Member::metadata)).contains(emoji);
            await().until(() -> events.all.size() == 3);
            assertThat(events.all.get(1).member().map(Member::metadata)).contains(limit);
            assertThat(events.all.get(2).member().map(Member::metadata)).contains(emoji);
            assertThatThrownBy(() -> m.update(limit + "x")).isInstanceOf(IllegalArgumentException.class);
            assertThat(m.member().metadata()).isEqualTo(emoji);
        }
    }

    /** The promise of coord-etcd: join, update, leave and a read are one round trip each. */
    @Test
    void joinUpdateLeaveAndReadAreOneRoundTripEach() {
        String group = unique("g");
        try (Session s = session()) {
            long start = coord.stats().roundTrips(Primitive.GROUP);
            Membership m = s.join(group, "a", "1");
            assertThat(coord.stats().roundTrips(Primitive.GROUP) - start).as("join").isEqualTo(1);
            m.update("2");
            assertThat(coord.stats().roundTrips(Primitive.GROUP) - start).as("join + update").isEqualTo(2);
            Optional<Member> read = coord.group(group).members().member("a");
            assertThat(read.map(Member::metadata)).contains("2");
            assertThat(coord.stats().roundTrips(Primitive.GROUP) - start).as("join + update + read").isEqualTo(3);
            m.leave();
            assertThat(coord.stats().roundTrips(Primitive.GROUP) - start).as("join + update + read + leave").isEqualTo(4);
        }
    }
}
