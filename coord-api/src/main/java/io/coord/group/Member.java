package io.coord.group;

import java.util.Objects;

/**
 * One member of a group, as the server stored it.
 *
 * @param id        the member id given to {@link io.coord.Session#join(String, String, String)}
 * @param metadata  what the member announced (at most 4 096 UTF-8 bytes, e.g. {@code "host:port"})
 * @param sessionId the {@link io.coord.Session#id()} of the session that joined; the membership ends with it
 * @param joinToken the server's number of the join: strictly greater for every later join of the same member id
 *                  (etcd: the key's create revision; ZooKeeper: the node's czxid; Redis: the group's counter)
 * @param version   the server's number of the last write (join or update) of this member: greater after every update
 */
public record Member(String id, String metadata, String sessionId, long joinToken, long version) {

    /**
     * Checks that no component is null.
     *
     * @param id see the record component
     * @param metadata see the record component
     * @param sessionId see the record component
     * @param joinToken see the record component
     * @param version see the record component
     * @throws NullPointerException if {@code id}, {@code metadata} or {@code sessionId} is null
     */
    public Member {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(metadata, "metadata");
        Objects.requireNonNull(sessionId, "sessionId");
    }
}
