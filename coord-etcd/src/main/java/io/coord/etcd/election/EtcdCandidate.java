package io.coord.etcd.election;

import io.coord.BackendUnavailableException;
import io.coord.Primitive;
import io.coord.etcd.EtcdConnection;
import io.coord.etcd.EtcdKeys;
import io.coord.etcd.lock.EtcdQueueEntry;
import io.coord.spi.Candidate;
import io.coord.spi.SessionBase;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;

/**
 * A candidacy in an etcd election: the queue recipe of {@link EtcdQueueEntry} (etcd's
 * {@code concurrency.Election.Campaign}), whose key's value is the announced value and whose create
 * revision is the term.
 *
 * <p>Fixes to etcd's Campaign, all inherited from the queue recipe or done here:
 * <ul>
 *   <li>after waiting, the candidate re-reads its own key and fails with session-expired if it is gone:
 *       it never "wins" on a dead lease (etcd #11007);</li>
 *   <li>a failed, timed-out or cancelled campaign removes its key before it reports (etcd #21128);</li>
 *   <li>{@link #proclaim} (and resign, through {@link #remove()}) is guarded by "my key still has my create
 *       revision", so a deposed leader can never overwrite or delete a newer leader's key.</li>
 * </ul>
 */
public final class EtcdCandidate extends EtcdQueueEntry implements Candidate {

    private final String value;

    public EtcdCandidate(EtcdConnection etcd, SessionBase session, ByteSequence queue, long leaseId, String value) {
        super(etcd, session, Primitive.ELECTION, queue, leaseId, EtcdKeys.bytes(value));
        this.value = value;
    }

    /** A retried enqueue found this session's key already there: make it announce this campaign's value. */
    @Override
    protected void adoptExisting(KeyValue existing) throws Exception {
        if (!EtcdKeys.text(existing.getValue()).equals(value) && !proclaim(value)) {
            throw new io.coord.SessionExpiredException(session.id(), io.coord.SessionState.EXPIRED);
        }
    }

    /** ONE transaction: put the new value only if my key still has my create revision (keeps the lease and the term). */
    @Override
    public boolean proclaim(String newValue) throws Exception {
        long rev = myRevision;
        if (rev == 0) {
            return false;
        }
        try {
            TxnResponse r = etcd.callIdempotent(Primitive.ELECTION, "proclaiming in " + EtcdKeys.text(queue), () ->
                    etcd.client().getKVClient().txn()
                            .If(new Cmp(myKey, Cmp.Op.EQUAL, CmpTarget.createRevision(rev)))
                            .Then(Op.put(myKey, EtcdKeys.bytes(newValue), PutOption.builder().withLeaseId(leaseId).build()))
                            .commit());
            return r.isSucceeded();
        } catch (BackendUnavailableException e) {
            if (EtcdConnection.isLeaseNotFound(e)) {
                return false; // the lease is gone, and with it my key
            }
            throw e;
        }
    }
}
