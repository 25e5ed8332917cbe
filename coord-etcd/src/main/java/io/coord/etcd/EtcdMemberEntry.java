package io.coord.etcd;

import io.coord.MemberIdInUseException;
import io.coord.Primitive;
import io.coord.SessionExpiredException;
import io.coord.SessionState;
import io.coord.group.Member;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * One member id of one group, as a session writes it: the key {@code coord/<ns>/group/<group>/<member id>} on the
 * session's lease, value = the metadata ({@link EtcdKeys}). The three group hooks of {@link EtcdSession}.
 *
 * <h2>Algorithm</h2>
 * <ol>
 *   <li>{@link #join}: ONE transaction: if the key does not exist ({@code createRevision == 0}) put it with my
 *       lease, else read it. The put's revision is the join token and the version. A key on another lease:
 *       {@link MemberIdInUseException} naming that lease. A key on my lease is a join of this session whose reply
 *       was lost (a retried attempt, or an abandoned join that etcd applied late): it is my member; if its
 *       metadata is not what this join asks for, one more transaction puts it, guarded by its create revision
 *       (and if the key changed in between, one more join tells what happened).</li>
 *   <li>{@link #update}: ONE transaction: put the new metadata (with my lease) only if the key's create revision
 *       is still the join token; the version is that transaction's revision.</li>
 *   <li>{@link #leave}: ONE transaction: delete the key only if its create revision is still the join token.</li>
 * </ol>
 *
 * <h2>Why it is safe</h2>
 * One member id is one key and the join is a put-if-absent, so at most one lease holds an id. etcd deletes a
 * lease's keys in the same raft entry that revokes or expires it, so a key that exists is held by a live lease:
 * there is never a dead holder to evict. Create revisions are global and strictly increasing, and a key's create
 * revision changes only when it is deleted and created again, so {@code createRevision == join token} holds
 * exactly while the key is that join: an update or leave of a stale handle (an earlier join of the id, by this
 * or another session) compares false and touches nothing, and every later join has a greater token. Retries
 * ({@link EtcdConnection}): a join retried after an applied attempt takes the else branch and finds its own
 * lease; an update retried after an applied attempt puts again under the same guard (same metadata, a greater
 * version); a leave retried after an applied attempt finds nothing and answers false, which coord-api treats as
 * already gone.
 *
 * <h2>Threads</h2>
 * Immutable. Each method sends its transaction and returns; replies are mapped on jetcd's threads, which never
 * block (the join's extra put is sent from there). Round trips: coord-api counts one per join, update and leave;
 * {@link EtcdConnection#sendCountedByCaller} counts only the retries and the join's extra put.
 */
final class EtcdMemberEntry {

    private final EtcdConnection etcd;
    private final String group;
    private final String memberId;
    private final ByteSequence key;
    private final long leaseId;
    private final String sessionId;

    EtcdMemberEntry(EtcdConnection etcd, String group, String memberId, long leaseId) {
        this.etcd = etcd;
        this.group = group;
        this.memberId = memberId;
        this.key = EtcdKeys.member(etcd.keys().groupPrefix(group), memberId);
        this.leaseId = leaseId;
        this.sessionId = EtcdKeys.leaseHex(leaseId);
    }

    /** The member a key holds: its id, metadata, holder (lease hex), join token (create revision), version (mod revision). */
    static Member memberOf(KeyValue kv) {
        return new Member(EtcdKeys.memberIdOf(kv.getKey()), EtcdKeys.text(kv.getValue()), EtcdKeys.leaseHex(kv.getLease()),
                kv.getCreateRevision(), kv.getModRevision());
    }

    CompletableFuture<Member> join(String metadata) {
        return join(metadata, false);
    }

    /** {@code again}: a second try after the key changed under a re-announcement (counted here, not by the SPI). */
    private CompletableFuture<Member> join(String metadata, boolean again) {
        Supplier<CompletableFuture<TxnResponse>> putIfAbsent = () -> etcd.client().getKVClient().txn()
                .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                .Then(Op.put(key, EtcdKeys.bytes(metadata), onMyLease()))
                .Else(Op.get(key, GetOption.DEFAULT))
                .commit();
        String what = "joining " + EtcdKeys.text(key);
        CompletableFuture<TxnResponse> reply = again
                ? etcd.send(Primitive.GROUP, what, EtcdConnection.Retry.IDEMPOTENT, putIfAbsent)
                : etcd.sendCountedByCaller(Primitive.GROUP, what, EtcdConnection.Retry.IDEMPOTENT, putIfAbsent);
        return reply.handle((r, error) -> {
            if (error != null) {
                throw failure(error);
            }
            long revision = r.getHeader().getRevision();
            if (r.isSucceeded()) {
                return CompletableFuture.completedFuture(new Member(memberId, metadata, sessionId, revision, revision));
            }
            Member stored = memberOf(r.getGetResponses().get(0).getKvs().get(0));
            if (!stored.sessionId().equals(sessionId)) {
                throw new MemberIdInUseException(group, memberId, stored.sessionId());
            }
            return stored.metadata().equals(metadata) || again ? CompletableFuture.completedFuture(stored) : reannounce(stored, metadata);
        }).thenCompose(m -> m);
    }

    /**
     * A join found my own earlier join with other metadata: puts this join's, guarded by that join's create
     * revision (one more round trip, counted here). If the key changed in between (my lease died, or the key was
     * deleted), joins once more: that put-if-absent tells which.
     */
    private CompletableFuture<Member> reannounce(Member stored, String metadata) {
        return etcd.send(Primitive.GROUP, "re-announcing " + EtcdKeys.text(key), EtcdConnection.Retry.IDEMPOTENT, () -> guardedPut(stored, metadata))
                .thenCompose(r -> r.isSucceeded()
                        ? CompletableFuture.completedFuture(new Member(memberId, metadata, sessionId, stored.joinToken(), r.getHeader().getRevision()))
                        : join(metadata, true));
    }

    CompletableFuture<Optional<Member>> update(Member current, String metadata) {
        return etcd.sendCountedByCaller(Primitive.GROUP, "updating " + EtcdKeys.text(key), EtcdConnection.Retry.IDEMPOTENT,
                        () -> guardedPut(current, metadata))
                .handle((r, error) -> {
                    if (error != null) {
                        if (EtcdConnection.isLeaseNotFound(error)) {
                            return Optional.empty(); // my lease is gone, and my key with it
                        }
                        throw failure(error);
                    }
                    return r.isSucceeded()
                            ? Optional.of(new Member(memberId, metadata, sessionId, current.joinToken(), r.getHeader().getRevision()))
                            : Optional.empty();
                });
    }

    CompletableFuture<Boolean> leave(Member current) {
        return etcd.sendCountedByCaller(Primitive.GROUP, "leaving " + EtcdKeys.text(key), EtcdConnection.Retry.REPEATABLE,
                        () -> etcd.client().getKVClient().txn()
                                .If(stillJoined(current))
                                .Then(Op.delete(key, DeleteOption.DEFAULT))
                                .commit())
                .thenApply(TxnResponse::isSucceeded);
    }

    private CompletableFuture<TxnResponse> guardedPut(Member current, String metadata) {
        return etcd.client().getKVClient().txn()
                .If(stillJoined(current))
                .Then(Op.put(key, EtcdKeys.bytes(metadata), onMyLease()))
                .commit();
    }

    /** The key is still the join of {@code current}: same create revision. */
    private Cmp stillJoined(Member current) {
        return new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(current.joinToken()));
    }

    private PutOption onMyLease() {
        return PutOption.builder().withLeaseId(leaseId).build();
    }

    /** A failed join: my lease gone (etcd refuses a put on an unknown lease) is an expired session; else as sent. */
    private RuntimeException failure(Throwable error) {
        if (EtcdConnection.isLeaseNotFound(error)) {
            return new SessionExpiredException(sessionId, SessionState.EXPIRED);
        }
        return error instanceof RuntimeException re ? re : new CompletionException(error);
    }
}
