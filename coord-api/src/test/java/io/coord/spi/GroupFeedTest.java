package io.coord.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.coord.group.GroupEvent;
import io.coord.group.GroupSnapshot;
import io.coord.group.Member;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The differences a watcher is told between two states of a group: each change once, with the group after it. */
class GroupFeedTest {

    private static Member m(String id, String metadata, String session, long token, long version) {
        return new Member(id, metadata, session, token, version);
    }

    private static List<String> described(List<GroupEvent> events) {
        return events.stream().map(e -> e.type() + " " + e.member().orElseThrow().id() + " -> "
                + e.snapshot().members().stream().map(x -> x.id() + "=" + x.metadata()).toList()).toList();
    }

    @Test
    void departuresThenUpdatesThenJoinsEachWithTheGroupAfterIt() {
        GroupSnapshot from = new GroupSnapshot("g", List.of(m("a", "1", "s1", 10, 10), m("b", "1", "s2", 11, 11), m("c", "1", "s1", 12, 12)), 12);
        GroupSnapshot to = new GroupSnapshot("g", List.of(m("c", "2", "s1", 12, 15), m("d", "1", "s3", 14, 14), m("a", "1", "s1", 10, 10)), 15);

        List<GroupEvent> events = GroupFeed.differences(from, to, true);

        assertEquals(List.of(
                "LEFT b -> [a=1, c=1]",
                "UPDATED c -> [a=1, c=2]",
                "JOINED d -> [a=1, c=2, d=1]"), described(events));
        assertTrue(events.stream().allMatch(GroupEvent::resynced));
        assertEquals(to, events.get(events.size() - 1).snapshot());
        assertEquals("1", events.get(0).member().orElseThrow().metadata(), "a departure reports the member as it was");
    }

    @Test
    void aMemberIdJoinedAgainIsALeaveAndAJoin() {
        GroupSnapshot from = new GroupSnapshot("g", List.of(m("a", "x", "s1", 10, 10)), 10);
        GroupSnapshot sameSessionNewJoin = new GroupSnapshot("g", List.of(m("a", "x", "s1", 20, 20)), 20);
        GroupSnapshot otherSession = new GroupSnapshot("g", List.of(m("a", "x", "s2", 10, 10)), 20);

        assertEquals(List.of("LEFT a -> []", "JOINED a -> [a=x]"), described(GroupFeed.differences(from, sameSessionNewJoin, false)));
        assertEquals(List.of("LEFT a -> []", "JOINED a -> [a=x]"), described(GroupFeed.differences(from, otherSession, false)));
    }

    @Test
    void equalStatesHaveNoDifference() {
        GroupSnapshot s = new GroupSnapshot("g", List.of(m("b", "", "s", 2, 3), m("a", "", "s", 1, 1)), 3);
        GroupSnapshot same = new GroupSnapshot("g", List.of(m("a", "", "s", 1, 1), m("b", "", "s", 2, 3)), 7);

        assertTrue(GroupFeed.differences(s, same, true).isEmpty());
        assertEquals(List.of("a", "b"), s.members().stream().map(Member::id).toList(), "sorted by id");
    }
}
