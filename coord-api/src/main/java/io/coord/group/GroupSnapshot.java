package io.coord.group;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The members of a group at one point of the server's history.
 *
 * @param group    the group's name
 * @param members  the members, sorted by {@link Member#id()}; unmodifiable
 * @param revision the server's position of this state (etcd: the revision; ZooKeeper: the highest zxid seen;
 *                 Redis: the group's counter). A later state of the same group never has a smaller revision.
 */
public record GroupSnapshot(String group, List<Member> members, long revision) {

    /**
     * Sorts and freezes the members.
     *
     * @param group see the record component
     * @param members see the record component
     * @param revision see the record component
     * @throws NullPointerException if {@code group} or {@code members} is null
     */
    public GroupSnapshot {
        Objects.requireNonNull(group, "group");
        members = members.stream().sorted(Comparator.comparing(Member::id)).toList();
    }

    /**
     * The member with {@code id}, if it is in this snapshot.
     *
     * @param id a member id
     * @return the member, or empty
     */
    public Optional<Member> member(String id) {
        return members.stream().filter(m -> m.id().equals(id)).findFirst();
    }

    /**
     * The number of members.
     *
     * @return {@code members().size()}
     */
    public int size() {
        return members.size();
    }
}
