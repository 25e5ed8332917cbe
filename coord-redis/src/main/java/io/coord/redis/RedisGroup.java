package io.coord.redis;

import io.coord.BackendUnavailableException;
import io.coord.MemberIdInUseException;
import io.coord.Primitive;
import io.coord.group.GroupSnapshot;
import io.coord.group.Member;
import io.coord.spi.NameEncoding;
import io.lettuce.core.ScriptOutputType;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One group as the Redis server stores it: its keys ({@link RedisKeys#group}), the four scripts over them
 * ({@code members.lua}, {@code join.lua}, {@code update.lua}, {@code leave.lua}) and the encoding of a member.
 * Sessions join, update and leave through it; views read it and evict dead members through it.
 *
 * <h2>Wire format</h2>
 * The members hash maps the {@link NameEncoding} of a member id to {@code "<sessionId> <joinToken> <version>
 * <metadata>"}; the group's counter (permanent) gives join tokens and versions and is the group's revision. Every
 * change is published on the group's channel with the counter before and after it:
 * {@code "<prev> <rev> J|U <enc id> <value>"} (joined, updated) or {@code "<prev> <rev> L <enc id>"} (left).
 *
 * <h2>Algorithm</h2>
 * <ul>
 *   <li>Join: one {@code join.lua}. If another session holds the id: one {@code PTTL} of its session key (a script
 *       cannot read it: another Cluster slot). Alive: {@link MemberIdInUseException}. Gone: {@code join.lua} again,
 *       naming that holder's join token, which replaces the holder only if the id is still that join. If this
 *       session holds it already (a join retried after its reply was lost), the join is kept and its metadata
 *       written again if it differs: the member answered always carries the metadata of this join call.</li>
 *   <li>Update and leave: one script each, applied only while the stored member is that join of that session.</li>
 *   <li>With the durability knob on ({@link RedisCoordinatorBuilder#replicaAcknowledgement}), each write of a
 *       session's join, update and leave that changed the group is followed by {@code WAIT}, as a lock's grant is
 *       ({@link ReplicationConfirmer}; token = the counter value the write produced).</li>
 *   <li>{@link #readLive()}: {@code members.lua}, then one {@code PTTL} per distinct session of the members (sent
 *       together); the members of gone sessions are evicted ({@code leave.lua}, exact join) and the group read
 *       again, at most {@value #MAX_READS} times: a read that still finds dead members then (sessions dying faster
 *       than it evicts them) fails with {@link BackendUnavailableException}, never answers them as members.</li>
 * </ul>
 *
 * <h2>Why it is safe</h2>
 * Every decision about one id is taken inside one atomic script that checks the stored session and join token, so a
 * stale handle or a late eviction never touches a newer join. A session whose key is gone is dead for good (session
 * keys are never re-created, {@link RedisSession}), so the cross-slot verdict "dead" cannot become stale between the
 * {@code PTTL} and the script that acts on it.
 *
 * <h2>Threads</h2>
 * No method blocks and the class holds no mutable state: it sends, and its futures complete on lettuce's event loop.
 */
final class RedisGroup {

    /** Dead holders replaced in a row within one join before it reports the id in use. */
    private static final int MAX_TAKEOVERS = 3;
    /** Reads within one {@link #readLive()}, each after evicting dead members, before it gives up. */
    private static final int MAX_READS = 10;

    private final RedisCoordinator redis;
    private final String name;
    private final RedisKeys.Group keys;

    /**
     * One change of the group: the counter before and after it, and the member as written ({@code null} when it left).
     */
    record Change(long prev, long revision, String memberId, Member member) {
    }

    /** A read with every dead member evicted: the group, and the remaining lease (ms) of each member's session then. */
    record Live(GroupSnapshot snapshot, Map<String, Long> leases) {
    }

    RedisGroup(RedisCoordinator redis, String name) {
        this.redis = redis;
        this.name = name;
        this.keys = redis.keys().group(name);
    }

    /** The group's name, as given. */
    String name() {
        return name;
    }

    /** The channel every change of the group is published on. */
    String channel() {
        return keys.changes();
    }

    // ---- a session's membership (the first round trip of each is counted by SessionMembership) ----------------------

    /** Joins as {@code memberId} of session {@code sessionId}; fails with {@link MemberIdInUseException} if another live session holds it. */
    CompletableFuture<Member> join(String sessionId, String memberId, String metadata) {
        return join(sessionId, memberId, metadata, "", 0);
    }

    private CompletableFuture<Member> join(String sessionId, String memberId, String metadata, String deadToken, int takeovers) {
        String[] args = {NameEncoding.encode(memberId), sessionId, metadata, keys.changes(), deadToken};
        CompletableFuture<List<Object>> sent = takeovers == 0
                ? redis.link().evalCountedByCaller(Primitive.GROUP, RedisScript.JOIN, ScriptOutputType.MULTI, keys.keys(), args)
                : redis.link().eval(Primitive.GROUP, RedisScript.JOIN, ScriptOutputType.MULTI, keys.keys(), args);
        return sent.thenCompose(reply -> {
            Member stored = decode(memberId, (String) reply.get(1));
            long code = (Long) reply.get(0);
            if (code == 1L || code == 3L) { // joined, or our own earlier try with its metadata written again
                return acknowledged(stored, stored.version());
            }
            if (code == 2L) {
                return CompletableFuture.completedFuture(stored); // our own earlier try, as this call asked: nothing written
            }
            MemberIdInUseException inUse = new MemberIdInUseException(name, memberId, stored.sessionId());
            if (takeovers >= MAX_TAKEOVERS) {
                return CompletableFuture.failedFuture(inUse);
            }
            return pttl(stored.sessionId()).thenCompose(ms -> ms != -2
                    ? CompletableFuture.<Member>failedFuture(inUse)
                    : join(sessionId, memberId, metadata, Long.toString(stored.joinToken()), takeovers + 1));
        });
    }

    /** Replaces the metadata of {@code current} while it is still that join; empty if it is not. */
    CompletableFuture<Optional<Member>> update(Member current, String metadata) {
        return redis.link().<List<Object>>evalCountedByCaller(Primitive.GROUP, RedisScript.UPDATE, ScriptOutputType.MULTI, keys.keys(),
                NameEncoding.encode(current.id()), current.sessionId(), Long.toString(current.joinToken()), metadata, keys.changes())
                .thenCompose(reply -> {
                    if ((Long) reply.get(0) != 1L) {
                        return CompletableFuture.completedFuture(Optional.<Member>empty());
                    }
                    Member written = decode(current.id(), (String) reply.get(1));
                    return acknowledged(Optional.of(written), written.version());
                });
    }

    /** Deletes {@code current} while it is still that join; false if it is not there (any more). */
    CompletableFuture<Boolean> leave(Member current) {
        return remove(true, current.sessionId(), current.id(), Long.toString(current.joinToken()))
                .thenCompose(change -> change.isPresent() ? acknowledged(true, change.get().revision()) : CompletableFuture.completedFuture(false));
    }

    /**
     * {@code result} of a write of a session's membership that produced counter value {@code token}; with the
     * durability knob on, once {@code WAIT} answered (reported, never failing the write: {@link ReplicationConfirmer}).
     */
    private <T> CompletableFuture<T> acknowledged(T result, long token) {
        if (!redis.confirmsReplication()) {
            return CompletableFuture.completedFuture(result);
        }
        return redis.confirmReplication(Primitive.GROUP, name, keys.counter(), token).thenApply(ack -> result);
    }

    /** The end of session {@code sessionId}: deletes its member {@code memberId}, whichever join it is (counted). */
    CompletableFuture<Optional<Change>> removeOnEnd(String sessionId, String memberId) {
        return remove(false, sessionId, memberId, "");
    }

    /** Evicts {@code dead}, whose session key is gone, guarded by its exact join (counted); the change, if it removed it. */
    CompletableFuture<Optional<Change>> evict(Member dead) {
        return remove(false, dead.sessionId(), dead.id(), Long.toString(dead.joinToken()));
    }

    private CompletableFuture<Optional<Change>> remove(boolean countedByCaller, String sessionId, String memberId, String joinToken) {
        String[] args = {NameEncoding.encode(memberId), sessionId, joinToken, keys.changes()};
        CompletableFuture<List<Object>> sent = countedByCaller
                ? redis.link().evalCountedByCaller(Primitive.GROUP, RedisScript.LEAVE, ScriptOutputType.MULTI, keys.keys(), args)
                : redis.link().eval(Primitive.GROUP, RedisScript.LEAVE, ScriptOutputType.MULTI, keys.keys(), args);
        return sent.thenApply(reply -> (Long) reply.get(0) == 1L
                ? Optional.of(new Change((Long) reply.get(1), (Long) reply.get(2), memberId, null)) : Optional.empty());
    }

    // ---- readers (every round trip counted) ---------------------------------------------------------------------------

    /** One {@code members.lua}: the group as stored, dead sessions' members included. */
    CompletableFuture<GroupSnapshot> read() {
        return redis.link().<List<Object>>eval(Primitive.GROUP, RedisScript.MEMBERS, ScriptOutputType.MULTI, keys.keys()).thenApply(reply -> {
            List<Member> members = new ArrayList<>();
            for (int i = 1; i + 1 < reply.size(); i += 2) {
                members.add(decode(NameEncoding.decode((String) reply.get(i)), (String) reply.get(i + 1)));
            }
            return new GroupSnapshot(name, members, (Long) reply.get(0));
        });
    }

    /** The group with its dead members evicted (see the class comment). */
    CompletableFuture<Live> readLive() {
        return readLive(1);
    }

    private CompletableFuture<Live> readLive(int reads) {
        return read().thenCompose(snapshot -> {
            Map<String, CompletableFuture<Long>> asked = new LinkedHashMap<>();
            snapshot.members().forEach(m -> asked.computeIfAbsent(m.sessionId(), this::pttl));
            return CompletableFuture.allOf(asked.values().toArray(CompletableFuture[]::new)).thenCompose(all -> {
                Map<String, Long> leases = new HashMap<>();
                asked.forEach((session, pttl) -> leases.put(session, pttl.join()));
                List<Member> dead = snapshot.members().stream().filter(m -> leases.get(m.sessionId()) == -2).toList();
                if (dead.isEmpty()) {
                    return CompletableFuture.completedFuture(new Live(snapshot, leases));
                }
                if (reads >= MAX_READS) {
                    return CompletableFuture.failedFuture(new BackendUnavailableException("Redis: " + this + " still had members of"
                            + " ended sessions after " + MAX_READS + " reads, each after evicting them (" + dead.size()
                            + " now); not answering them as members. Retry", null));
                }
                return CompletableFuture.allOf(dead.stream().map(this::evict).toArray(CompletableFuture[]::new))
                        .thenCompose(evicted -> readLive(reads + 1));
            });
        });
    }

    /** The remaining lease of a session in ms: -2 if its key is gone (dead for good). */
    CompletableFuture<Long> pttl(String sessionId) {
        return redis.link().pttl(Primitive.GROUP, redis.keys().session(sessionId));
    }

    /** The group's revision now: one {@code GET} of its counter (0 if it was never written). */
    CompletableFuture<Long> revision() {
        return redis.link().get(Primitive.GROUP, keys.counter()).thenApply(v -> v == null ? 0L : Long.parseLong(v));
    }

    // ---- encoding -------------------------------------------------------------------------------------------------------

    /** A stored value {@code "<sessionId> <joinToken> <version> <metadata>"} of member {@code memberId}. */
    static Member decode(String memberId, String value) {
        String[] p = value.split(" ", 4);
        return new Member(memberId, p[3], p[0], Long.parseLong(p[1]), Long.parseLong(p[2]));
    }

    /**
     * A message of the group's channel (see the class comment).
     *
     * @throws IllegalArgumentException if it is not one; its message names the part that is wrong, never the
     *                                  content (a member value carries metadata)
     */
    static Change parseChange(String message) {
        String[] p = message.split(" ", 5);
        if (p.length < 4) {
            throw new IllegalArgumentException("fewer than the 4 fields \"<prev> <rev> J|U|L <id>\"");
        }
        long prev = number(p[0], "the counter before the change");
        long revision = number(p[1], "the counter after the change");
        String memberId;
        try {
            memberId = NameEncoding.decode(p[3]);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the member id is not encoded");
        }
        return switch (p[2]) {
            case "J", "U" -> {
                Member member;
                try {
                    member = decode(memberId, p[4]);
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("the member value is not \"<session> <token> <version> <metadata>\"");
                }
                yield new Change(prev, revision, memberId, member);
            }
            case "L" -> new Change(prev, revision, memberId, null);
            default -> throw new IllegalArgumentException("unknown kind of change (not J, U or L)");
        };
    }

    private static long number(String field, String what) {
        try {
            return Long.parseLong(field);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " is not a number");
        }
    }

    @Override
    public String toString() {
        return "group '" + name + "'";
    }
}
