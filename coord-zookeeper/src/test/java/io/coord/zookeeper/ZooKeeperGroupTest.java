package io.coord.zookeeper;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.coord.AlreadyHeldException;
import io.coord.LockLostException;
import io.coord.LossReason;
import io.coord.MemberIdInUseException;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.Subscription;
import io.coord.group.GroupEvent;
import io.coord.group.GroupSnapshot;
import io.coord.group.Member;
import io.coord.group.Membership;
import io.coord.spi.NameEncoding;
import io.coord.testkit.CrashableClient;
import io.coord.testservers.TcpFaultProxy;
import io.coord.testservers.ZooKeeperTestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Group membership on the ZooKeeper backend against a real in-process server (tickTime 200 ms, so session timeouts
 * [0.4 s, 4 s]): the node layout, the guarded writes and their round trips, dead members, and the watch through
 * cuts of its connection. After each test the namespace holds nothing but the documented containers.
 */
class ZooKeeperGroupTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final Duration LONG_TTL = Duration.ofSeconds(4);
    private static ZooKeeperTestServer server;
    private static ZooKeeperKitBackend backend;

    private final List<AutoCloseable> opened = new ArrayList<>();
    private String namespace;
    private ZooKeeperCoordinator coord;

    @BeforeAll
    static void startServer() {
        server = ZooKeeperTestServer.start(200);
        backend = new ZooKeeperKitBackend("zookeeper (group test)", server.connectString());
    }

    @AfterAll
    static void stopServer() {
        backend.close();
        server.close();
    }

    @BeforeEach
    void open() {
        namespace = "g-" + UUID.randomUUID().toString().substring(0, 8);
        coord = coordinator();
    }

    @AfterEach
    void closeAndCheckTheKeyspace() throws Exception {
        Collections.reverse(opened);
        for (AutoCloseable c : opened) {
            c.close();
        }
        await().atMost(PATIENCE).untilAsserted(() -> assertEquals(List.of(),
                backend.keys(namespace).stream().filter(k -> !backend.isPermanent(k)).toList(), "nodes left under /" + namespace));
    }

    private ZooKeeperCoordinator coordinator() {
        ZooKeeperCoordinator c = (ZooKeeperCoordinator) backend.open(namespace);
        opened.add(c);
        return c;
    }

    private static long roundTrips(ZooKeeperCoordinator c) {
        return c.stats().roundTrips(Primitive.GROUP);
    }

    private static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 6);
    }

    /** A watch's events; the last one's snapshot is the watcher's view. */
    private static final class Recorder {
        final List<GroupEvent> events = new CopyOnWriteArrayList<>();

        GroupSnapshot view() {
            return events.get(events.size() - 1).snapshot();
        }

        List<String> changes(int from) {
            return events.subList(from, events.size()).stream().map(e -> e.type() == GroupEvent.Type.SNAPSHOT
                    ? "SNAPSHOT " + ids(e.snapshot()) : e.type() + " " + e.member().orElseThrow().id()).toList();
        }
    }

    private static List<String> ids(GroupSnapshot s) {
        return s.members().stream().map(Member::id).toList();
    }

    @Test
    void aMemberIsOneEphemeralNodeOfItsSessionAndEachWriteIsOneRoundTrip() throws Exception {
        String group = unique("svc/a b*{x}%é");
        ZooKeeperCoordinator reader = coordinator();
        try (Session s = coord.openSession(LONG_TTL)) {
            long before = roundTrips(coord);
            Membership m = s.join(group, "host-1", "10.0.0.1:80");
            assertEquals(2, roundTrips(coord) - before, "a group's first join on a coordinator: its container create + the member create");
            Member joined = m.member();
            assertEquals(s.id(), joined.sessionId());
            assertEquals("10.0.0.1:80", joined.metadata());
            assertEquals(joined.joinToken(), joined.version(), "a new node: czxid = mzxid");

            String node = coord.paths().group(group) + "/" + NameEncoding.encode("host-1");
            Stat stat = new Stat();
            byte[] data = reader.client().getData().storingStatIn(stat).forPath(node);
            assertEquals("10.0.0.1:80", new String(data, java.nio.charset.StandardCharsets.UTF_8));
            assertEquals(s.id(), ZkPaths.sessionIdText(stat.getEphemeralOwner()), "EPHEMERAL, owned by the joining session");
            assertEquals(joined.joinToken(), stat.getCzxid());
            assertEquals(List.of(joined), reader.group(group).members().members());

            before = roundTrips(coord);
            Member updated = m.update("10.0.0.1:81");
            assertEquals(1, roundTrips(coord) - before, "update: one setData");
            assertTrue(updated.version() > joined.version());
            assertEquals(joined.joinToken(), updated.joinToken());
            assertEquals(Optional.of(updated), reader.group(group).members().member("host-1"));

            before = roundTrips(coord);
            m.leave();
            assertEquals(1, roundTrips(coord) - before, "leave: one delete");
            assertEquals(List.of(), reader.group(group).members().members());

            before = roundTrips(coord);
            Membership again = s.join(group, "host-1", "again");
            assertEquals(1, roundTrips(coord) - before, "a later join on the same coordinator: one create");
            assertTrue(again.member().joinToken() > updated.joinToken());
            again.close();
        }
        assertTrue(backend.keys(namespace).contains(coord.paths().group(group)), "the group's container stays, until reaped");
        assertTrue(backend.isPermanent(coord.paths().group(group)));
        assertFalse(backend.isPermanent(coord.paths().group(group) + "/" + NameEncoding.encode("host-1")));
    }

    @Test
    void aReadIsASyncAListingAndOneGetDataPerMember() {
        String group = unique("read");
        ZooKeeperCoordinator reader = coordinator();
        long before = roundTrips(reader);
        GroupSnapshot missing = reader.group(group).members();
        assertEquals(3, roundTrips(reader) - before, "sync + getChildren (NONODE) + exists of the parent");
        assertEquals(List.of(), missing.members());
        try (Session s = coord.openSession(LONG_TTL)) {
            s.join(group, "a", "a");
            s.join(group, "b", "b");
            before = roundTrips(reader);
            GroupSnapshot two = reader.group(group).members();
            assertEquals(4, roundTrips(reader) - before, "sync + getChildren + 2 getData");
            assertEquals(List.of("a", "b"), ids(two));
            assertTrue(two.revision() >= missing.revision());
        }
        GroupSnapshot empty = reader.group(group).members();
        assertEquals(List.of(), empty.members());
        assertTrue(empty.revision() > 0);
    }

    @Test
    void aStaleMemberNeverWritesAndARetriedJoinFindsItsOwnNode() throws Exception {
        String group = unique("stale");
        try (Session s = coord.openSession(LONG_TTL)) {
            ZkSession hooks = (ZkSession) s;
            Membership first = s.join(group, "x", "one");
            Member old = first.member();
            first.leave();
            Membership second = s.join(group, "x", "two");
            assertTrue(second.member().joinToken() > old.joinToken());

            long before = roundTrips(coord);
            assertEquals(Optional.empty(), hooks.updateMember(group, old, "stale").get(5, TimeUnit.SECONDS));
            assertFalse(hooks.leaveGroup(group, old).get(5, TimeUnit.SECONDS));
            assertEquals(0, roundTrips(coord) - before, "a stale member is refused before anything is sent");
            assertEquals(Optional.of(second.member()), coord.group(group).members().member("x"));

            before = roundTrips(coord);
            Member retried = hooks.joinGroup(group, "x", "two").get(5, TimeUnit.SECONDS);
            assertEquals(second.member(), retried, "a create whose first try was applied finds our own node");
            assertEquals(1, roundTrips(coord) - before, "NODEEXISTS, then the getData (the create itself is the SPI's)");
            assertEquals("three", second.update("three").metadata());
            second.leave();
        }
    }

    /**
     * A stale handle whose own record matches (its node was deleted by hand and the id joined again by another
     * session) does send its update and its leave: the server refuses both by the data version (the newer join has
     * written since), and the newer member is as it was. Each is its counted request plus the getData that shows
     * the node is another join's.
     */
    @Test
    void aStaleHandlesUpdateAndLeaveReachTheServerWhichRefusesThemByTheDataVersion() throws Exception {
        String group = unique("refused");
        try (Session mine = coord.openSession(LONG_TTL); Session theirs = coord.openSession(LONG_TTL)) {
            Membership staleUpdate = mine.join(group, "x", "mine");
            Membership staleLeave = mine.join(group, "y", "mine");
            coord.client().delete().forPath(coord.paths().group(group) + "/x");
            coord.client().delete().forPath(coord.paths().group(group) + "/y");
            Membership newerX = theirs.join(group, "x", "theirs");
            Membership newerY = theirs.join(group, "y", "theirs");
            newerX.update("theirs, updated"); // data version 1: a write at the stale handle's version 0 is refused
            newerY.update("theirs, updated");
            Stat x = coord.client().checkExists().forPath(coord.paths().group(group) + "/x");
            Stat y = coord.client().checkExists().forPath(coord.paths().group(group) + "/y");

            long before = roundTrips(coord);
            LockLostException lost = assertThrows(LockLostException.class, () -> staleUpdate.update("overwrite"));
            assertEquals(LossReason.ENTRY_DELETED, lost.reason());
            assertEquals(2, roundTrips(coord) - before, "the setData (refused: BADVERSION) and the getData that shows another join");
            before = roundTrips(coord);
            staleLeave.leave();
            assertEquals(2, roundTrips(coord) - before, "the delete (refused: BADVERSION) and the getData that shows another join");

            assertEquals(x, coord.client().checkExists().forPath(coord.paths().group(group) + "/x"), "x untouched on the server");
            assertEquals(y, coord.client().checkExists().forPath(coord.paths().group(group) + "/y"), "y untouched on the server");
            GroupSnapshot read = coord.group(group).members();
            assertEquals(List.of(newerX.member(), newerY.member()), read.members());
            assertEquals("theirs, updated", read.member("x").orElseThrow().metadata());
            newerX.leave();
            newerY.leave();
        }
    }

    @Test
    void aMemberDeletedBySomeoneElseIsLost() throws Exception {
        String group = unique("deleted");
        try (Session s = coord.openSession(LONG_TTL)) {
            Membership m = s.join(group, "x", "mine");
            coord.client().delete().forPath(coord.paths().group(group) + "/x");
            LockLostException lost = assertThrows(LockLostException.class, () -> m.update("again"));
            assertEquals(LossReason.ENTRY_DELETED, lost.reason());
            assertEquals(LossReason.ENTRY_DELETED, m.whenLost().get(5, TimeUnit.SECONDS));
            m.leave(); // quiet
            Membership next = s.join(group, "x", "next");
            assertTrue(next.member().joinToken() > m.member().joinToken());
            next.leave();
        }
    }

    @Test
    void aMemberIdIsHeldByOneLiveSessionAtATime() {
        String group = unique("ids");
        try (Session first = coord.openSession(LONG_TTL); Session second = coord.openSession(LONG_TTL)) {
            Membership held = first.join(group, "w", "first");
            MemberIdInUseException inUse = assertThrows(MemberIdInUseException.class, () -> second.join(group, "w", "second"));
            assertEquals(first.id(), inUse.holderSessionId());
            assertTrue(inUse.getMessage().contains(first.id()));
            assertThrows(AlreadyHeldException.class, () -> first.join(group, "w", "again"));
            first.close();
            assertFalse(held.isJoined());
            Membership taken = second.join(group, "w", "second");
            assertTrue(taken.member().joinToken() > held.member().joinToken());
            assertEquals(second.id(), taken.member().sessionId());
            taken.leave();
        }
    }

    @Test
    void aCrashedMemberGoesWithinItsTtlAndTheWatchReportsItLeft() throws Exception {
        String group = unique("crash");
        Duration ttl = backend.shortTtl();
        CrashableClient doomed = backend.openCrashable(namespace);
        opened.add(doomed);
        Session dying = doomed.coordinator().openSession(ttl);
        Recorder r = new Recorder();
        try (Session alive = coord.openSession(LONG_TTL); Subscription w = coordinator().group(group).watch(r.events::add)) {
            Membership survivor = alive.join(group, "survivor", "");
            Membership stale = dying.join(group, "doomed", "old");
            await().atMost(PATIENCE).until(() -> !r.events.isEmpty() && r.view().size() == 2);

            doomed.crash();
            long crashedAt = System.nanoTime();
            await().atMost(PATIENCE).until(() -> ids(r.view()).equals(List.of("survivor")));
            Duration toLeft = Duration.ofNanos(System.nanoTime() - crashedAt);
            assertEquals(List.of("LEFT doomed"), r.changes(r.events.size() - 1));
            assertEquals(List.of("survivor"), ids(coord.group(group).members()));
            System.out.printf("[zookeeper] crashed member (TTL %d ms): LEFT in the watch %d ms after the crash%n",
                    ttl.toMillis(), toLeft.toMillis());
            Duration bound = ZooKeeperFaultBackend.zooKeeperExpiryBound(ttl).plusSeconds(1);
            assertTrue(toLeft.compareTo(bound) <= 0, "LEFT after " + toLeft.toMillis() + " ms, bound " + bound.toMillis() + " ms");

            assertEquals(LossReason.SESSION_EXPIRED, stale.whenLost().get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS));
            Membership next = alive.join(group, "doomed", "new");
            assertTrue(next.member().joinToken() > stale.member().joinToken());
            assertThrows(LockLostException.class, () -> stale.update("stale"));
            assertEquals("new", coord.group(group).members().member("doomed").orElseThrow().metadata());
            next.leave();
            survivor.leave();
        } finally {
            dying.close();
        }
    }

    @Test
    void aWatchDeliversTheSnapshotThenEachChangeInServerOrder() {
        String group = unique("watched");
        ZooKeeperCoordinator watcher = coordinator();
        Recorder r = new Recorder();
        Recorder other = new Recorder();
        try (Session s1 = coord.openSession(LONG_TTL); Session s2 = coord.openSession(LONG_TTL)) {
            Membership a = s1.join(group, "a", "a1");
            Subscription second = watcher.group(group).watch(other.events::add);
            try (Subscription w = watcher.group(group).watch(r.events::add)) {
                await().atMost(PATIENCE).until(() -> !r.events.isEmpty());
                assertEquals(List.of("SNAPSHOT [a]"), r.changes(0));
                Membership b = s2.join(group, "b", "b1");
                a.update("a2");
                Membership c = s1.join(group, "c", "c1");
                await().atMost(PATIENCE).until(() -> r.events.size() == 4);
                assertEquals(List.of("JOINED b", "UPDATED a", "JOINED c"), r.changes(1));
                second.close(); // the other watch of the same group on this coordinator: this one keeps its events
                b.leave();
                c.update("c2");
                await().atMost(PATIENCE).until(() -> r.events.size() == 6); // (a leave right after it could merge with it)
                s1.close(); // a and c leave with their session
                await().atMost(PATIENCE).until(() -> r.view().size() == 0);
                List<String> tail = r.changes(4);
                assertEquals(List.of("LEFT b", "UPDATED c"), tail.subList(0, 2));
                assertEquals(List.of("LEFT a", "LEFT c"), tail.subList(2, tail.size()).stream().sorted().toList());
                assertEquals(List.of(List.of("a"), List.of("a", "b"), List.of("a", "b"), List.of("a", "b", "c"), List.of("a", "c"),
                        List.of("a", "c")), r.events.subList(0, 6).stream().map(e -> ids(e.snapshot())).toList());
                assertEquals("a2", r.events.get(2).member().orElseThrow().metadata());
                assertEquals("c2", r.events.get(5).snapshot().member("c").orElseThrow().metadata());
                for (int i = 1; i < r.events.size(); i++) {
                    assertTrue(r.events.get(i).snapshot().revision() >= r.events.get(i - 1).snapshot().revision());
                    assertFalse(r.events.get(i).resynced());
                }
                assertTrue(coord.group(group).members().revision() >= r.view().revision());
            }
        }
    }

    @Test
    void aWatchOfAGroupNotCreatedYetSeesItsMembersAcrossTheContainerBeingReaped() throws Exception {
        String group = unique("later");
        Recorder r = new Recorder();
        try (Session s = coord.openSession(LONG_TTL); Subscription w = coordinator().group(group).watch(r.events::add)) {
            await().atMost(PATIENCE).until(() -> !r.events.isEmpty());
            assertEquals(List.of("SNAPSHOT []"), r.changes(0));
            Membership m = s.join(group, "a", "");
            await().atMost(PATIENCE).until(() -> r.events.size() == 2);
            m.leave();
            await().atMost(PATIENCE).until(() -> r.events.size() == 3);
            long emptyRevision = coord.group(group).members().revision();

            try {
                coord.client().delete().forPath(coord.paths().group(group)); // as the server's container manager would
            } catch (org.apache.zookeeper.KeeperException.NoNodeException reapedAlready) {
                // the container manager was first
            }
            GroupSnapshot reaped = coord.group(group).members();
            assertEquals(List.of(), reaped.members());
            assertTrue(reaped.revision() > emptyRevision, "the parent's pzxid moved with the container's deletion");

            long before = roundTrips(coord);
            Membership back = s.join(group, "a", "back");
            assertEquals(3, roundTrips(coord) - before, "create (NONODE: the container this coordinator knew is gone), container, create");
            await().atMost(PATIENCE).until(() -> r.events.size() == 4);
            assertEquals(List.of("JOINED a", "LEFT a", "JOINED a"), r.changes(1));
            assertEquals("back", r.view().member("a").orElseThrow().metadata());
            back.leave();
        }
    }

    @Test
    void aWatcherCutOffBrieflyReportsEachDifferenceOnceAfterHealing() throws Exception {
        watcherCutOff(Duration.ofMillis(300), false); // well within the watcher's ZooKeeper session (4 s): it reconnects to it
    }

    @Test
    void aWatcherWhoseSessionExpiredWhileCutOffResyncsOnItsNewSession() throws Exception {
        watcherCutOff(Duration.ofSeconds(6), true); // the server expires the watcher's session; Curator opens a new one
    }

    private void watcherCutOff(Duration cut, boolean newSession) throws Exception {
        String group = unique("cut");
        String endpoint = server.connectString();
        int colon = endpoint.lastIndexOf(':');
        try (TcpFaultProxy proxy = TcpFaultProxy.start(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1)));
             ZooKeeperCoordinator watcher = backend.builder(namespace, proxy.hostPort()).build();
             Session s = coord.openSession(LONG_TTL); Session leaver = coord.openSession(LONG_TTL)) {
            leaver.join(group, "a", "a");
            Membership c = s.join(group, "c", "c1");
            Recorder r = new Recorder();
            try (Subscription w = watcher.group(group).watch(r.events::add)) {
                await().atMost(PATIENCE).until(() -> !r.events.isEmpty());
                assertEquals(List.of("SNAPSHOT [a, c]"), r.changes(0));
                long sessionBefore = watcher.client().getZookeeperClient().getZooKeeper().getSessionId();

                proxy.blackhole();
                leaver.close();
                Membership b = s.join(group, "b", "b");
                c.update("c2");
                c.update("c3");
                await().during(cut).atMost(cut.plus(PATIENCE)).until(() -> r.events.size() == 1);
                proxy.drop();
                proxy.heal();
                long healedAt = System.nanoTime();

                GroupSnapshot truth = coord.group(group).members();
                await().atMost(PATIENCE).until(() -> r.view().members().equals(truth.members()));
                System.out.printf("[zookeeper] watcher cut off for %d ms: in the server's state %d ms after healing (%d of %d events resynced)%n",
                        cut.toMillis(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - healedAt),
                        r.events.stream().filter(GroupEvent::resynced).count(), r.events.size() - 1);
                List<String> after = r.changes(1);
                assertEquals(List.of("JOINED b", "LEFT a", "UPDATED c"), after.stream().sorted().toList(), "each difference once");
                // (a change whose event was already on its way when the cut began is seen live, the rest by the resync)
                assertEquals("c3", r.view().member("c").orElseThrow().metadata());
                assertEquals(newSession, watcher.client().getZookeeperClient().getZooKeeper().getSessionId() != sessionBefore,
                        "the watcher's ZooKeeper session was " + (newSession ? "" : "not ") + "replaced");

                c.update("c4"); // and the watch goes on as before
                await().atMost(PATIENCE).until(() -> r.events.size() == 5);
                assertEquals(List.of("UPDATED c"), r.changes(4));
                assertFalse(r.events.get(4).resynced());
                b.leave();
                c.leave();
            }
        }
    }

    @Test
    void withCredentialsEveryGroupNodeCarriesTheNamespaceAcl() throws Exception {
        String secured = namespace + "-acl"; // its own namespace: the unauthenticated hygiene check cannot list it
        String password = UUID.randomUUID().toString();
        List<ACL> expected = List.of(new ACL(ZooDefs.Perms.ALL, new Id("digest",
                "app:" + ZkSecurity.digest(("app:" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8)))));
        try (ZooKeeperCoordinator c = ZooKeeperCoordinator.builder().connectString(server.connectString()).namespace(secured)
                .credentials("app", password.toCharArray()).build();
             Session s = c.openSession(LONG_TTL)) {
            Membership m = s.join("g", "m", "meta");
            String group = c.paths().group("g");
            for (String path : List.of("/" + secured + "/groups", group, group + "/m")) {
                assertEquals(expected, c.client().getACL().forPath(path), "ACL of " + path);
            }
            assertThrows(org.apache.zookeeper.KeeperException.NoAuthException.class,
                    () -> coord.client().getChildren().forPath(group), "another identity cannot list the group");
            Recorder r = new Recorder();
            try (Subscription w = c.group("g").watch(r.events::add)) {
                await().atMost(PATIENCE).until(() -> !r.events.isEmpty());
                assertEquals(List.of(m.member()), r.view().members());
                m.update("again");
                await().atMost(PATIENCE).until(() -> r.events.size() == 2);
            }
            m.leave();
            assertEquals(List.of(), c.group("g").members().members());
        }
    }

    @Test
    void namesAndMetadataOfAnyCharactersRoundTripExactly() {
        String group = "svc/" + unique("é *{x}% ünï");
        String id = "host:8080/é {slot}*%";
        String metadata = "ü".repeat(2047) + "ab"; // 4 096 UTF-8 bytes
        String emoji = "\uD83D\uDE00".repeat(1024); // 1 024 four-byte characters: 4 096 bytes
        try (Session s = coord.openSession(LONG_TTL); Membership m = s.join(group, id, metadata)) {
            assertEquals(metadata, m.member().metadata());
            assertEquals(Optional.of(m.member()), coord.group(group).members().member(id));
            Member updated = m.update(emoji);
            assertEquals(emoji, coordinator().group(group).members().member(id).orElseThrow().metadata());
            assertEquals(updated, coord.group(group).members().member(id).orElseThrow());
            assertEquals(List.of(), coord.group("svc").members().members(), "a group whose name is a prefix");
            assertEquals(List.of(), coord.group(group + "x").members().members(), "a group with a longer name");
            assertEquals("", m.update("").metadata());
        }
    }
}
