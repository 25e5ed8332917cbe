package io.coord.group;

import java.util.Objects;
import java.util.Optional;

/**
 * One call of a {@link GroupListener}: the first is the whole group ({@link Type#SNAPSHOT}), each later one a
 * single change, with the group as it is after that change.
 *
 * @param type     what happened
 * @param member   the member that joined, was updated (its new state) or left (its last state); empty for a snapshot
 * @param snapshot the group after this event
 * @param resynced true if the change was not seen as it happened but found by comparing the group read after a lost
 *                 connection (or a watch the server ended) with the state delivered before: the change happened, in
 *                 the interval, but changes of one member in between (a join and a leave, several updates) are merged
 */
public record GroupEvent(Type type, Optional<Member> member, GroupSnapshot snapshot, boolean resynced) {

    /** What a {@link GroupEvent} reports. */
    public enum Type {
        /** The first event of a watch: every member at the time. */
        SNAPSHOT,
        /** A member id that was not in the group now is. */
        JOINED,
        /** A member's metadata was written again (its {@link Member#version()} grew). */
        UPDATED,
        /** A member left, its session ended, or it joined again under another session (reported as LEFT then JOINED). */
        LEFT
    }

    /**
     * Checks that no component is null.
     *
     * @param type see the record component
     * @param member see the record component
     * @param snapshot see the record component
     * @param resynced see the record component
     * @throws NullPointerException if {@code type}, {@code member} or {@code snapshot} is null
     */
    public GroupEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(member, "member");
        Objects.requireNonNull(snapshot, "snapshot");
    }
}
