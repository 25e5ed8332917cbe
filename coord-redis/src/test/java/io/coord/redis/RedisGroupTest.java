package io.coord.redis;

import io.coord.AlreadyHeldException;
import io.coord.Coordinator;
import io.coord.LockLostException;
import io.coord.LossReason;
import io.coord.MemberIdInUseException;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.SessionState;
import io.coord.Subscription;
import io.coord.group.GroupEvent;
import io.coord.group.GroupSnapshot;
import io.coord.group.Member;
import io.coord.group.Membership;
import io.coord.testkit.CrashableClient;
import io.coord.testservers.RespConnection;
import io.coord.testservers.TcpFaultProxy;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Group membership on a real redis-server: members as stored (session, join token, version, metadata), guarded
 * writes, one live session per member id, dead members evicted by readers, watches (order, snapshots, a crashed
 * member's departure within its TTL, a cut connection healed), round trips, and the keyspace after each scenario
 * (only the group's counter stays; {@link SingleRedisTest} checks it after every test).
 */
class RedisGroupTest extends SingleRedisTest {

    /** A watch's events, in order. */
    private static final class Recorder {
        final List<GroupEvent> events = new CopyOnWriteArrayList<>();

        GroupSnapshot view() {
            return events.get(events.size() - 1).snapshot();
        }

        List<String> changes(int from) {
            return events.subList(from, events.size()).stream()
                    .map(e -> e.type() == GroupEvent.Type.SNAPSHOT ? "SNAPSHOT " + ids(e.snapshot()) : e.type() + " " + e.member().orElseThrow().id())
                    .toList();
        }
    }

    private static List<String> ids(GroupSnapshot s) {
        return s.members().stream().map(Member::id).toList();
    }

    private static Map<String, String> contents(GroupSnapshot s) {
        return s.members().stream().collect(Collectors.toMap(Member::id, Member::metadata));
    }

    private long groupTrips(Coordinator c) {
        return c.stats().roundTrips(Primitive.GROUP);
    }

    @Test
    void aMemberIsStoredWithItsSessionTokenAndMetadataAndEachWriteIsOneGuardedRoundTrip() {
        RedisCoordinator c = open();
        RedisCoordinator reader = open();
        try (Session s = c.openSession(Duration.ofSeconds(10))) {
            long before = groupTrips(c);
            Membership m = s.join("svc", "a", "10.0.0.1:8080");
            assertThat(groupTrips(c) - before).as("join: one round trip").isEqualTo(1);
            Member joined = m.member();
            assertThat(joined.sessionId()).isEqualTo(s.id());
            assertThat(joined.joinToken()).as("the group counter, floored at the server's clock in µs").isGreaterThan(1_000_000_000_000_000L);
            assertThat(joined.version()).isEqualTo(joined.joinToken());
            long reads = groupTrips(reader);
            assertThat(reader.group("svc").members().members()).containsExactly(joined);
            assertThat(groupTrips(reader) - reads).as("read: members.lua + one PTTL per distinct session").isEqualTo(2);

            before = groupTrips(c);
            Member updated = m.update("10.0.0.1:9090");
            assertThat(groupTrips(c) - before).as("update: one round trip").isEqualTo(1);
            assertThat(updated.version()).isGreaterThan(joined.version());
            assertThat(updated.joinToken()).isEqualTo(joined.joinToken());
            assertThat(updated.metadata()).isEqualTo("10.0.0.1:9090");
            GroupSnapshot read = reader.group("svc").members();
            assertThat(read.members()).containsExactly(updated);
            assertThat(read.revision()).isEqualTo(updated.version());

            before = groupTrips(c);
            m.leave();
            assertThat(groupTrips(c) - before).as("leave: one round trip").isEqualTo(1);
            m.leave();
            assertThat(groupTrips(c) - before).as("a second leave sends nothing").isEqualTo(1);
            reads = groupTrips(reader);
            GroupSnapshot empty = reader.group("svc").members();
            assertThat(empty.members()).isEmpty();
            assertThat(empty.revision()).isGreaterThan(updated.version());
            assertThat(groupTrips(reader) - reads).as("read of an empty group: members.lua only").isEqualTo(1);
        }
        assertThat(kit.keys(namespace)).as("only the group's counter stays").containsExactly(keys().group("svc").counter());
    }

    @Test
    void aStaleJoinIsRefusedByUpdateAndLeaveAndADeletedEntryLosesItsMembership() {
        RedisCoordinator c = open();
        try (Session s = c.openSession(Duration.ofSeconds(10))) {
            RedisSession session = (RedisSession) s;
            Membership first = s.join("g", "a", "one");
            Member stale = first.member();
            first.leave();
            Membership second = s.join("g", "a", "two");
            assertThat(second.member().joinToken()).isGreaterThan(stale.joinToken());

            assertThat(session.updateMember("g", stale, "x").join()).as("an earlier join of the id is refused").isEmpty();
            assertThat(session.leaveGroup("g", stale).join()).isFalse();
            assertThat(c.group("g").members().members()).containsExactly(second.member());

            // the entry deleted behind the membership's back: the update finds it gone and the membership is lost
            try (RespConnection r = server.connect()) {
                r.command("HDEL", keys().group("g").members(), "a");
            }
            assertThatThrownBy(() -> second.update("three")).isInstanceOf(LockLostException.class).hasMessageContaining("ENTRY_DELETED");
            assertThat(second.whenLost().join()).isEqualTo(LossReason.ENTRY_DELETED);
            assertThat(second.isJoined()).isFalse();
            assertThat(c.group("g").members().members()).isEmpty();
        }
    }

    /**
     * A stale handle (its entry deleted, the id joined again by another session) sends its update and its leave:
     * each one script on the server, which refuses it (the stored session and join token are the newer join's).
     * Nothing is written: the group's counter does not move and the newer member is as it was.
     */
    @Test
    void aStaleHandlesUpdateAndLeaveReachTheServerWhichRefusesThem() {
        RedisCoordinator c = open();
        try (Session mine = c.openSession(Duration.ofSeconds(10)); Session theirs = c.openSession(Duration.ofSeconds(10))) {
            Membership staleUpdate = mine.join("refused", "x", "mine");
            Membership staleLeave = mine.join("refused", "y", "mine");
            try (RespConnection r = server.connect()) {
                r.command("HDEL", keys().group("refused").members(), "x", "y");
            }
            Membership newerX = theirs.join("refused", "x", "theirs");
            Membership newerY = theirs.join("refused", "y", "theirs");
            GroupSnapshot before = c.group("refused").members();

            long trips = groupTrips(c);
            long scripts = scriptCalls();
            assertThatThrownBy(() -> staleUpdate.update("overwrite")).isInstanceOf(LockLostException.class).hasMessageContaining("ENTRY_DELETED");
            staleLeave.leave();
            assertThat(groupTrips(c) - trips).as("each sent: one round trip each").isEqualTo(2);
            assertThat(scriptCalls() - scripts).as("both ran on the server").isEqualTo(2);

            GroupSnapshot after = c.group("refused").members();
            assertThat(after).as("refused: the counter did not move, the newer joins are as they were").isEqualTo(before);
            assertThat(contents(after)).containsOnly(Map.entry("x", "theirs"), Map.entry("y", "theirs"));
            newerX.leave();
            newerY.leave();
        }
    }

    /** Scripts the server has run (EVALSHA and EVAL calls, from {@code INFO commandstats}). */
    private long scriptCalls() {
        try (RespConnection r = server.connect()) {
            String info = r.commandString("INFO", "commandstats");
            long calls = 0;
            for (String line : info.split("\r?\n")) {
                if (line.startsWith("cmdstat_evalsha:") || line.startsWith("cmdstat_eval:")) {
                    String field = line.substring(line.indexOf("calls=") + 6);
                    calls += Long.parseLong(field.substring(0, field.indexOf(',')));
                }
            }
            return calls;
        }
    }

    @Test
    void aMemberIdIsHeldByOneLiveSessionAndTheNextJoinHasAGreaterToken() {
        RedisCoordinator c = open();
        try (Session holder = c.openSession(Duration.ofSeconds(10)); Session other = c.openSession(Duration.ofSeconds(10))) {
            Membership held = holder.join("ids", "w-1", "first");
            long before = groupTrips(c);
            assertThatThrownBy(() -> other.join("ids", "w-1", "second"))
                    .isInstanceOf(MemberIdInUseException.class).hasMessageContaining(holder.id())
                    .satisfies(e -> assertThat(((MemberIdInUseException) e).holderSessionId()).isEqualTo(holder.id()));
            assertThat(groupTrips(c) - before).as("a contested join: join.lua + the holder's PTTL").isEqualTo(2);
            assertThatThrownBy(() -> holder.join("ids", "w-1", "again")).isInstanceOf(AlreadyHeldException.class);
            assertThat(contents(c.group("ids").members())).containsExactly(Map.entry("w-1", "first"));

            holder.close();
            assertThat(held.whenLost().join()).isEqualTo(LossReason.SESSION_CLOSED);
            assertThat(c.group("ids").members().members()).as("gone with its session's close, at once").isEmpty();
            Membership taken = other.join("ids", "w-1", "second");
            assertThat(taken.member().joinToken()).isGreaterThan(held.member().joinToken());
            assertThat(taken.member().sessionId()).isEqualTo(other.id());
        }
    }

    @Test
    void aRetriedJoinOfTheSameSessionReturnsItsOwnEntry() {
        RedisCoordinator c = open();
        try (Session s = c.openSession(Duration.ofSeconds(10))) {
            RedisSession session = (RedisSession) s;
            Member first = session.joinGroup("retry", "a", "m").join();
            Member again = session.joinGroup("retry", "a", "m").join();
            assertThat(again).as("the first try was applied: the same member").isEqualTo(first);
            assertThat(c.group("retry").members().revision()).as("nothing written again").isEqualTo(first.version());

            // A join retried with other metadata (the caller's first call failed on a lost reply, then it joined
            // again): the same join, with the metadata of this call.
            Member other = session.joinGroup("retry", "a", "m2").join();
            assertThat(other.joinToken()).as("the same join").isEqualTo(first.joinToken());
            assertThat(other.metadata()).isEqualTo("m2");
            assertThat(other.version()).isGreaterThan(first.version());
            assertThat(c.group("retry").members().members()).containsExactly(other);
            assertThat(session.leaveGroup("retry", other).join()).isTrue();
        }
    }

    @Test
    void aJoinTakesOverTheIdOfADeadHolderAndAReaderEvictsDeadMembers() {
        RedisCoordinator c = open();
        CrashableClient doomedClient = kit.openCrashable(namespace);
        Session doomed = doomedClient.coordinator().openSession(Duration.ofSeconds(1));
        Member dead = doomed.join("takeover", "x", "old").member();
        doomed.join("takeover", "y", "old");
        doomedClient.crash();
        try (RespConnection r = server.connect()) {
            await().until(() -> (Long) r.command("EXISTS", keys().session(doomed.id())) == 0L);
        }
        assertThat(kit.keys(namespace)).as("a crashed member stays until someone looks").contains(keys().group("takeover").members());
        try (Session s = c.openSession(Duration.ofSeconds(10))) {
            long before = groupTrips(c);
            Membership m = s.join("takeover", "x", "new");
            assertThat(groupTrips(c) - before).as("join.lua, the holder's PTTL, join.lua naming the dead join").isEqualTo(3);
            assertThat(m.member().joinToken()).isGreaterThan(dead.joinToken());
            assertThat(contents(c.group("takeover").members())).as("the read evicted y").containsExactly(Map.entry("x", "new"));
            m.leave();
        }
        assertThat(kit.keys(namespace)).containsExactly(keys().group("takeover").counter());
        doomed.close();
        doomedClient.close();
    }

    @Test
    void aWatchDeliversTheSnapshotThenEveryChangeInOrderWithTheGroupAfterIt() {
        RedisCoordinator c = open();
        RedisCoordinator watcher = open();
        try (Session s1 = c.openSession(Duration.ofSeconds(10)); Session s2 = c.openSession(Duration.ofSeconds(10))) {
            Membership a = s1.join("w", "a", "a1");
            Recorder r = new Recorder();
            try (Subscription w = watcher.group("w").watch(r.events::add)) {
                await().until(() -> !r.events.isEmpty());
                assertThat(r.changes(0)).containsExactly("SNAPSHOT [a]");

                Membership b = s2.join("w", "b", "b1");
                a.update("a2");
                Membership cm = s1.join("w", "c", "c1");
                b.leave();
                cm.update("c2");
                cm.update("c3");
                s2.close();
                cm.leave();
                await().untilAsserted(() -> assertThat(r.events).hasSize(8));
                assertThat(r.changes(1)).containsExactly("JOINED b", "UPDATED a", "JOINED c", "LEFT b", "UPDATED c", "UPDATED c", "LEFT c");
                assertThat(r.events.stream().map(e -> ids(e.snapshot())).toList()).containsExactly(List.of("a"), List.of("a", "b"),
                        List.of("a", "b"), List.of("a", "b", "c"), List.of("a", "c"), List.of("a", "c"), List.of("a", "c"), List.of("a"));
                assertThat(r.events.get(2).snapshot().member("a").orElseThrow().metadata()).isEqualTo("a2");
                assertThat(r.events.get(6).member().orElseThrow().metadata()).isEqualTo("c3");
                assertThat(r.events.get(7).member().orElseThrow().metadata()).as("a departure reports the member as it was").isEqualTo("c3");
                for (int i = 1; i < r.events.size(); i++) {
                    assertThat(r.events.get(i).resynced()).isFalse();
                    assertThat(r.events.get(i).snapshot().revision()).isGreaterThan(r.events.get(i - 1).snapshot().revision());
                }
                GroupSnapshot server = c.group("w").members();
                assertThat(r.view()).isEqualTo(server);
            }
            a.leave();
        }
    }

    @Test
    void aCrashedMemberIsReportedLeftWithinItsTtlEvenWhenNobodyElseTouchesTheGroup() {
        RedisCoordinator watcher = open();
        CrashableClient doomedClient = kit.openCrashable(namespace);
        Duration ttl = Duration.ofSeconds(1);
        Session doomed = doomedClient.coordinator().openSession(ttl);
        Membership m = doomed.join("crash", "x", "meta");
        Recorder r = new Recorder();
        try (Subscription w = watcher.group("crash").watch(r.events::add)) {
            await().untilAsserted(() -> assertThat(r.changes(0)).containsExactly("SNAPSHOT [x]"));
            doomedClient.crash();
            long crashedAt = System.nanoTime();
            await().untilAsserted(() -> assertThat(r.changes(1)).containsExactly("LEFT x"));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - crashedAt);
            // Measured, not asserted: how soon depends on the machine's load (README, "a crashed member reported LEFT").
            System.out.printf("[redis] a crashed member (TTL %d ms) reported LEFT %d ms after the crash%n", ttl.toMillis(), millis);
            assertThat(r.view().members()).isEmpty();
            assertThat(m.whenLost().join()).isEqualTo(LossReason.SESSION_EXPIRED);
            assertThat(doomed.state()).isEqualTo(SessionState.EXPIRED);
            assertThat(watcher.group("crash").members().members()).isEmpty();
        }
        doomed.close();
        doomedClient.close();
    }

    @Test
    void aWatchThroughABlackholedConnectionCatchesUpInOrderOnceHealed() {
        RedisCoordinator writer = open();
        TcpFaultProxy proxy = TcpFaultProxy.start(server.host(), server.port());
        Coordinator cut = Coordinator.open("redis://" + proxy.hostPort() + "/" + namespace + "?operationTimeout=1s");
        closeLater(cut);
        closeLater(proxy);
        try (Session s = writer.openSession(Duration.ofSeconds(10)); Session leaver = writer.openSession(Duration.ofSeconds(10))) {
            leaver.join("cut", "a", "a");
            Membership cm = s.join("cut", "c", "c1");
            Recorder r = new Recorder();
            try (Subscription w = cut.group("cut").watch(r.events::add)) {
                await().untilAsserted(() -> assertThat(r.changes(0)).containsExactly("SNAPSHOT [a, c]"));
                proxy.blackhole();
                leaver.close();
                Membership b = s.join("cut", "b", "b");
                cm.update("c2");
                cm.update("c3");
                // Nothing while cut off (the cut watcher's polls time out meanwhile).
                await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(30)).until(() -> r.events.size() == 1);
                proxy.heal(); // the messages held in the proxy arrive: nothing was lost
                GroupSnapshot server = writer.group("cut").members();
                await().untilAsserted(() -> assertThat(r.view()).isEqualTo(server));
                assertThat(r.changes(1)).containsExactly("LEFT a", "JOINED b", "UPDATED c", "UPDATED c");
                assertThat(r.events).noneMatch(GroupEvent::resynced);
                b.leave();
            }
            cm.leave();
        }
    }

    @Test
    void aWatchWhoseConnectionIsCutReportsExactlyTheDifferencesOnceReconnected() {
        RedisCoordinator writer = open();
        TcpFaultProxy proxy = TcpFaultProxy.start(server.host(), server.port());
        Coordinator cut = Coordinator.open("redis://" + proxy.hostPort() + "/" + namespace + "?operationTimeout=1s");
        closeLater(cut);
        closeLater(proxy);
        try (Session s = writer.openSession(Duration.ofSeconds(10)); Session leaver = writer.openSession(Duration.ofSeconds(10))) {
            leaver.join("reset", "a", "a");
            Membership cm = s.join("reset", "c", "c1");
            Recorder r = new Recorder();
            try (Subscription w = cut.group("reset").watch(r.events::add)) {
                await().untilAsserted(() -> assertThat(r.changes(0)).containsExactly("SNAPSHOT [a, c]"));
                proxy.drop(); // the connections are reset, and every reconnection too: what is published now is lost
                leaver.close();
                Membership b = s.join("reset", "b", "b");
                cm.update("c2");
                cm.update("c3");
                proxy.heal(); // lettuce reconnects and re-subscribes: the watch reads the group again
                GroupSnapshot server = writer.group("reset").members();
                await().untilAsserted(() -> assertThat(r.view()).isEqualTo(server));
                assertThat(r.changes(1)).as("each difference once, the two updates of c merged")
                        .containsExactlyInAnyOrder("LEFT a", "JOINED b", "UPDATED c");
                assertThat(r.events.subList(1, r.events.size())).allMatch(GroupEvent::resynced);
                assertThat(r.view().member("c").orElseThrow().metadata()).isEqualTo("c3");

                b.leave(); // and the watch goes on with messages
                await().untilAsserted(() -> assertThat(r.changes(r.events.size() - 1)).containsExactly("LEFT b"));
                assertThat(r.events.get(r.events.size() - 1).resynced()).isFalse();
            }
            cm.leave();
        }
    }

    @Test
    void aMalformedChangeIsRefusedWithAReasonThatNamesNoContent() {
        assertThatThrownBy(() -> RedisGroup.parseChange("1 2 J a s x 2 secret-metadata"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("member value")
                .hasMessageNotContaining("secret");
        assertThatThrownBy(() -> RedisGroup.parseChange("one 2 L a")).hasMessageContaining("counter before").hasMessageNotContaining("one");
        assertThatThrownBy(() -> RedisGroup.parseChange("1 2 Q a secret")).hasMessageContaining("unknown kind").hasMessageNotContaining("secret");
        assertThatThrownBy(() -> RedisGroup.parseChange("1 2")).hasMessageContaining("fields");
    }

    @Test
    void aSecondWatchOfTheSameCoordinatorSubscribesNothingAgainAndTheFirstGoesOnWithoutAResync() {
        RedisCoordinator c = open();
        RedisCoordinator watcher = open();
        try (Session s = c.openSession(Duration.ofSeconds(10))) {
            Membership a = s.join("twice", "a", "a0");
            Recorder first = new Recorder();
            Recorder second = new Recorder();
            try (Subscription w1 = watcher.group("twice").watch(first.events::add)) {
                await().until(() -> !first.events.isEmpty());
                // Changes while the second watch starts: the first must see each one as it happened.
                for (int i = 1; i <= 5; i++) {
                    a.update("a" + i);
                }
                try (Subscription w2 = watcher.group("twice").watch(second.events::add)) {
                    for (int i = 6; i <= 10; i++) {
                        a.update("a" + i);
                    }
                    await().untilAsserted(() -> assertThat(first.view().member("a").map(Member::metadata)).contains("a10"));
                    await().untilAsserted(() -> assertThat(second.view().member("a").map(Member::metadata)).contains("a10"));
                    assertThat(first.changes(1)).as("every update, each once").hasSize(10).containsOnly("UPDATED a");
                    assertThat(first.events).noneMatch(GroupEvent::resynced);
                    assertThat(second.events).noneMatch(GroupEvent::resynced);
                }
                a.update("a11"); // the first watch keeps its subscription when the second closes
                await().untilAsserted(() -> assertThat(first.view().member("a").map(Member::metadata)).contains("a11"));
                assertThat(first.events).noneMatch(GroupEvent::resynced);
            }
            a.leave();
        }
    }

    @Test
    void namesIdsAndMetadataOfAnyCharactersRoundTripExactly() {
        RedisCoordinator c = open();
        String group = "svc/é *{x}% ünï";
        String id = "host:8080/é {slot}*% ";
        String metadata = "ü".repeat(2047) + "ab"; // exactly 4 096 UTF-8 bytes
        try (Session s = c.openSession(Duration.ofSeconds(10)); Membership m = s.join(group, id, metadata)) {
            assertThat(m.member().metadata()).isEqualTo(metadata);
            assertThat(c.group(group).members().member(id)).contains(m.member());
            assertThat(c.group(group + "x").members().members()).isEmpty();
            assertThat(c.group("svc").members().members()).isEmpty();
            String spaced = "  two  spaces \n and a line ";
            assertThat(m.update(spaced).metadata()).isEqualTo(spaced);
            assertThat(c.group(group).members().member(id).map(Member::metadata)).contains(spaced);
            assertThat(m.update("").metadata()).isEmpty();
            assertThat(c.group(group).members().member(id).map(Member::metadata)).contains("");
        }
        assertThat(kit.keys(namespace)).containsExactly(keys().group(group).counter());
        assertThat(kit.isPermanent(keys().group(group).counter())).isTrue();
        assertThat(kit.isPermanent(keys().group(group).members())).isFalse();
        assertThat(keys().group(group).members()).as("one hash tag per group").contains("{" + namespace + "/group/");
    }
}
