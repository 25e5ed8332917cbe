package io.coord.zookeeper;

import io.coord.BackendUnavailableException;
import io.coord.LockLostException;
import io.coord.LossReason;
import io.coord.MemberIdInUseException;
import io.coord.Primitive;
import io.coord.SessionExpiredException;
import io.coord.group.Member;
import io.coord.zookeeper.ZkConnection.Reply;
import io.coord.zookeeper.ZkConnection.Retry;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.data.Stat;

/**
 * The member nodes of one session ({@link ZkPaths}: {@code /<ns>/groups/<group>/<member id>}, EPHEMERAL on the
 * session's own handle): the join, update and leave behind {@link ZkSession}'s group hooks.
 *
 * <h2>Algorithm</h2>
 * <ul>
 *   <li>join: one {@code create} of the member node (data = metadata), after the group's container create on the
 *       group's first use on this coordinator ({@link ZkContainers}). NODEEXISTS → {@code getData}: our session's
 *       node is a retried create whose first try was applied (returned as the member); another owner is a live
 *       session ({@link MemberIdInUseException}); gone meanwhile → create again. NONODE (the container was
 *       reaped) → create the container, then the node again.</li>
 *   <li>update: one {@code setData} guarded by the data version this session wrote last for that join
 *       ({@link #joins}). BADVERSION (a write whose reply was lost was applied) → {@code getData}: still this
 *       join → adopt that write if it holds our metadata, else write again with the version read; another join
 *       or NONODE → empty.</li>
 *   <li>leave: one {@code delete} guarded by the same version; BADVERSION → {@code getData}, then delete with the
 *       version read if it is still this join.</li>
 * </ul>
 * Round trips: join 1 (2 on a group's first use on a coordinator), update 1, leave 1; each extra request above
 * (a reread, a second try) is counted.
 *
 * <h2>Why it is safe</h2>
 * The create of one path per member id is the guard: ZooKeeper creates it once, and deletes it in the same
 * transaction that ends its session, so NODEEXISTS always names a live holder (its {@code ephemeralOwner}). A
 * join token is the node's {@code czxid}: global, so every later join of the id has a greater one. Writes are
 * guarded by the data version of the join this session remembers for that path, and a {@link Member} whose join
 * token is not that join's is refused before anything is sent: a stale handle never writes. ZooKeeper cannot
 * compare a czxid in a write, so a node deleted by a client outside coord (nobody in coord deletes another
 * session's node) and re-created by another session before our next write, at the same data version, would be
 * written once; the reply's czxid then shows it and the membership is reported lost. A retried request that was
 * applied once changes nothing more: the create meets our own node, the write and delete a version they moved.
 *
 * <h2>Threads</h2>
 * Requests go through the session's {@link ZkConnection}; replies arrive on the handle's event thread, where this
 * class only records the versions, completes futures and sends the next request. The SPI serialises the calls of
 * one membership, and claims a member id once per session, so {@link #joins} has one writer per path at a time.
 */
final class ZkMemberNodes {

    /** Requests of one join, update or leave beyond the first (container reaped, node changed meanwhile). */
    private static final int MAX_ATTEMPTS = 5;

    /** One join of this session: its node's czxid (the join token) and the data version this session wrote last. */
    private record Join(long czxid, int dataVersion) {
    }

    /** A member node as read: its data and stat. */
    private record Node(byte[] data, Stat stat) {
    }

    private final ZkSession session;
    private final ZkConnection connection;
    private final ZkPaths paths;
    /** Member node path → this session's join there. */
    private final Map<String, Join> joins = new ConcurrentHashMap<>();

    ZkMemberNodes(ZkSession session, ZkPaths paths) {
        this.session = session;
        this.connection = session.connection();
        this.paths = paths;
    }

    CompletableFuture<Member> join(String group, String memberId, String metadata) {
        String container = paths.group(group);
        String path = ZkPaths.member(container, memberId);
        byte[] data = metadata.getBytes(StandardCharsets.UTF_8);
        return session.containers().ensure(connection, Primitive.GROUP, container)
                .thenCompose(v -> create(group, container, path, memberId, data, 1));
    }

    CompletableFuture<Optional<Member>> update(String group, Member current, String metadata) {
        String path = ZkPaths.member(paths.group(group), current.id());
        Join join = joins.get(path);
        if (join == null || join.czxid() != current.joinToken()) {
            return CompletableFuture.completedFuture(Optional.empty()); // a stale handle: never sent
        }
        return write(path, current, metadata.getBytes(StandardCharsets.UTF_8), join.dataVersion(), 1).exceptionally(e -> {
            if (unwrap(e) instanceof SessionExpiredException) {
                throw LockLostException.of("membership of '" + current.id() + "' in group '" + group + "'",
                        current.joinToken(), LossReason.SESSION_EXPIRED);
            }
            throw e instanceof CompletionException ce ? ce : new CompletionException(e);
        });
    }

    CompletableFuture<Boolean> leave(String group, Member current) {
        String path = ZkPaths.member(paths.group(group), current.id());
        Join join = joins.get(path);
        if (join == null || join.czxid() != current.joinToken()) {
            return CompletableFuture.completedFuture(false);
        }
        return delete(path, current, join.dataVersion(), 1).exceptionally(e -> {
            if (unwrap(e) instanceof SessionExpiredException) {
                return forget(path, current, false); // the session's end deleted the node
            }
            throw e instanceof CompletionException ce ? ce : new CompletionException(e);
        });
    }

    // ---- steps ------------------------------------------------------------------------------

    private CompletableFuture<Member> create(String group, String container, String path, String memberId, byte[] data, int attempt) {
        if (attempt > MAX_ATTEMPTS) {
            return failed("could not join group '" + group + "' as '" + memberId + "': " + path + " kept changing");
        }
        ZkConnection.Request<Stat> request = (zk, reply) -> zk.create(path, data, connection.aclFor(path), CreateMode.EPHEMERAL,
                (rc, p, ctx, name, stat) -> reply.accept(Code.get(rc), stat), null);
        return send(attempt, "joining " + path, request, Code.NODEEXISTS, Code.NONODE).thenCompose(reply -> switch (reply.code()) {
            case OK -> CompletableFuture.completedFuture(joined(path, memberId, data, reply.value()));
            case NONODE -> {
                session.containers().forget(container); // reaped meanwhile: create it again
                yield session.containers().ensure(connection, Primitive.GROUP, container)
                        .thenCompose(v -> create(group, container, path, memberId, data, attempt + 1));
            }
            default -> read(path).thenCompose(node -> { // NODEEXISTS: whose?
                if (node == null) {
                    return create(group, container, path, memberId, data, attempt + 1); // left meanwhile
                }
                if (node.stat().getEphemeralOwner() == session.zkSessionId()) {
                    return CompletableFuture.completedFuture(joined(path, memberId, node.data(), node.stat()));
                }
                return CompletableFuture.failedFuture(new MemberIdInUseException(group, memberId,
                        ZkPaths.sessionIdText(node.stat().getEphemeralOwner())));
            });
        });
    }

    private CompletableFuture<Optional<Member>> write(String path, Member current, byte[] data, int version, int attempt) {
        if (attempt > MAX_ATTEMPTS) {
            return failed("could not update " + path + ": it kept changing");
        }
        ZkConnection.Request<Stat> request = (zk, reply) -> zk.setData(path, data, version, (rc, p, ctx, stat) -> reply.accept(Code.get(rc), stat), null);
        return send(attempt, "updating " + path, request, Code.NONODE, Code.BADVERSION).thenCompose(reply -> switch (reply.code()) {
            case OK -> CompletableFuture.completedFuture(written(path, current, data, reply.value()));
            case NONODE -> CompletableFuture.completedFuture(lost(path, current));
            default -> read(path).thenCompose(node -> { // BADVERSION: an earlier write of ours whose reply was lost?
                if (node == null || node.stat().getCzxid() != current.joinToken()) {
                    return CompletableFuture.completedFuture(lost(path, current));
                }
                if (Arrays.equals(node.data(), data) && node.stat().getMzxid() > current.version()) {
                    return CompletableFuture.completedFuture(written(path, current, data, node.stat()));
                }
                return write(path, current, data, node.stat().getVersion(), attempt + 1);
            });
        });
    }

    private CompletableFuture<Boolean> delete(String path, Member current, int version, int attempt) {
        if (attempt > MAX_ATTEMPTS) {
            return failed("could not leave " + path + ": it kept changing");
        }
        ZkConnection.Request<Void> request = (zk, reply) -> zk.delete(path, version, (rc, p, ctx) -> reply.accept(Code.get(rc), null), null);
        return send(attempt, "leaving " + path, request, Code.NONODE, Code.BADVERSION).thenCompose(reply -> switch (reply.code()) {
            case OK -> CompletableFuture.completedFuture(forget(path, current, true));
            case NONODE -> CompletableFuture.completedFuture(forget(path, current, false));
            default -> read(path).thenCompose(node -> { // BADVERSION: an earlier write of ours whose reply was lost?
                if (node == null || node.stat().getCzxid() != current.joinToken()) {
                    return CompletableFuture.completedFuture(forget(path, current, false));
                }
                return delete(path, current, node.stat().getVersion(), attempt + 1);
            });
        });
    }

    /** Extra round trip: the node's data and stat, or null if it does not exist. */
    private CompletableFuture<Node> read(String path) {
        return connection.<Node>call(Primitive.GROUP, "reading " + path, Retry.REPEATABLE,
                (zk, reply) -> zk.getData(path, false, (rc, p, ctx, bytes, stat) -> reply.accept(Code.get(rc), new Node(bytes, stat)), null),
                Code.NONODE).thenApply(reply -> reply.ok() ? reply.value() : null);
    }

    /**
     * The first attempt of a join, update or leave is the one the SPI counted; later ones are extra. Every one is
     * repeatable: a repeat that meets its own earlier effect is recognised (see the class comment).
     */
    private <T> CompletableFuture<Reply<T>> send(int attempt, String what, ZkConnection.Request<T> request, Code... answers) {
        return attempt == 1 ? connection.callCountedByCaller(Primitive.GROUP, what, Retry.REPEATABLE, request, answers)
                : connection.call(Primitive.GROUP, what, Retry.REPEATABLE, request, answers);
    }

    private Member joined(String path, String memberId, byte[] data, Stat stat) {
        joins.put(path, new Join(stat.getCzxid(), stat.getVersion()));
        return ZkPaths.member(memberId, data, stat);
    }

    /** After our write: the member as written; a node of another join (see "Why it is safe") is reported empty. */
    private Optional<Member> written(String path, Member current, byte[] data, Stat stat) {
        if (stat.getCzxid() != current.joinToken()) {
            return lost(path, current);
        }
        joins.put(path, new Join(stat.getCzxid(), stat.getVersion()));
        return Optional.of(ZkPaths.member(current.id(), data, stat));
    }

    /** {@code current}'s join is over (its node is gone or another join's): forgotten, and reported as not written. */
    private Optional<Member> lost(String path, Member current) {
        forget(path, current, false);
        return Optional.empty();
    }

    /** Drops our record of {@code current}'s join (never a later one's); returns {@code result}. */
    private boolean forget(String path, Member current, boolean result) {
        joins.computeIfPresent(path, (p, join) -> join.czxid() == current.joinToken() ? null : join);
        return result;
    }

    private static <T> CompletableFuture<T> failed(String message) {
        return CompletableFuture.failedFuture(new BackendUnavailableException("ZooKeeper: " + message, null));
    }

    private static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }
}
