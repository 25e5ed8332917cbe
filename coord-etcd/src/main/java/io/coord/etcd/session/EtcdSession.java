package io.coord.etcd.session;

import io.coord.Primitive;
import io.coord.election.Election;
import io.coord.etcd.EtcdConnection;
import io.coord.etcd.EtcdKeys;
import io.coord.etcd.election.EtcdCandidate;
import io.coord.etcd.lock.EtcdQueueEntry;
import io.coord.lock.FairLock;
import io.coord.lock.FencedLock;
import io.coord.spi.CoordinatorBase;
import io.coord.spi.SessionBase;
import io.coord.spi.SessionElection;
import io.coord.spi.SessionFairLock;
import io.coord.spi.SessionLock;
import io.coord.election.ElectionView;
import io.etcd.jetcd.ByteSequence;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * A coord session on etcd: one etcd lease. Every key the session creates is attached to the lease, so
 * revoking it ({@link #close()}) or its expiry frees everything at once, on the server.
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
public final class EtcdSession extends SessionBase {

    private final EtcdConnection etcd;
    private final long leaseId;
    private final Function<String, ElectionView> views;

    public EtcdSession(CoordinatorBase coordinator, EtcdConnection etcd, long leaseId, Duration requestedTtl,
                       Duration grantedTtl, long grantSentNanos, Function<String, ElectionView> views) {
        super(coordinator, EtcdKeys.leaseHex(leaseId), requestedTtl, grantedTtl, grantSentNanos);
        this.etcd = etcd;
        this.leaseId = leaseId;
        this.views = views;
    }

    /** The etcd lease id of this session. */
    public long leaseId() {
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

    @Override
    protected FencedLock createLock(String name) {
        ByteSequence queue = etcd.keys().lockQueue(name, false);
        return new SessionLock(this, name, Primitive.LOCK,
                () -> new EtcdQueueEntry(etcd, this, Primitive.LOCK, queue, leaseId, ByteSequence.EMPTY));
    }

    /** Same recipe as {@link #createLock}: on etcd every lock is granted in create-revision order. */
    @Override
    protected FairLock createFairLock(String name) {
        ByteSequence queue = etcd.keys().lockQueue(name, true);
        return new SessionFairLock(this, name,
                () -> new EtcdQueueEntry(etcd, this, Primitive.FAIR_LOCK, queue, leaseId, ByteSequence.EMPTY));
    }

    @Override
    protected Election createElection(String name) {
        ByteSequence queue = etcd.keys().electionQueue(name);
        return new SessionElection(this, views.apply(name), value -> new EtcdCandidate(etcd, this, queue, leaseId, value));
    }
}
