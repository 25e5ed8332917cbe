package io.coord.etcd;

import io.coord.Primitive;
import io.coord.group.Member;
import io.coord.spi.CoordinatorBase;
import io.coord.spi.QueueEntry;
import io.coord.spi.SessionBase;
import io.etcd.jetcd.ByteSequence;
import io.grpc.Status;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A coord session on etcd: one etcd lease. Every key the session creates (queue entries, semaphore slots, group
 * members) is attached to the lease, so revoking it ({@link #close()}) or its expiry frees everything at once, on
 * the server.
 *
 * <ul>
 *   <li>TTL: etcd counts whole seconds and raises a TTL below its minimum (ceil(1.5 × election timeout))
 *       silently; the session asks for the requested TTL rounded up to whole seconds and reports the TTL
 *       etcd answered ({@link #grantedTtl()}), which the base class logs at WARN when it differs.</li>
 *   <li>Renewal: one {@code LeaseKeepAlive} exchange ({@code keepAliveOnce}) every TTL/3, driven by
 *       {@link SessionBase}. jetcd's long-lived keep-alive observer is not used: it reports a lost lease
 *       through a non-terminal onError or by just completing. Here each renewal has exactly three outcomes:
 *       renewed (TTL &gt; 0), lease gone (NOT_FOUND: the session is EXPIRED at once), or a transient failure
 *       (deadline, unavailable: SUSPENDED until the local validity deadline).</li>
 *   <li>Threads: renewal replies are mapped on the coordinator's worker pool, never on jetcd's event loop;
 *       the base class then hops to its scheduler.</li>
 * </ul>
 */
final class EtcdSession extends SessionBase {

    private final EtcdConnection etcd;
    private final long leaseId;
    private final EtcdDeleteWatch deletes;

    EtcdSession(CoordinatorBase coordinator, EtcdConnection etcd, EtcdDeleteWatch deletes, long leaseId, Duration requestedTtl,
                Duration grantedTtl, long grantSentNanos) {
        super(coordinator, EtcdKeys.leaseHex(leaseId), requestedTtl, grantedTtl, grantSentNanos);
        this.etcd = etcd;
        this.leaseId = leaseId;
        this.deletes = deletes;
    }

    /** The etcd lease id of this session. */
    long leaseId() {
        return leaseId;
    }

    @Override
    protected CompletableFuture<Boolean> renewOnce() {
        return etcd.client().getLeaseClient().keepAliveOnce(leaseId).handleAsync((reply, error) -> {
            if (error == null) {
                return reply.getTTL() > 0;
            }
            if (EtcdConnection.code(error) == Status.Code.NOT_FOUND) {
                return false; // "requested lease not found": expired or revoked on the server
            }
            throw error instanceof CompletionException ce ? ce : new CompletionException(error);
        }, coordinator.workers());
    }

    @Override
    protected CompletableFuture<Void> revoke() {
        stats().roundTrip(Primitive.SESSION);
        return etcd.client().getLeaseClient().revoke(leaseId).handleAsync((reply, error) -> {
            if (error != null && EtcdConnection.code(error) != Status.Code.NOT_FOUND) {
                throw error instanceof CompletionException ce ? ce : new CompletionException(error);
            }
            return null; // revoked now, or already gone
        }, coordinator.workers());
    }

    /**
     * Every primitive is the one queue recipe, {@link EtcdQueueEntry}, under its own prefix; on etcd the plain
     * lock is granted in create-revision order too (the fair order costs nothing).
     */
    @Override
    protected QueueEntry newEntry(Primitive primitive, String name, String value) {
        ByteSequence queue = etcd.keys().queue(primitive, name);
        ByteSequence slots = primitive == Primitive.SEMAPHORE ? etcd.keys().slotPrefix(name) : null;
        return new EtcdQueueEntry(etcd, deletes, this, primitive, queue, slots, leaseId, value);
    }

    /** The member key of {@code memberId} on this session's lease: {@link EtcdMemberEntry#join}. */
    @Override
    protected CompletableFuture<Member> joinGroup(String group, String memberId, String metadata) {
        return new EtcdMemberEntry(etcd, group, memberId, leaseId).join(metadata);
    }

    /** {@link EtcdMemberEntry#update}: a put guarded by the join token. */
    @Override
    protected CompletableFuture<Optional<Member>> updateMember(String group, Member current, String metadata) {
        return new EtcdMemberEntry(etcd, group, current.id(), leaseId).update(current, metadata);
    }

    /** {@link EtcdMemberEntry#leave}: a delete guarded by the join token. */
    @Override
    protected CompletableFuture<Boolean> leaveGroup(String group, Member current) {
        return new EtcdMemberEntry(etcd, group, current.id(), leaseId).leave(current);
    }
}
