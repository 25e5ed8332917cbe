package io.coord.zookeeper;

import io.coord.BackendUnavailableException;
import io.coord.Primitive;
import io.coord.SessionExpiredException;
import io.coord.spi.Position;
import io.coord.spi.QueueEntry;
import io.coord.zookeeper.ZkConnection.Reply;
import io.coord.zookeeper.ZkConnection.Retry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.Stat;

/**
 * The one queue recipe of the ZooKeeper backend, used by plain locks, fair locks, elections, semaphores and
 * read-write locks (each in its own subtree, {@link ZkPaths}); the waiting loop over it is the SPI's.
 *
 * <h2>Algorithm</h2>
 * <ol>
 *   <li>{@link #enqueue}: one {@code create} of an EPHEMERAL_SEQUENTIAL node
 *       {@code <queue>/<owner>-<nonce>-<seq>} (plus one {@code create} of the queue's container the
 *       first time this coordinator uses the name, or after the server reaped it). The create's
 *       {@link Stat} carries the node's {@code czxid}: the token, read without another round trip.
 *       Then {@link #position}. If the create's reply was lost (connection loss, operation timeout),
 *       {@code sync} and list the queue, and adopt the child carrying our {@code <owner>-<nonce>-}
 *       prefix (unique to this entry) before creating again: the sync makes the member we now talk to
 *       (perhaps another one after a reconnect) catch up with the leader, so a create the leader
 *       executed is seen. A lost create that reaches the leader only after that sync leaves a
 *       <em>stray</em> node of ours: from then on every {@link #position} read deletes strays before
 *       deciding, and {@link #remove} deletes every node with our prefix.</li>
 *   <li>{@link #position}: {@code getChildren} of the queue, sorted by sequence: our node missing →
 *       gone (only the end of our ZooKeeper session removes it); else the nearest predecessors. The
 *       listing carries names only, so a predecessor's token is reported as 0 (reading each one's
 *       czxid would cost a round trip per entry, and no grant rule needs it).</li>
 *   <li>{@link #whenGone}: a {@code getData} watch on the blocker: {@code true} on NodeDeleted, or at
 *       once if the node is already gone (getData then leaves no watch behind, unlike exists);
 *       {@code false} on any other event (data change, disconnect, expiry). A wait that ends without
 *       its watch firing removes the watch.</li>
 *   <li>{@link #claimSlot} (a granted semaphore entry): one {@code create} of the EPHEMERAL node
 *       {@code <slots>/<i>} (data: our entry's name), first for slot 0; NODEEXISTS → {@code getChildren}
 *       of the slots and a create of the lowest free one. The node name is the guard (two entries can
 *       never both create slot i); its {@code czxid} is the permit's token. A create whose reply was
 *       lost is settled by a {@code sync} and a {@code getData} of that slot (ours if its data is our
 *       entry's name); a slot of ours created after that read is a stray that {@link #remove} deletes.</li>
 *   <li>{@link #remove}: {@code delete} of our node's path (version -1: the path is unique to this
 *       entry, so it can only ever delete ours; after a lost create reply, of every node with our
 *       prefix, listed after a sync); NONODE counts as done. With a claimed slot: one {@code multi}
 *       deleting the slot and the entry together.</li>
 * </ol>
 * One uncontended acquire + release: create, getChildren, delete = 3 round trips (4 on a name's first
 * use on a coordinator: the container create); a semaphore permit adds the slot create (and the slot
 * container's create on first use).
 *
 * <h2>Why it is safe</h2>
 * An entry is granted only when no entry with a smaller sequence exists; entries with a smaller
 * sequence were created earlier, so any read after our create (served by a member that has applied
 * it) sees them unless they were deleted — by release, or by the expiry of their session, which the
 * server decides no earlier than that session's own {@code validUntil}. A ZooKeeper watch set by a
 * read fires for every change after that read, so a departure after {@code seen} is never missed:
 * either getData finds the node gone, or the watch reports its deletion. Our handle never opens a
 * second ZooKeeper session ({@link ZkSession}): after an expiry every request fails with
 * {@code SESSIONEXPIRED}, so no entry is ever created for a dead coord session. Tokens: {@link ZkPaths}.
 * A slot node lives on the same ZooKeeper session as its entry, so the server deletes both in the one
 * transaction that ends the session: no slot outlives its permit's lease, and a dead session never
 * claims one (its create fails with SESSIONEXPIRED).
 *
 * <h2>Threads</h2>
 * Every method only sends (through {@link ZkConnection}) and returns a future; replies and watch
 * events arrive on the handle's event thread, where this class only records fields, completes
 * futures and sends the next request. The SPI never runs two methods of one entry at once; fields
 * are volatile for the hand-over between the threads that do.
 */
final class ZkQueueEntry implements QueueEntry {

    /** Creates of one enqueue (container reaped meanwhile, reply lost). */
    private static final int MAX_CREATES = 5;

    private record Node(String name, Stat stat) {
    }

    private final ZkSession session;
    private final ZkConnection connection;
    private final Primitive primitive;
    private final String queue;
    private final String prefix;
    /** The slot container of a semaphore entry ({@link ZkPaths#slots}); null for every other primitive. */
    private final String slots;
    private volatile byte[] data;

    /** Our node's name once known; null before the create's reply. */
    private volatile String nodeName;
    private volatile long czxid;
    private volatile int dataVersion;
    /** A create was sent (its outcome may be unknown). */
    private volatile boolean createSent;
    private volatile boolean removed;
    /** A create's reply was lost: a node of ours may exist that we did not adopt (a stray, removed when seen). */
    private volatile boolean ambiguous;
    /** The slot our claim won, -1 if none. */
    private volatile int claimedSlot = -1;
    /** Slots whose create's reply was lost and that we did not adopt: {@link #remove} deletes those naming our node. */
    private final Set<Integer> doubtfulSlots = ConcurrentHashMap.newKeySet();

    /**
     * @param queue the queue node ({@link ZkPaths#queue})
     * @param slots a semaphore's slot container ({@link ZkPaths#slots}), null for every other primitive
     * @param value the entry's data; for semaphores and read-write locks its tag, also carried in the node name
     */
    ZkQueueEntry(ZkSession session, Primitive primitive, String queue, String slots, String value) {
        this.session = session;
        this.connection = session.connection();
        this.primitive = primitive;
        this.queue = queue;
        this.slots = slots;
        this.prefix = ZkPaths.entryPrefix(session.zkSessionId(), tagged(primitive) ? value : "");
        this.data = value.getBytes(StandardCharsets.UTF_8);
    }

    /** Semaphore and read-write lock entries carry their tag in their names (so one listing reports every tag). */
    private static boolean tagged(Primitive primitive) {
        return primitive == Primitive.SEMAPHORE || primitive == Primitive.READ_WRITE_LOCK;
    }

    @Override
    public CompletableFuture<Position> enqueue(int lookahead) {
        return create(1).thenCompose(v -> position(lookahead));
    }

    @Override
    public CompletableFuture<Position> position(int lookahead) {
        return children().thenCompose(this::withoutStrays).thenApply(entries -> {
            int mine = nodeName == null ? -1 : entries.indexOf(nodeName);
            if (mine < 0) {
                return Position.gone(0);
            }
            List<Position.Ahead> ahead = new ArrayList<>(Math.min(mine, lookahead));
            for (int i = mine - 1; i >= 0 && ahead.size() < lookahead; i--) {
                ahead.add(new Position.Ahead(entries.get(i), 0, ZkPaths.tag(entries.get(i))));
            }
            return new Position(true, czxid, ahead, 0);
        });
    }

    @Override
    public CompletableFuture<Boolean> whenGone(Position seen, Position.Ahead blocker) {
        String path = queue + "/" + blocker.id();
        CompletableFuture<Boolean> gone = new CompletableFuture<>();
        AtomicBoolean fired = new AtomicBoolean();
        Watcher watcher = event -> {
            // event thread: complete only. A node event consumes the watch; a state event (type None) does not.
            boolean deleted = event.getType() == Watcher.Event.EventType.NodeDeleted;
            if (event.getType() != Watcher.Event.EventType.None) {
                fired.set(true);
            }
            gone.complete(deleted);
        };
        CompletableFuture<Reply<Stat>> watching = connection.call(primitive, "watching " + path, Retry.REPEATABLE,
                (zk, reply) -> zk.getData(path, watcher, (rc, p, ctx, bytes, stat) -> reply.accept(Code.get(rc), stat), null),
                Code.NONODE);
        watching.whenComplete((reply, error) -> {
            if (error != null) {
                gone.completeExceptionally(error);
            } else if (reply.code() == Code.NONODE) {
                fired.set(true); // getData on a missing node leaves no watch
                gone.complete(true);
            } // else: the watch is set; its event completes the future
        });
        gone.whenComplete((v, e) -> {
            watching.cancel(false); // no retry after the wait ended
            if (!fired.get()) {
                connection.removeWatch(primitive, path, watcher); // cancelled, disconnected or failed
            }
        });
        return gone;
    }

    @Override
    public CompletableFuture<Void> remove() {
        if (removed || (nodeName == null && !createSent)) {
            return CompletableFuture.completedFuture(null);
        }
        String adopted = nodeName;
        int slot = claimedSlot;
        CompletableFuture<Void> deleted;
        if (adopted != null && !ambiguous && slot >= 0) {
            deleted = deleteWithSlot(adopted, slot);
        } else {
            CompletableFuture<List<String>> ours = adopted != null && !ambiguous
                    ? CompletableFuture.completedFuture(List.of(adopted)) : ownNodes();
            // the slot first: while our entry stands, no one else is granted in our place, so no one waits for the slot
            CompletableFuture<Void> slotGone = slot >= 0 ? deleteSlot(slot) : CompletableFuture.completedFuture(null);
            deleted = slotGone.thenCompose(v -> ours).thenCompose(this::deleteAll);
        }
        return deleted.thenCompose(v -> doubtfulSlots.isEmpty() ? CompletableFuture.completedFuture(null) : sweepDoubtfulSlots())
                .handle((v, e) -> {
                    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                    if (cause != null && !(cause instanceof SessionExpiredException) && !session.state().isTerminal()) {
                        throw cause instanceof RuntimeException re ? re : new CompletionException(cause);
                    }
                    // done, or the session's end (closeSession, or its expiry on the server) removes the node
                    removed = true;
                    return null;
                });
    }

    /** Replaces the node's data, guarded by the version we last wrote: false if the node is gone or was changed by others. */
    @Override
    public CompletableFuture<Boolean> replaceValue(String value) {
        String name = nodeName;
        if (name == null || removed) {
            return CompletableFuture.completedFuture(false);
        }
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        int version = dataVersion;
        return connection.<Stat>call(primitive, "proclaiming in " + queue, Retry.ONCE,
                (zk, reply) -> zk.setData(queue + "/" + name, bytes, version, (rc, p, ctx, stat) -> reply.accept(Code.get(rc), stat), null),
                Code.NONODE, Code.BADVERSION).handle((reply, e) -> {
                    if (e != null) {
                        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                        if (cause instanceof SessionExpiredException) {
                            return false;
                        }
                        throw cause instanceof RuntimeException re ? re : new CompletionException(cause);
                    }
                    if (!reply.ok()) {
                        return false;
                    }
                    dataVersion = reply.value().getVersion();
                    data = bytes;
                    return true;
                });
    }

    @Override
    public CompletableFuture<Slot> claimSlot(int slotCount) {
        if (slots == null) {
            return QueueEntry.super.claimSlot(slotCount);
        }
        return claim(slotCount, 0, 0).exceptionally(e -> {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof SessionExpiredException) {
                return Slot.GONE; // the session, and with it our entry, is gone
            }
            throw cause instanceof RuntimeException re ? re : new CompletionException(cause);
        });
    }

    // ---- steps ------------------------------------------------------------------------------

    /** One create of slot {@code slot}; on NODEEXISTS the lowest free slot is listed and tried (bounded). */
    private CompletableFuture<Slot> claim(int slotCount, int slot, int attempt) {
        if (attempt > slotCount + MAX_CREATES) {
            return CompletableFuture.failedFuture(new BackendUnavailableException(
                    "no free slot of " + slotCount + " in " + slots + " after " + attempt + " creates", null));
        }
        String path = slots + "/" + slot;
        byte[] mine = nodeName.getBytes(StandardCharsets.UTF_8);
        return session.containers().ensure(connection, primitive, slots).thenCompose(v ->
                connection.<Stat>call(primitive, "claiming " + path, Retry.ONCE,
                        (zk, reply) -> zk.create(path, mine, connection.aclFor(path), CreateMode.EPHEMERAL,
                                (rc, p, ctx, name, stat) -> reply.accept(Code.get(rc), stat), null),
                        Code.NODEEXISTS, Code.NONODE, Code.CONNECTIONLOSS, Code.OPERATIONTIMEOUT)
        ).thenCompose(reply -> switch (reply.code()) {
            case OK -> CompletableFuture.completedFuture(claimed(slot, reply.value()));
            case NONODE -> {
                session.containers().forget(slots); // reaped meanwhile: create it again
                yield claim(slotCount, slot, attempt + 1);
            }
            case NODEEXISTS -> lowestFree(slotCount).thenCompose(free -> claim(slotCount, free, attempt + 1));
            default -> settle(path, mine).thenCompose(stat -> { // the create may have been executed
                if (stat != null) {
                    return CompletableFuture.completedFuture(claimed(slot, stat));
                }
                doubtfulSlots.add(slot);
                return lowestFree(slotCount).thenCompose(free -> claim(slotCount, free, attempt + 1));
            });
        });
    }

    private Slot claimed(int slot, Stat stat) {
        claimedSlot = slot;
        doubtfulSlots.remove(slot);
        return new Slot(slot, stat.getCzxid());
    }

    /** The lowest slot number no node occupies (slotCount if all do: the next create then answers NODEEXISTS again). */
    private CompletableFuture<Integer> lowestFree(int slotCount) {
        return connection.<List<String>>call(primitive, "listing " + slots, Retry.REPEATABLE,
                (zk, reply) -> zk.getChildren(slots, false, (rc, p, ctx, children) -> reply.accept(Code.get(rc), children), null),
                Code.NONODE).thenApply(reply -> {
                    Set<String> taken = reply.ok() ? new HashSet<>(reply.value()) : Set.of();
                    int free = 0;
                    while (free < slotCount - 1 && taken.contains(Integer.toString(free))) {
                        free++;
                    }
                    return free;
                });
    }

    /** After a lost create reply: sync, then read the slot; its stat if it is ours (its data is our entry's name), else null. */
    private CompletableFuture<Stat> settle(String path, byte[] mine) {
        return connection.<Void>call(primitive, "syncing " + slots, Retry.REPEATABLE,
                (zk, reply) -> zk.sync(slots, (rc, p, ctx) -> reply.accept(Code.get(rc), null), null),
                Code.NONODE).thenCompose(synced -> readSlot(path)).thenApply(node ->
                        node != null && Arrays.equals(node.data(), mine) ? node.stat() : null);
    }

    private record SlotNode(byte[] data, Stat stat) {
    }

    private CompletableFuture<SlotNode> readSlot(String path) {
        return connection.<SlotNode>call(primitive, "reading " + path, Retry.REPEATABLE,
                (zk, reply) -> zk.getData(path, false, (rc, p, ctx, bytes, stat) -> reply.accept(Code.get(rc), new SlotNode(bytes, stat)), null),
                Code.NONODE).thenApply(reply -> reply.ok() ? reply.value() : null);
    }

    /**
     * One multi: our slot and our entry deleted together. While our entry exists slot {@code slot} is ours (only our
     * release deletes it), so the multi can only delete our own nodes. If it answers NONODE (a retry after a lost
     * reply, whose first try was applied), the slot may already be another permit's: it is deleted only if its data
     * still names our entry ({@link #deleteSlot}), then the entry.
     */
    private CompletableFuture<Void> deleteWithSlot(String entry, int slot) {
        List<Op> ops = List.of(Op.delete(slots + "/" + slot, -1), Op.delete(queue + "/" + entry, -1));
        return connection.<Void>call(primitive, "removing " + queue + "/" + entry + " and its slot " + slot, Retry.REPEATABLE,
                (zk, reply) -> zk.multi(ops, (rc, p, ctx, results) -> reply.accept(Code.get(rc), null), null),
                Code.NONODE).thenCompose(reply -> {
                    if (reply.ok()) {
                        claimedSlot = -1;
                        return CompletableFuture.completedFuture(null);
                    }
                    return deleteSlot(slot).thenCompose(v -> delete(entry));
                });
    }

    /**
     * Deletes slot {@code slot} if it is still ours: read, then delete guarded by the version read, only if its data
     * names our entry (a slot's path is reused by the next permit that claims the number, its data is not).
     */
    private CompletableFuture<Void> deleteSlot(int slot) {
        byte[] mine = nodeName.getBytes(StandardCharsets.UTF_8);
        String path = slots + "/" + slot;
        return readSlot(path).thenCompose(node -> {
            if (node == null || !Arrays.equals(node.data(), mine)) {
                return CompletableFuture.completedFuture(null);
            }
            return connection.<Void>call(primitive, "removing " + path, Retry.REPEATABLE,
                    (zk, reply) -> zk.delete(path, node.stat().getVersion(), (rc, p, ctx) -> reply.accept(Code.get(rc), null), null),
                    Code.NONODE, Code.BADVERSION).thenApply(reply -> (Void) null);
        }).thenRun(() -> claimedSlot = -1);
    }

    /** Deletes each doubtful slot whose data names our entry, guarded by the version read (never another's claim). */
    private CompletableFuture<Void> sweepDoubtfulSlots() {
        byte[] mine = (nodeName == null ? "" : nodeName).getBytes(StandardCharsets.UTF_8);
        CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
        for (int slot : Set.copyOf(doubtfulSlots)) {
            String path = slots + "/" + slot;
            all = all.thenCompose(v -> readSlot(path)).thenCompose(node -> {
                if (node == null || !Arrays.equals(node.data(), mine)) {
                    doubtfulSlots.remove(slot);
                    return CompletableFuture.completedFuture(null);
                }
                return connection.<Void>call(primitive, "removing " + path, Retry.REPEATABLE,
                        (zk, reply) -> zk.delete(path, node.stat().getVersion(), (rc, p, ctx) -> reply.accept(Code.get(rc), null), null),
                        Code.NONODE, Code.BADVERSION).thenAccept(reply -> doubtfulSlots.remove(slot));
            });
        }
        return all;
    }

    private CompletableFuture<Void> create(int attempt) {
        if (attempt > MAX_CREATES) {
            return CompletableFuture.failedFuture(new BackendUnavailableException(
                    "could not enqueue in " + queue + " after " + MAX_CREATES + " creates", null));
        }
        return session.containers().ensure(connection, primitive, queue).thenCompose(v -> {
            createSent = true;
            return connection.<Node>call(primitive, "enqueueing in " + queue, Retry.ONCE,
                    (zk, reply) -> zk.create(queue + "/" + prefix, data, connection.aclFor(queue), CreateMode.EPHEMERAL_SEQUENTIAL,
                            (rc, p, ctx, name, stat) -> reply.accept(Code.get(rc), new Node(name, stat)), null),
                    Code.NONODE, Code.CONNECTIONLOSS, Code.OPERATIONTIMEOUT);
        }).thenCompose(reply -> {
            if (reply.ok()) {
                adopt(ZkPaths.lastSegment(reply.value().name()), reply.value().stat());
                return CompletableFuture.completedFuture(null);
            }
            if (reply.code() == Code.NONODE) {
                session.containers().forget(queue); // the container was reaped meanwhile: create it again
                return create(attempt + 1);
            }
            ambiguous = true; // CONNECTIONLOSS or OPERATIONTIMEOUT: the create may still be executed
            return findOwn().thenCompose(found -> found ? CompletableFuture.completedFuture(null) : create(attempt + 1));
        });
    }

    /** The queue's entries in queue order (empty if the container does not exist). */
    private CompletableFuture<List<String>> children() {
        return connection.<List<String>>call(primitive, "listing " + queue, Retry.REPEATABLE,
                (zk, reply) -> zk.getChildren(queue, false, (rc, p, ctx, children) -> reply.accept(Code.get(rc), children), null),
                Code.NONODE).thenApply(reply -> {
                    if (!reply.ok()) {
                        return List.of();
                    }
                    List<String> entries = new ArrayList<>(reply.value().size());
                    for (String c : reply.value()) {
                        if (ZkPaths.isEntry(c)) {
                            entries.add(c);
                        }
                    }
                    entries.sort(ZkPaths.QUEUE_ORDER);
                    return entries;
                });
    }

    /** After a create with unknown outcome: adopt our node if it exists (the first in queue order). */
    private CompletableFuture<Boolean> findOwn() {
        return ownNodes().thenCompose(names -> {
            if (names.isEmpty()) {
                return CompletableFuture.completedFuture(false);
            }
            String name = names.get(0);
            return connection.<Stat>call(primitive, "reading " + queue + "/" + name, Retry.REPEATABLE,
                    (zk, reply) -> zk.exists(queue + "/" + name, false, (rc, p, ctx, stat) -> reply.accept(Code.get(rc), stat), null),
                    Code.NONODE).thenApply(reply -> {
                        if (!reply.ok() || reply.value() == null) {
                            return false;
                        }
                        adopt(name, reply.value());
                        return true;
                    });
        });
    }

    /**
     * Every node carrying this entry's prefix, in queue order, read after a {@code sync}: the member we are
     * connected to may be behind the leader, which executed a create whose reply we lost (after a reconnect
     * to another member, a plain read could miss it, and we would create a second node).
     */
    private CompletableFuture<List<String>> ownNodes() {
        return connection.<Void>call(primitive, "syncing " + queue, Retry.REPEATABLE,
                (zk, reply) -> zk.sync(queue, (rc, p, ctx) -> reply.accept(Code.get(rc), null), null),
                Code.NONODE).thenCompose(synced -> children()).thenApply(entries -> {
                    List<String> ours = new ArrayList<>();
                    for (String c : entries) {
                        if (c.startsWith(prefix)) {
                            ours.add(c);
                        }
                    }
                    return ours;
                });
    }

    /**
     * After an ambiguous create, a node of ours other than the adopted one is a stray: it is deleted before
     * the position is decided, and left out of it. Until then it stood in the queue on our session's lease,
     * so it blocked others exactly as our adopted node does; deleting it only lets them through sooner.
     */
    private CompletableFuture<List<String>> withoutStrays(List<String> entries) {
        if (!ambiguous) {
            return CompletableFuture.completedFuture(entries);
        }
        String adopted = nodeName;
        List<String> strays = new ArrayList<>();
        List<String> kept = new ArrayList<>(entries.size());
        for (String c : entries) {
            (c.startsWith(prefix) && !c.equals(adopted) ? strays : kept).add(c);
        }
        return strays.isEmpty() ? CompletableFuture.completedFuture(entries) : deleteAll(strays).thenApply(v -> kept);
    }

    private CompletableFuture<Void> deleteAll(List<String> names) {
        return CompletableFuture.allOf(names.stream().map(this::delete).toArray(CompletableFuture[]::new));
    }

    private CompletableFuture<Void> delete(String name) {
        return connection.<Void>call(primitive, "removing " + queue + "/" + name, Retry.REPEATABLE,
                (zk, reply) -> zk.delete(queue + "/" + name, -1, (rc, p, ctx) -> reply.accept(Code.get(rc), null), null),
                Code.NONODE).thenApply(reply -> null);
    }

    private void adopt(String name, Stat stat) {
        czxid = stat.getCzxid();
        dataVersion = stat.getVersion();
        nodeName = name;
    }

    @Override
    public String toString() {
        return "entry " + (nodeName == null ? prefix + "?" : nodeName) + " of " + queue;
    }
}
