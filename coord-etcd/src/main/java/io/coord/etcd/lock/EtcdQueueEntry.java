package io.coord.etcd.lock;

import io.coord.BackendUnavailableException;
import io.coord.Primitive;
import io.coord.SessionExpiredException;
import io.coord.SessionState;
import io.coord.etcd.EtcdConnection;
import io.coord.etcd.EtcdKeys;
import io.coord.spi.Deadline;
import io.coord.spi.QueueEntry;
import io.coord.spi.SessionBase;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One session's place in an etcd queue: the recipe of etcd's {@code concurrency.Mutex}, used for fenced
 * locks, fair locks and (through {@link io.coord.etcd.election.EtcdCandidate}) elections.
 *
 * <h2>Algorithm</h2>
 * <ol>
 *   <li>{@link #enqueue()}: ONE transaction. If my key {@code <queue><lease>} does not exist
 *       ({@code createRevision == 0}), put it with my lease and, in the same transaction, read the two
 *       newest keys of the queue (reads in a transaction see its own put): I am first if no other key is
 *       older, else the newest other key is my predecessor. Otherwise (a retried request) read my key and
 *       the oldest key. My token is my key's create revision (the transaction's revision).</li>
 *   <li>{@link #awaitTurn}: while I have a predecessor, watch ONLY that key, starting at the revision of
 *       the read that found it ({@code +1}), so a delete that happened after the read is never missed; on
 *       its DELETE (or any watch error) re-read, in ONE transaction, my own key and the newest key older
 *       than mine. My key gone: my lease died, fail with {@link SessionExpiredException} (never win on a
 *       dead lease). No older key: my turn. Else watch the new predecessor.</li>
 *   <li>{@link #remove()}: ONE transaction deleting my key only if its create revision is still mine.</li>
 * </ol>
 *
 * <h2>Why it is safe</h2>
 * Keys are created in revision order and only ever deleted (release, abandon, lease expiry), so "no key
 * older than mine exists" is stable once true: at most one entry can be first, and it is first until its
 * key is deleted. Each new first entry has a larger create revision than every earlier one, so tokens
 * strictly increase. A waiter watches only its immediate predecessor, so a release wakes exactly one
 * waiter (fair, no herd). The plain fenced lock and the fair lock are the same algorithm on etcd (the
 * fair order costs nothing); they live under different prefixes.
 *
 * <h2>Threads</h2>
 * Methods run on a coord worker thread and block there (interruptibly); the only code running on jetcd's
 * event loop is the watch listener, which just completes a future.
 */
public class EtcdQueueEntry implements QueueEntry {

    protected final EtcdConnection etcd;
    protected final SessionBase session;
    protected final Primitive primitive;
    protected final ByteSequence queue;
    protected final ByteSequence myKey;
    protected final long leaseId;
    private final ByteSequence initialValue;

    /** The create revision of my key: 0 until known. Written by the worker thread, read by release from any thread. */
    protected volatile long myRevision;
    /** The enqueue transaction, kept so that {@link #remove()} can wait for an enqueue whose outcome is unknown. */
    private volatile CompletableFuture<TxnResponse> enqueueReply;
    /** My predecessor's key and the revision at which it was read; null key = none known. Worker thread only. */
    private ByteSequence predecessor;
    private long readRevision;
    private boolean mustCheck;

    public EtcdQueueEntry(EtcdConnection etcd, SessionBase session, Primitive primitive, ByteSequence queue, long leaseId,
                          ByteSequence value) {
        this.etcd = etcd;
        this.session = session;
        this.primitive = primitive;
        this.queue = queue;
        this.leaseId = leaseId;
        this.myKey = EtcdKeys.entry(queue, leaseId);
        this.initialValue = value;
    }

    /** The etcd key of this entry. */
    public final ByteSequence key() {
        return myKey;
    }

    /** The create revision of this entry's key (the fencing token), 0 before it is known. */
    public final long revision() {
        return myRevision;
    }

    @Override
    public void enqueue() throws Exception {
        GetOption newestTwo = queueRead(GetOption.SortOrder.DESCEND, 2, 0);
        GetOption oldest = queueRead(GetOption.SortOrder.ASCEND, 1, 0);
        TxnResponse r;
        try {
            r = etcd.callIdempotent(primitive, "enqueueing " + EtcdKeys.text(myKey), () -> {
                CompletableFuture<TxnResponse> reply = etcd.client().getKVClient().txn()
                        .If(new Cmp(myKey, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                        .Then(Op.put(myKey, initialValue, PutOption.builder().withLeaseId(leaseId).build()),
                                Op.get(queue, newestTwo))
                        .Else(Op.get(myKey, GetOption.DEFAULT), Op.get(queue, oldest))
                        .commit();
                enqueueReply = reply;
                return reply;
            });
        } catch (BackendUnavailableException e) {
            if (EtcdConnection.isLeaseNotFound(e)) {
                throw new SessionExpiredException(session.id(), SessionState.EXPIRED); // nothing was written
            }
            throw e;
        }
        readRevision = r.getHeader().getRevision();
        if (r.isSucceeded()) {
            myRevision = readRevision;
            predecessor = r.getGetResponses().get(0).getKvs().stream()
                    .map(KeyValue::getKey).filter(k -> !k.equals(myKey)).findFirst().orElse(null);
            return;
        }
        // My key already existed: an earlier attempt of this very entry was applied although its reply was lost.
        KeyValue mine = r.getGetResponses().get(0).getKvs().get(0);
        myRevision = mine.getCreateRevision();
        List<KeyValue> first = r.getGetResponses().get(1).getKvs();
        mustCheck = first.isEmpty() || first.get(0).getCreateRevision() != myRevision;
        adoptExisting(mine);
    }

    /** Hook for an entry that found its key already there (elections re-announce their value). */
    protected void adoptExisting(KeyValue existing) throws Exception {
    }

    @Override
    public long awaitTurn(Deadline deadline) throws Exception {
        // Bounded: each round either returns, throws, or waits for one predecessor to go; the deadline,
        // the session's end (interrupt) and a dead own key all end it.
        while (true) {
            if (mustCheck) {
                check();
            }
            if (predecessor == null) {
                return myRevision;
            }
            deadline.check("waiting for " + EtcdKeys.text(predecessor));
            Wake wake = awaitDelete(predecessor, readRevision, deadline);
            if (wake != Wake.TIMER) {
                etcd.stats().wakeup(primitive);
            }
            if (wake == Wake.WATCH_FAILED) {
                Thread.sleep(100); // a failing watch (member down, no leader) must not turn this loop into a spin
            }
            mustCheck = true;
        }
    }

    /** Why a wait for the predecessor ended. */
    private enum Wake { DELETED, WATCH_FAILED, TIMER }

    /** ONE transaction: my key (still mine?) and the newest key older than mine. */
    private void check() throws InterruptedException {
        GetOption newestOlder = queueRead(GetOption.SortOrder.DESCEND, 1, Math.max(1, myRevision - 1));
        TxnResponse r = etcd.callRepeatable(primitive, "re-reading " + EtcdKeys.text(queue), () -> etcd.client().getKVClient().txn()
                .Then(Op.get(myKey, GetOption.DEFAULT), Op.get(queue, newestOlder))
                .commit());
        List<KeyValue> mine = r.getGetResponses().get(0).getKvs();
        if (mine.isEmpty() || mine.get(0).getCreateRevision() != myRevision) {
            myRevision = 0;
            throw new SessionExpiredException(session.id(), SessionState.EXPIRED);
        }
        predecessor = r.getGetResponses().get(1).getKvs().stream()
                .map(KeyValue::getKey).filter(k -> !k.equals(myKey)).findFirst().orElse(null);
        readRevision = r.getHeader().getRevision();
        mustCheck = false;
    }

    /**
     * Waits until {@code key} is deleted at a revision after {@code afterRevision} (DELETED), the watch fails or
     * ends (WATCH_FAILED: jetcd's own resume is not trusted, the caller re-reads instead), or the re-check
     * interval passes (TIMER, a safety net against a silently dead watch stream; not counted as a wake-up).
     */
    private Wake awaitDelete(ByteSequence key, long afterRevision, Deadline deadline) throws Exception {
        CompletableFuture<Wake> woken = new CompletableFuture<>();
        WatchOption option = WatchOption.builder().withRevision(afterRevision + 1).withNoPut(true)
                .withRequireLeader(true).build();
        // Runs on jetcd's event loop: only completes the future, never blocks.
        Watch.Listener listener = Watch.listener(response -> {
            for (WatchEvent e : response.getEvents()) {
                if (e.getEventType() == WatchEvent.EventType.DELETE) {
                    woken.complete(Wake.DELETED);
                }
            }
        }, error -> woken.complete(Wake.WATCH_FAILED), () -> woken.complete(Wake.WATCH_FAILED));
        Watch.Watcher watcher = etcd.client().getWatchClient().watch(key, option, listener);
        try {
            long wait = Math.min(deadline.remainingNanos(), etcd.recheckInterval().toNanos());
            return woken.get(wait, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            deadline.check("waiting for " + EtcdKeys.text(key));
            return Wake.TIMER;
        } finally {
            watcher.close();
        }
    }

    /**
     * ONE transaction deleting my key if its create revision is still mine. If the enqueue's outcome is
     * unknown (interrupted, timed out), first waits for its reply (bounded by the request deadline); if it
     * is still unknown, reads my key to learn its create revision. Every delete is guarded by the create
     * revision, so a late duplicate of it can never delete a later incarnation of my key.
     * Residual risk, under faults only: an enqueue that timed out on the client may still be committed by etcd
     * after this removal (proposal stuck in raft, then applied); the key then lingers, on a live lease, until this
     * session ends or asks for the same lock again (its enqueue then finds and adopts the key).
     */
    @Override
    public void remove() {
        if (session.isCrashed()) {
            return; // a crashed process sends nothing; its lease's expiry removes the key
        }
        CompletableFuture<TxnResponse> pending = enqueueReply;
        if (myRevision == 0 && pending == null) {
            return; // never sent
        }
        if (myRevision == 0) {
            try {
                TxnResponse r = pending.get(etcd.requestTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
                myRevision = r.isSucceeded() ? r.getHeader().getRevision()
                        : r.getGetResponses().get(0).getKvs().get(0).getCreateRevision();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception unknown) {
                // outcome unknown: ask the server below
            }
        }
        long rev = myRevision;
        if (rev == 0) {
            List<KeyValue> mine = etcd.callRepeatableUninterruptibly(primitive, "reading " + EtcdKeys.text(myKey),
                    () -> etcd.client().getKVClient().get(myKey)).getKvs();
            if (mine.isEmpty()) {
                return;
            }
            rev = mine.get(0).getCreateRevision();
        }
        long guard = rev;
        etcd.callRepeatableUninterruptibly(primitive, "removing " + EtcdKeys.text(myKey), () -> etcd.client().getKVClient().txn()
                .If(new Cmp(myKey, Cmp.Op.EQUAL, CmpTarget.createRevision(guard)))
                .Then(Op.delete(myKey, DeleteOption.DEFAULT))
                .commit());
    }

    /** A read of the queue by create revision; {@code maxCreateRevision} 0 = no bound. */
    private static GetOption queueRead(GetOption.SortOrder order, int limit, long maxCreateRevision) {
        GetOption.Builder b = GetOption.builder().isPrefix(true).withSortField(GetOption.SortTarget.CREATE)
                .withSortOrder(order).withLimit(limit);
        if (maxCreateRevision > 0) {
            b.withMaxCreateRevision(maxCreateRevision);
        }
        return b.build();
    }

    @Override
    public String toString() {
        return EtcdKeys.text(myKey) + "@" + myRevision;
    }
}
