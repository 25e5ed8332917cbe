package io.coord.etcd;

import io.coord.BackendUnavailableException;
import io.coord.Primitive;
import io.coord.spi.Position;
import io.coord.spi.QueueEntry;
import io.coord.spi.SessionBase;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * One session's place in an etcd queue — locks, fair locks and elections alike: the recipe of etcd's
 * {@code concurrency.Mutex} and {@code Election}, with their known defects fixed.
 *
 * <h2>Algorithm</h2>
 * <ol>
 *   <li>{@link #enqueue}: ONE transaction. If my key {@code <queue><lease hex>} does not exist
 *       ({@code createRevision == 0}), put it with my lease and value and, in the same transaction, read the
 *       newest {@code lookahead + 1} keys of the queue by create revision (a transaction's reads see its own
 *       put): the others are ahead of me, nearest first. Otherwise (a retried request whose first attempt was
 *       applied) read my key, re-announce my value if it differs (elections), and read my position.
 *       My token is my key's create revision.</li>
 *   <li>{@link #position}: ONE transaction reading my key (still mine?) and the newest {@code lookahead}
 *       keys created before it.</li>
 *   <li>{@link #whenGone}: the coordinator's one {@link EtcdDeleteWatch} reports the DELETE of the key ahead
 *       after the revision of the read that found it.</li>
 *   <li>{@link #remove}: ONE transaction deleting my key only if its create revision is still mine.</li>
 * </ol>
 *
 * <h2>Why it is safe</h2>
 * Keys are created in revision order and only ever deleted (release, abandon, lease expiry), so "no key
 * older than mine exists" is stable once true: at most one entry is first, until its key is deleted. Each
 * new first entry has a larger create revision than every earlier one, so tokens strictly increase. A
 * waiter waits for its immediate predecessor only, so a release wakes exactly one waiter. A read that no
 * longer finds my key with my create revision means my lease died: the engine then fails, never grants
 * (etcd's Campaign could win on a dead lease, etcd #11007); a failed or abandoned attempt removes its key
 * (etcd #21128); proclaim and remove are guarded by my create revision, so a deposed holder can never
 * touch a newer incarnation of its key.
 *
 * <h2>Threads</h2>
 * Every method sends its transaction and returns; replies complete on jetcd's threads and are only mapped
 * there. {@code myRevision} is written when a reply is mapped and read by release from any thread.
 */
final class EtcdQueueEntry implements QueueEntry {

    private final EtcdConnection etcd;
    private final EtcdDeleteWatch deletes;
    private final SessionBase session;
    private final Primitive primitive;
    private final ByteSequence queue;
    private final ByteSequence myKey;
    private final long leaseId;
    private final String value;
    /** The slot prefix of a semaphore ({@code coord/<ns>/slot/<name>/}); null for every other primitive. */
    private final ByteSequence slots;

    /** The slot my claim won, -1 if none. */
    private volatile int claimedSlot = -1;
    /** True while a claim was sent whose outcome is not known: remove then sweeps the slot prefix for my keys. */
    private volatile boolean claimInDoubt;

    /** The create revision of my key (the fencing token): 0 until known. */
    private volatile long myRevision;
    /** The enqueue's reply, kept so that {@link #remove()} can learn the outcome of an enqueue in doubt. */
    private volatile CompletableFuture<TxnResponse> enqueued;

    EtcdQueueEntry(EtcdConnection etcd, EtcdDeleteWatch deletes, SessionBase session, Primitive primitive, ByteSequence queue,
                   ByteSequence slots, long leaseId, String value) {
        this.slots = slots;
        this.etcd = etcd;
        this.deletes = deletes;
        this.session = session;
        this.primitive = primitive;
        this.queue = queue;
        this.leaseId = leaseId;
        this.myKey = EtcdKeys.entry(queue, leaseId);
        this.value = value;
    }

    @Override
    public CompletableFuture<Position> enqueue(int lookahead) {
        GetOption newest = queueRead(lookahead == Integer.MAX_VALUE ? 0 : lookahead + 1, 0);
        CompletableFuture<TxnResponse> reply = etcd.send(primitive, "enqueueing " + EtcdKeys.text(myKey), EtcdConnection.Retry.IDEMPOTENT,
                () -> etcd.client().getKVClient().txn()
                        .If(new Cmp(myKey, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                        .Then(Op.put(myKey, EtcdKeys.bytes(value), PutOption.builder().withLeaseId(leaseId).build()),
                                Op.get(queue, newest))
                        .Else(Op.get(myKey, GetOption.DEFAULT))
                        .commit());
        enqueued = reply;
        return reply.handle((r, error) -> {
            if (error != null) {
                if (EtcdConnection.isLeaseNotFound(error)) {
                    return CompletableFuture.completedFuture(Position.gone(0)); // my lease is gone: nothing was written
                }
                return CompletableFuture.<Position>failedFuture(error);
            }
            long revision = r.getHeader().getRevision();
            if (r.isSucceeded()) {
                myRevision = revision;
                return CompletableFuture.completedFuture(position(revision, revision, true, r.getGetResponses().get(0).getKvs(), lookahead));
            }
            // My key already existed: an earlier attempt of this very entry was applied although its reply was lost.
            KeyValue mine = r.getGetResponses().get(0).getKvs().get(0);
            myRevision = mine.getCreateRevision();
            CompletableFuture<Boolean> announced = EtcdKeys.text(mine.getValue()).equals(value)
                    ? CompletableFuture.completedFuture(true) : replaceValue(value);
            return announced.thenCompose(ok -> ok ? position(lookahead) : CompletableFuture.completedFuture(Position.gone(revision)));
        }).thenCompose(p -> p);
    }

    @Override
    public CompletableFuture<Position> position(int lookahead) {
        long rev = myRevision;
        GetOption older = queueRead(lookahead == Integer.MAX_VALUE ? 0 : lookahead, Math.max(1, rev - 1));
        return etcd.send(primitive, "re-reading " + EtcdKeys.text(queue), EtcdConnection.Retry.REPEATABLE,
                () -> etcd.client().getKVClient().txn().Then(Op.get(myKey, GetOption.DEFAULT), Op.get(queue, older)).commit())
                .thenApply(r -> {
                    List<KeyValue> mine = r.getGetResponses().get(0).getKvs();
                    boolean present = !mine.isEmpty() && mine.get(0).getCreateRevision() == rev;
                    return position(rev, r.getHeader().getRevision(), present, r.getGetResponses().get(1).getKvs(), lookahead);
                });
    }

    private Position position(long token, long readRevision, boolean present, List<KeyValue> newestFirst, int lookahead) {
        if (!present) {
            return Position.gone(readRevision);
        }
        List<Position.Ahead> ahead = newestFirst.stream()
                .filter(kv -> !kv.getKey().equals(myKey) && kv.getCreateRevision() < token)
                .limit(lookahead)
                .map(kv -> tagged() ? new Position.Ahead(EtcdKeys.text(kv.getKey()), kv.getCreateRevision(), EtcdKeys.text(kv.getValue()))
                        : new Position.Ahead(EtcdKeys.text(kv.getKey()), kv.getCreateRevision()))
                .toList();
        return new Position(true, token, ahead, readRevision);
    }

    /** Semaphore and read-write lock entries report each entry's tag (its value). */
    private boolean tagged() {
        return primitive == Primitive.SEMAPHORE || primitive == Primitive.READ_WRITE_LOCK;
    }

    /**
     * ONE transaction per try: if my key still has my create revision and slot {@code i} does not exist, put
     * slot {@code i} (value: {@code <lease hex>@<my key's create revision>}, unique to this acquisition, on my
     * lease); else read my key and the slot prefix, then retry with the lowest free slot (bounded). A retried try
     * whose first attempt was applied finds exactly my value in a slot and adopts it (its create revision is that
     * attempt's revision). A slot carrying my lease hex with another revision is a leftover of an earlier
     * acquisition of this session whose removal failed: it is deleted (guarded by its mod revision), never adopted,
     * since its token is older than permits granted since. The token is the claiming transaction's revision, so it
     * exceeds every earlier claim's and queue token.
     */
    @Override
    public CompletableFuture<Slot> claimSlot(int slotCount) {
        return claim(slotCount, 0, 0);
    }

    private CompletableFuture<Slot> claim(int slotCount, int slot, int attempt) {
        long rev = myRevision;
        ByteSequence slotKey = slotKey(slot);
        String mine = slotValue(rev);
        String ours = EtcdKeys.leaseHex(leaseId) + "@";
        claimInDoubt = true;
        return etcd.send(primitive, "claiming " + EtcdKeys.text(slotKey), EtcdConnection.Retry.IDEMPOTENT,
                () -> etcd.client().getKVClient().txn()
                        .If(new Cmp(myKey, Cmp.Op.EQUAL, CmpTarget.createRevision(rev)),
                                new Cmp(slotKey, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                        .Then(Op.put(slotKey, EtcdKeys.bytes(mine), PutOption.builder().withLeaseId(leaseId).build()))
                        .Else(Op.get(myKey, GetOption.DEFAULT), Op.get(slots, GetOption.builder().isPrefix(true).build()))
                        .commit())
                .handle((r, error) -> {
                    if (error != null) {
                        if (EtcdConnection.isLeaseNotFound(error)) {
                            claimInDoubt = false;
                            return CompletableFuture.completedFuture(Slot.GONE);
                        }
                        return CompletableFuture.<Slot>failedFuture(error);
                    }
                    if (r.isSucceeded()) {
                        claimedSlot = slot;
                        claimInDoubt = false;
                        return CompletableFuture.completedFuture(new Slot(slot, r.getHeader().getRevision()));
                    }
                    List<KeyValue> me = r.getGetResponses().get(0).getKvs();
                    if (me.isEmpty() || me.get(0).getCreateRevision() != rev) {
                        claimInDoubt = false;
                        return CompletableFuture.completedFuture(Slot.GONE);
                    }
                    Set<Integer> taken = new HashSet<>();
                    List<KeyValue> leftovers = new ArrayList<>();
                    for (KeyValue kv : r.getGetResponses().get(1).getKvs()) {
                        int n = slotNumber(kv.getKey());
                        if (EtcdKeys.text(kv.getValue()).equals(mine)) {
                            claimedSlot = n; // an earlier try of this claim was applied although its reply was lost
                            claimInDoubt = false;
                            return CompletableFuture.completedFuture(new Slot(n, kv.getCreateRevision()));
                        }
                        if (EtcdKeys.text(kv.getValue()).startsWith(ours)) {
                            leftovers.add(kv); // an earlier acquisition's slot: deleted below, then tried again
                        }
                        taken.add(n);
                    }
                    if (!leftovers.isEmpty() && attempt < slotCount + 16) {
                        return deleteGuarded(leftovers).thenCompose(v -> claim(slotCount, slotNumber(leftovers.get(0).getKey()), attempt + 1));
                    }
                    int free = 0;
                    while (free < slotCount && taken.contains(free)) {
                        free++;
                    }
                    if (free == slotCount || attempt >= slotCount + 16) {
                        return CompletableFuture.<Slot>failedFuture(new BackendUnavailableException(
                                "no free slot of " + slotCount + " in " + EtcdKeys.text(slots) + " after " + (attempt + 1) + " tries", null));
                    }
                    return claim(slotCount, free, attempt + 1);
                }).thenCompose(f -> f);
    }

    /** A slot's value: my lease hex and my key's create revision, unique to this acquisition. */
    private String slotValue(long rev) {
        return EtcdKeys.leaseHex(leaseId) + "@" + rev;
    }

    /** Deletes each of {@code kvs}, each guarded by the mod revision read (so a slot someone else claimed since is never touched). */
    private CompletableFuture<Void> deleteGuarded(List<KeyValue> kvs) {
        CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
        for (KeyValue kv : kvs) {
            all = all.thenCompose(v -> etcd.send(primitive, "removing " + EtcdKeys.text(kv.getKey()), EtcdConnection.Retry.REPEATABLE,
                    () -> etcd.client().getKVClient().txn()
                            .If(new Cmp(kv.getKey(), Cmp.Op.EQUAL, CmpTarget.modRevision(kv.getModRevision())))
                            .Then(Op.delete(kv.getKey(), DeleteOption.DEFAULT))
                            .commit()).thenApply(x -> (Void) null));
        }
        return all;
    }

    private ByteSequence slotKey(int slot) {
        return slots.concat(EtcdKeys.bytes(Integer.toString(slot)));
    }

    private static int slotNumber(ByteSequence slotKey) {
        return Integer.parseInt(EtcdKeys.sessionIdOf(slotKey));
    }

    @Override
    public CompletableFuture<Boolean> whenGone(Position seen, Position.Ahead blocker) {
        return deletes.whenGone(EtcdKeys.bytes(blocker.id()), seen.revision());
    }

    /**
     * ONE transaction deleting my key if its create revision is still mine. If the enqueue's outcome is not
     * known yet, first waits for its reply (bounded by its retry budget); if it failed in doubt, reads my key
     * to learn its create revision. Every delete is guarded by the create revision, so a late duplicate can
     * never delete a later incarnation of my key. Residual risk, under faults only: an enqueue that timed out
     * on the client may still be committed after this removal; the key then lingers, on a live lease, until
     * this session ends or asks for the same name again (its enqueue then finds and adopts the key).
     */
    @Override
    public CompletableFuture<Void> remove() {
        CompletableFuture<TxnResponse> pending = enqueued;
        if (myRevision == 0 && pending == null) {
            return CompletableFuture.completedFuture(null); // never sent
        }
        CompletableFuture<Long> revision = myRevision != 0 ? CompletableFuture.completedFuture(myRevision)
                : pending.handle((r, e) -> e == null ? (r.isSucceeded() ? r.getHeader().getRevision()
                        : r.getGetResponses().get(0).getKvs().get(0).getCreateRevision()) : 0L)
                .thenCompose(rev -> rev != 0 ? CompletableFuture.completedFuture(rev)
                        : etcd.send(primitive, "reading " + EtcdKeys.text(myKey), EtcdConnection.Retry.REPEATABLE,
                                () -> etcd.client().getKVClient().get(myKey))
                        .thenApply(r -> r.getKvs().isEmpty() ? 0L : r.getKvs().get(0).getCreateRevision()));
        return revision.thenCompose(rev -> {
            if (rev == 0) {
                return CompletableFuture.completedFuture(null);
            }
            int slot = claimedSlot;
            Op[] deletions = slot < 0 ? new Op[] {Op.delete(myKey, DeleteOption.DEFAULT)}
                    : new Op[] {Op.delete(myKey, DeleteOption.DEFAULT), Op.delete(slotKey(slot), DeleteOption.DEFAULT)};
            return etcd.send(primitive, "removing " + EtcdKeys.text(myKey), EtcdConnection.Retry.REPEATABLE,
                    () -> etcd.client().getKVClient().txn()
                            .If(new Cmp(myKey, Cmp.Op.EQUAL, CmpTarget.createRevision(rev)))
                            .Then(deletions)
                            .commit()).thenApply(r -> (Void) null);
        }).thenCompose(v -> claimInDoubt ? sweepMySlots() : CompletableFuture.completedFuture(null));
    }

    /**
     * After a claim whose outcome is unknown: reads the slot prefix and deletes each slot whose value carries my
     * lease hex (any acquisition of this session: after this removal it holds no permit of the name), guarded by
     * its mod revision (so a slot that someone else claimed since is never touched).
     */
    private CompletableFuture<Void> sweepMySlots() {
        String ours = EtcdKeys.leaseHex(leaseId) + "@";
        return etcd.send(primitive, "sweeping " + EtcdKeys.text(slots), EtcdConnection.Retry.REPEATABLE,
                        () -> etcd.client().getKVClient().get(slots, GetOption.builder().isPrefix(true).build()))
                .thenCompose(r -> deleteGuarded(r.getKvs().stream().filter(kv -> EtcdKeys.text(kv.getValue()).startsWith(ours)).toList()))
                .thenRun(() -> claimInDoubt = false);
    }

    /** ONE transaction: put the new value only if my key still has my create revision (keeps the lease and the token). */
    @Override
    public CompletableFuture<Boolean> replaceValue(String newValue) {
        long rev = myRevision;
        if (rev == 0) {
            return CompletableFuture.completedFuture(false);
        }
        return etcd.send(primitive, "proclaiming in " + EtcdKeys.text(queue), EtcdConnection.Retry.IDEMPOTENT,
                () -> etcd.client().getKVClient().txn()
                        .If(new Cmp(myKey, Cmp.Op.EQUAL, CmpTarget.createRevision(rev)))
                        .Then(Op.put(myKey, EtcdKeys.bytes(newValue), PutOption.builder().withLeaseId(leaseId).build()))
                        .commit())
                .handle((r, e) -> {
                    if (e == null) {
                        return r.isSucceeded();
                    }
                    if (EtcdConnection.isLeaseNotFound(e)) {
                        return false; // the lease is gone, and with it my key
                    }
                    throw e instanceof RuntimeException re ? re : new java.util.concurrent.CompletionException(e);
                });
    }

    /** The newest {@code limit} keys of the queue by create revision; {@code maxCreateRevision} 0 = no bound. */
    private GetOption queueRead(int limit, long maxCreateRevision) {
        GetOption.Builder b = GetOption.builder().isPrefix(true).withSortField(GetOption.SortTarget.CREATE)
                .withSortOrder(GetOption.SortOrder.DESCEND).withLimit(limit);
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
