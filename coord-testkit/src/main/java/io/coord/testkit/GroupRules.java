package io.coord.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.coord.AlreadyHeldException;
import io.coord.Coordinator;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Group membership rules: a member is visible to every reader with its session, join token and metadata; updates are
 * one round trip and guarded, so a stale membership cannot overwrite a newer join; a member id is held by one live
 * session; a watch delivers the snapshot, then every change in order, each with the group after it, matching what
 * the server reads; a member of a session that dies is reported gone; the absence alerts fire once, and only when
 * they should. Resynchronisation after a cut connection is a fault rule ({@code PartitionRules}).
 */
public abstract class GroupRules extends Scenario {

    /**
     * These rules against the backend {@code backend} supplies (see {@link Scenario#Scenario}).
     *
     * @param backend called before each scenario
     */
    protected GroupRules(Supplier<KitBackend> backend) {
        super(backend);
    }

    /** Records a watch's events; the last event's snapshot is the watcher's view of the group. */
    static final class Recorder {
        final List<GroupEvent> events = new CopyOnWriteArrayList<>();

        void add(GroupEvent e) {
            events.add(e);
        }

        /** The watcher's view; an AssertionError (so that an Awaitility wait retries) before the first event. */
        GroupSnapshot view() {
            if (events.isEmpty()) {
                throw new AssertionError("the watch has delivered nothing yet");
            }
            return events.get(events.size() - 1).snapshot();
        }

        /** "JOINED a" for each event from index {@code from} on (the snapshot as "SNAPSHOT [a, b]"). */
        List<String> changes(int from) {
            return events.subList(from, events.size()).stream().map(Recorder::describe).toList();
        }

        static String describe(GroupEvent e) {
            return e.type() == GroupEvent.Type.SNAPSHOT ? "SNAPSHOT " + ids(e.snapshot()) : e.type() + " " + e.member().orElseThrow().id();
        }
    }

    static List<String> ids(GroupSnapshot s) {
        return s.members().stream().map(Member::id).toList();
    }

    /** Member id → metadata, as the server has it now (read through a coordinator that is not the writer's). */
    static Map<String, String> contents(GroupSnapshot s) {
        return s.members().stream().collect(Collectors.toMap(Member::id, Member::metadata, (a, b) -> a, TreeMap::new));
    }

    @Test
    void aMemberIsVisibleToReadersAndEachWriteIsOneGuardedRoundTrip() {
        String group = unique("registry");
        Coordinator reader = newCoordinator();
        try (Session s = session()) {
            long before = coord.stats().roundTrips(Primitive.GROUP);
            Membership m = s.join(group, "a", "10.0.0.1:8080");
            Member joined = m.member();
            assertThat(joined.id()).isEqualTo("a");
            assertThat(joined.sessionId()).isEqualTo(s.id());
            assertThat(joined.joinToken()).isPositive();
            assertThat(m.isJoined()).isTrue();
            assertThat(reader.group(group).members().members()).containsExactly(joined);

            Member updated = m.update("10.0.0.1:9090");
            assertThat(updated.version()).isGreaterThan(joined.version());
            assertThat(updated.joinToken()).as("an update is the same join").isEqualTo(joined.joinToken());
            assertThat(reader.group(group).members().member("a")).contains(updated);

            m.leave();
            m.leave(); // idempotent
            long cycle = coord.stats().roundTrips(Primitive.GROUP) - before;
            assertThat(reader.group(group).members().members()).isEmpty();
            assertThat(m.isJoined()).isFalse();
            assertThatThrownBy(() -> m.update("x")).isInstanceOf(IllegalStateException.class).hasMessageContaining("left");
            assertThat(cycle).as("round trips of join + update + leave on a new group")
                    .isLessThanOrEqualTo(backend.maxRoundTripsPerMembershipCycle());
            System.out.printf("[kit] %s: membership join + update + leave on a new group: %d round trips%n", backend.label(), cycle);
        }
    }

    @Test
    void aWatchDeliversTheSnapshotThenEveryChangeInServerOrder() throws Exception {
        String group = unique("watched");
        Coordinator reader = newCoordinator();
        try (Session s1 = session(); Session s2 = session()) {
            Membership a = s1.join(group, "a", "a1");
            Recorder r = new Recorder();
            try (Subscription w = reader.group(group).watch(r::add)) {
                await().until(() -> !r.events.isEmpty());
                assertThat(r.changes(0)).containsExactly("SNAPSHOT [a]");
                assertThat(r.view().members()).containsExactly(a.member());

                // A burst of changes, each to a different member, without waiting: nothing may be lost or reordered.
                // (Changes of ONE member closer together than a read may be merged on some backends: see GroupView.)
                Membership b = s2.join(group, "b", "b1");
                a.update("a2");
                Membership c = s1.join(group, "c", "c1");
                await().untilAsserted(() -> assertThat(r.events).hasSize(4));
                assertThat(r.changes(1)).containsExactly("JOINED b", "UPDATED a", "JOINED c");
                // Spaced changes: each seen.
                b.leave();
                await().untilAsserted(() -> assertThat(r.events).hasSize(5));
                c.update("c2");
                await().untilAsserted(() -> assertThat(r.events).hasSize(6));
                c.update("c3");
                await().untilAsserted(() -> assertThat(r.events).hasSize(7));
                s2.close(); // nothing of s2's is left: no event
                c.leave();
                await().untilAsserted(() -> assertThat(r.events).hasSize(8));
                assertThat(r.changes(4)).containsExactly("LEFT b", "UPDATED c", "UPDATED c", "LEFT c");

                // Each event's snapshot is the group after it, and revisions never go back.
                List<List<String>> after = r.events.stream().map(e -> ids(e.snapshot())).toList();
                assertThat(after).containsExactly(List.of("a"), List.of("a", "b"), List.of("a", "b"), List.of("a", "b", "c"),
                        List.of("a", "c"), List.of("a", "c"), List.of("a", "c"), List.of("a"));
                assertThat(r.events.get(2).member().orElseThrow().metadata()).isEqualTo("a2");
                assertThat(r.events.get(6).member().orElseThrow().metadata()).isEqualTo("c3");
                assertThat(r.events.get(7).member().orElseThrow().metadata()).as("a departure reports the member as it was").isEqualTo("c3");
                for (int i = 1; i < r.events.size(); i++) {
                    assertThat(r.events.get(i).snapshot().revision()).isGreaterThanOrEqualTo(r.events.get(i - 1).snapshot().revision());
                    assertThat(r.events.get(i).resynced()).as("no connection was lost").isFalse();
                }
                GroupSnapshot server = reader.group(group).members();
                assertThat(r.view().members()).as("the watcher's view is the server's").isEqualTo(server.members());
                assertThat(server.revision()).isGreaterThanOrEqualTo(r.view().revision());
            }
            a.leave();
        }
    }

    @Test
    void aMemberIdIsHeldByOneLiveSessionAtATime() {
        String group = unique("ids");
        try (Session first = session(); Session second = session()) {
            Membership held = first.join(group, "worker-1", "first");
            assertThatThrownBy(() -> second.join(group, "worker-1", "second"))
                    .isInstanceOf(MemberIdInUseException.class)
                    .hasMessageContaining("worker-1").hasMessageContaining(group).hasMessageContaining(first.id())
                    .satisfies(e -> assertThat(((MemberIdInUseException) e).holderSessionId()).isEqualTo(first.id()));
            assertThatThrownBy(() -> first.join(group, "worker-1", "again"))
                    .isInstanceOf(AlreadyHeldException.class).hasMessageContaining("worker-1");
            assertThat(coord.group(group).members().member("worker-1")).map(Member::metadata).contains("first");

            Membership other = first.join(group, "worker-2", "");
            held.leave();
            Membership taken = second.join(group, "worker-1", "second");
            assertThat(taken.member().joinToken()).as("a later join of the id has a greater token").isGreaterThan(held.member().joinToken());
            assertThat(taken.member().sessionId()).isEqualTo(second.id());
            assertThat(contents(coord.group(group).members())).containsExactly(Map.entry("worker-1", "second"), Map.entry("worker-2", ""));
            taken.leave();
            other.close();
        }
    }

    @Test
    void aClosedSessionTakesItsMembershipsWithItAtOnce() {
        String group = unique("closing");
        Recorder r = new Recorder();
        try (Subscription w = newCoordinator().group(group).watch(r::add)) {
            await().until(() -> !r.events.isEmpty());
            Session s = session();
            Membership m = s.join(group, "a", "");
            s.join(group, "b", "");
            await().untilAsserted(() -> assertThat(r.view().size()).isEqualTo(2));
            s.close();
            assertThat(join(m.whenLost())).isEqualTo(LossReason.SESSION_CLOSED);
            assertThat(m.isJoined()).isFalse();
            assertThat(coord.group(group).members().members()).as("gone at close, not after the TTL").isEmpty();
            await().untilAsserted(() -> assertThat(r.view().members()).isEmpty());
            assertThat(r.changes(1)).containsExactlyInAnyOrder("JOINED a", "JOINED b", "LEFT a", "LEFT b");
            assertThatThrownBy(() -> m.update("x")).isInstanceOf(LockLostException.class).hasMessageContaining("SESSION_CLOSED");
            m.leave(); // a lost membership leaves quietly
        }
    }

    @Test
    void aDeadMembersEntryGoesWithItsLeaseAndItsStaleHandleCannotOverwriteTheNextJoin() {
        String group = unique("dead");
        CrashableClient doomedClient = crashable();
        Session doomed = doomedClient.coordinator().openSession(backend.shortTtl());
        Recorder r = new Recorder();
        try (Session alive = session(); Subscription w = newCoordinator().group(group).watch(r::add)) {
            Membership survivor = alive.join(group, "survivor", "");
            Membership stale = doomed.join(group, "x", "old");
            await().untilAsserted(() -> assertThat(r.view().size()).isEqualTo(2));

            doomedClient.crash();
            long crashedAt = System.nanoTime();
            assertThat(join(stale.whenLost())).isEqualTo(LossReason.SESSION_EXPIRED);
            await().untilAsserted(() -> assertThat(ids(r.view())).containsExactly("survivor"));
            long goneAt = System.nanoTime();
            assertThat(r.changes(r.events.size() - 1)).containsExactly("LEFT x");
            System.out.printf("[kit] %s: a crashed member (TTL %d ms) reported LEFT %d ms after the crash%n", backend.label(),
                    backend.shortTtl().toMillis(), Duration.ofNanos(goneAt - crashedAt).toMillis());

            Membership next = alive.join(group, "x", "new");
            assertThat(next.member().joinToken()).isGreaterThan(stale.member().joinToken());
            // The stale handle refuses by itself (its membership is lost): nothing is sent. That the server refuses
            // a stale write that does reach it is each backend's own test (its group test, through the session hooks).
            long trips = doomedClient.coordinator().stats().roundTrips(Primitive.GROUP);
            assertThatThrownBy(() -> stale.update("stale")).isInstanceOf(LockLostException.class)
                    .hasMessageContaining("x").hasMessageContaining(group);
            stale.leave();
            assertThat(doomedClient.coordinator().stats().roundTrips(Primitive.GROUP)).as("refused locally: no round trip")
                    .isEqualTo(trips);
            assertThat(contents(coord.group(group).members())).containsExactly(Map.entry("survivor", ""), Map.entry("x", "new"));
            next.leave();
            survivor.leave();
        } finally {
            doomed.close();
        }
    }

    @Test
    void namesAndMetadataOfAnyCharactersRoundTripExactly() {
        String group = "svc/" + unique("é *{x}% ünï");
        String id = "host:8080/é {slot}*%";
        String metadata = "ü".repeat(2047) + "ab"; // exactly 4 096 UTF-8 bytes
        try (Session s = session(); Membership m = s.join(group, id, metadata)) {
            assertThat(m.member().metadata()).isEqualTo(metadata);
            Member read = coord.group(group).members().member(id).orElseThrow();
            assertThat(read).isEqualTo(m.member());
            assertThat(coord.group(group + "x").members().members()).as("another group with a longer name").isEmpty();
            assertThat(coord.group("svc").members().members()).as("a group whose name is a prefix").isEmpty();
            assertThat(m.update("").metadata()).isEmpty();
        }
    }

    /**
     * Two alert durations, so that no assertion rests on a timing margin: a long one ({@code patient}), far longer
     * than a leave followed at once by a join takes even on a loaded machine, judges the member that comes back; a
     * short one ({@code quick}) judges the member that stays away. What is asserted is what the rule makes certain:
     * an alert for the absent id arrives (awaited); when it arrives, none has arrived for an id that came back and
     * left before it (its deadline was earlier); nothing more arrives while nothing changes.
     */
    @Test
    void absenceAlertsFireOnceWhenAMemberStaysAwayAndNotWhenItComesBack() {
        String group = unique("alerts");
        Duration patient = Duration.ofSeconds(4);
        Duration quick = Duration.ofMillis(200);
        List<Member> absentLong = new CopyOnWriteArrayList<>();
        List<Member> absentQuick = new CopyOnWriteArrayList<>();
        List<Integer> small = new CopyOnWriteArrayList<>();
        Coordinator watcher = newCoordinator();
        try (Session s = session()) {
            Membership a = s.join(group, "a", "a");
            Membership b = s.join(group, "b", "b");
            try (Subscription longAlert = watcher.group(group).alertWhenAbsent(patient, absentLong::add);
                 Subscription quickAlert = watcher.group(group).alertWhenAbsent(quick, absentQuick::add);
                 Subscription sizeAlert = watcher.group(group).alertWhenBelow(2, patient, g -> small.add(g.size()))) {
                // b leaves and comes straight back, well within the long duration; then a leaves for good.
                b.leave();
                b = s.join(group, "b", "b2");
                a.leave();
                await().untilAsserted(() -> assertThat(absentQuick).extracting(Member::id).contains("a"));
                assertThat(absentQuick.stream().filter(m -> m.id().equals("a")).findFirst().orElseThrow().metadata())
                        .as("the member as it was when it left").isEqualTo("a");
                await().atMost(patient.plus(patience())).until(() -> !absentLong.isEmpty());
                assertThat(absentLong).as("when a's alert fired, b's deadline (earlier: b left first) had passed without one")
                        .extracting(Member::id).containsExactly("a");
                await().atMost(patient.plus(patience())).until(() -> !small.isEmpty());
                assertThat(small).as("one alert, for the shrinking that lasted, with the group's size then").containsExactly(1);
                // Nothing more while nothing changes (any further alert would be a second one for the same departure).
                await().during(quick.multipliedBy(5)).atMost(quick.multipliedBy(5).plus(patience()))
                        .until(() -> absentLong.size() == 1 && small.size() == 1);

                // Healthy again (the size alert is re-armed); then both leave for good: each departure is judged.
                a = s.join(group, "a", "back");
                b.leave();
                a.leave();
                await().untilAsserted(() -> assertThat(absentQuick).extracting(Member::id, Member::metadata)
                        .contains(tuple("a", "back"), tuple("b", "b2")));
                await().atMost(patient.plus(patience())).until(() -> absentLong.size() >= 3);
                assertThat(absentLong.subList(1, absentLong.size())).extracting(Member::id, Member::metadata)
                        .containsExactlyInAnyOrder(tuple("a", "back"), tuple("b", "b2"));
                await().atMost(patient.plus(patience())).until(() -> small.size() >= 2);
                assertThat(small.get(1)).as("the second shrinking's alert, once it had lasted: a had left as well").isZero();
                await().during(quick.multipliedBy(5)).atMost(quick.multipliedBy(5).plus(patience()))
                        .until(() -> absentLong.size() == 3 && small.size() == 2);
            }
        }
    }
}
