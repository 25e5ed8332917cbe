package io.coord.redis;

import io.coord.Primitive;
import io.coord.spi.Position;
import io.coord.spi.QueueEntry;
import io.lettuce.core.ScriptOutputType;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One session's entry in the queue of a Redis lock, fair lock, election, semaphore or read-write lock (one
 * machinery for all five; an election entry's value lives in the queue's {@code :v} hash and
 * {@link #replaceValue(String)} is proclaim; a semaphore's slot claims live in its {@code :v} hash).
 *
 * <h2>Algorithm</h2>
 * <ol>
 *   <li>{@link #enqueue(int)}: one {@code enqueue.lua}: ticket = the per-name counter's clock-floored
 *       increment (see {@link RedisKeys}), {@code ZADD} the member, and in the same answer whether
 *       it is present, its ticket (the token) and the nearest {@code lookahead} entries ahead —
 *       <b>one round trip for an uncontended acquisition</b> (release: one {@code remove.lua}).
 *       {@link #position(int)} is the same script in "check" mode (never adds).</li>
 *   <li>A read that finds a predecessor also sends one {@code PTTL} of its session key. Gone (-2):
 *       that session is dead for good; its entry is removed (guarded by its exact member) and the
 *       position read again, so a crashed holder is evicted even by {@code tryAcquire(0)}.</li>
 *   <li>{@link #whenGone}: no request. The wait is registered; it completes {@code true} when this
 *       coordinator's inbox says this member became the head (the releasing script publishes it to
 *       the new head's coordinator only: one wake-up per release), or {@code false} when a
 *       safety-net timer on the coordinator's scheduler fires after the blocker's lease (its PTTL)
 *       could have run out; the re-read after that asks the blocker's coordinator whether it still
 *       owns it (an orphan whose release was lost is removed by its owner, see {@link OrphanReclaimer}).</li>
 *   <li>{@link #remove()}: one {@code remove.lua}; idempotent; safe whatever the enqueue's outcome.</li>
 * </ol>
 *
 * <h2>Semaphores and read-write locks</h2>
 * Their members carry the tag ({@link RedisKeys#tagged}), so every read reports each entry ahead with
 * its tag. {@code remove.lua} tells exactly the entries a departure grants (not the new head), so
 * the message means "your wait is over": it completes every pending per-entry wait {@code true}, and
 * the engine re-reads and finds the grant. A read that finds entries ahead sends one {@code PTTL} per
 * distinct session among them (in parallel), so a dead holder anywhere ahead is evicted. A granted
 * semaphore entry claims its slot with one {@code claim.lua} ({@link #claimSlot}); the release's
 * {@code remove.lua} deletes the claim with the entry. One uncontended permit: enqueue, claim, remove =
 * 3 round trips.
 *
 * <h2>Why it is safe</h2>
 * Nothing is ever inserted ahead of an entry (tickets only grow), so once this member is the head
 * it stays the head until removed: the inbox message "you are the head" can never be stale. The
 * member is registered in the inbox before its enqueue is sent, and a message that arrives while no
 * wait is pending is remembered ({@code notified}), so a message sent between a read and the
 * registration of the wait that follows it is never lost. Pub/sub is at-most-once: a lost message
 * costs one safety-net period, never a hang; a resubscription completes pending waits {@code false}.
 *
 * <h2>Threads</h2>
 * No method blocks. Replies and inbox messages arrive on lettuce's event loop, timers on the
 * coordinator's scheduler; both only complete futures under this object's monitor (held briefly,
 * never across a call).
 */
final class RedisQueueEntry implements QueueEntry, RedisCoordinator.Waiter {

    /** Extra wait after a predecessor's lease would have run out, before re-checking it. */
    private static final long MARGIN_MS = 20;
    /** Evictions of dead predecessors within one read before it reports what it found anyway. */
    private static final int MAX_EVICTIONS = 1000;

    private final RedisSession session;
    private final RedisCoordinator redis;
    private final RedisKeys.Queue queue;
    private final Primitive primitive;
    private final String name;
    private final String member;
    private final String value;

    /** The pending waits (guarded by this): at most one for a lock's head; one per entry waited for otherwise. */
    private final List<CompletableFuture<Boolean>> pending = new ArrayList<>();
    /** Semaphore and read-write lock entries: tagged members, grants told by remove.lua. */
    private final boolean tagged;
    /** The inbox said this member became the head (or was granted) since the last read began, while no wait was pending (guarded by this). */
    private boolean notified;
    /** A predecessor waited behind for a whole safety-net period: the next read asks its owner. */
    private volatile String suspect = "";
    /** The predecessor seen by the last read, and its session's PTTL then (set before the read completes). */
    private volatile String blockerId = "";
    private volatile long blockerPttl = -1;

    public RedisQueueEntry(RedisSession session, Primitive primitive, String name, String value) {
        this.session = session;
        this.redis = session.redis();
        this.primitive = primitive;
        this.queue = redis.keys().queue(RedisKeys.Kind.of(primitive), name);
        this.name = name;
        this.tagged = primitive == Primitive.SEMAPHORE || primitive == Primitive.READ_WRITE_LOCK;
        this.member = tagged ? RedisKeys.tagged(redis.newMember(session.id()), value) : redis.newMember(session.id());
        this.value = value;
    }

    /** The unique queue member of this acquisition. */
    public String member() {
        return member;
    }

    // ---- QueueEntry ---------------------------------------------------------------------------

    @Override
    public CompletableFuture<Position> enqueue(int lookahead) {
        try {
            session.track(this);
            redis.registerWaiter(member, this);
        } catch (RuntimeException e) {
            session.untrack(this);
            return CompletableFuture.failedFuture(e);
        }
        return call("enqueue", "", lookahead);
    }

    @Override
    public CompletableFuture<Position> position(int lookahead) {
        String asked = suspect;
        suspect = "";
        return call("check", asked, lookahead);
    }

    @Override
    public CompletableFuture<Boolean> whenGone(Position seen, Position.Ahead blocker) {
        CompletableFuture<Boolean> wait = new CompletableFuture<>();
        synchronized (this) {
            if (notified) {
                return CompletableFuture.completedFuture(true); // kept until the next read: every per-entry wait sees it
            }
            pending.add(wait);
        }
        wait.whenComplete((v, e) -> forget(wait));
        // the read that produced `seen` measured the blocker's lease (see checkPredecessor)
        long pttl = blocker.id().equals(blockerId) ? blockerPttl : -1;
        long millis = (pttl > 0 ? pttl : session.ttlMillis()) + MARGIN_MS;
        ScheduledFuture<?> timer = redis.scheduler().schedule(() -> {
            suspect = blocker.id();
            wait.complete(false);
        }, millis, TimeUnit.MILLISECONDS);
        wait.whenComplete((v, e) -> timer.cancel(false));
        return wait;
    }

    /**
     * One {@code claim.lua}: the lowest slot no granted entry of the name holds, with a fresh token from the
     * per-name counter; {@link Slot#GONE} if our entry was evicted (our session died).
     */
    @Override
    public CompletableFuture<Slot> claimSlot(int slots) {
        if (primitive != Primitive.SEMAPHORE) {
            return QueueEntry.super.claimSlot(slots);
        }
        return redis.link().<List<Object>>eval(primitive, RedisScript.CLAIM, ScriptOutputType.MULTI, queue.keys(),
                member, Integer.toString(slots)).thenApply(reply -> {
                    long slot = (Long) reply.get(0);
                    return slot < 0 ? Slot.GONE : new Slot((int) slot, (Long) reply.get(1));
                });
    }

    @Override
    public CompletableFuture<Void> remove() {
        return redis.link().<Long>eval(primitive, RedisScript.REMOVE, ScriptOutputType.INTEGER, queue.keys(),
                member, redis.keys().inboxPrefix(), queue.observers()).handle((n, e) -> {
                    if (e != null) {
                        session.removalFailed(this);
                        throw e instanceof RuntimeException r ? r : new CompletionException(e);
                    }
                    redis.unregisterWaiter(member);
                    session.untrack(this);
                    return null;
                });
    }

    /** What removing this entry needs once its session has ended: not the entry, nor its session (see {@link RedisCoordinator#leftOver}). */
    RedisCoordinator.Leftover leftover() {
        return new RedisCoordinator.Leftover(primitive, queue, member, toString());
    }

    @Override
    public CompletableFuture<Boolean> replaceValue(String newValue) {
        return redis.link().<List<Object>>eval(primitive, RedisScript.PROCLAIM, ScriptOutputType.MULTI,
                queue.keys(), member, newValue, queue.observers()).thenApply(reply -> ((Long) reply.get(0)) == 1L);
    }

    // ---- Waiter (lettuce's thread: no blocking) -------------------------------------------------

    /** This member became the head (locks, elections) or was granted by a departure (semaphores, read-write locks). */
    @Override
    public void headNotified() {
        List<CompletableFuture<Boolean>> waits;
        synchronized (this) {
            waits = List.copyOf(pending);
            pending.clear();
            // kept until the next read begins: a per-entry wait registered after this message (the engine registers
            // one per entry waited for, not all at once) completes at once too
            notified = true;
        }
        waits.forEach(wait -> wait.complete(true));
    }

    @Override
    public void recheck() {
        List<CompletableFuture<Boolean>> waits;
        synchronized (this) {
            waits = List.copyOf(pending);
        }
        waits.forEach(wait -> wait.complete(false));
    }

    // ---- helpers ------------------------------------------------------------------------------

    private synchronized void forget(CompletableFuture<Boolean> wait) {
        pending.remove(wait);
    }

    /** Removes a dead session's (or our own leftover) entry. */
    private CompletableFuture<Long> evict(String dead) {
        return redis.link().eval(primitive, RedisScript.REMOVE, ScriptOutputType.INTEGER, queue.keys(),
                dead, redis.keys().inboxPrefix(), queue.observers());
    }

    /** {@code enqueue.lua} in {@code mode}; {@code asked} non-empty asks its owner whether it still owns it. */
    private CompletableFuture<Position> call(String mode, String asked, int lookahead) {
        synchronized (this) {
            notified = false; // this read sees whatever a message received so far announced
        }
        return redis.link().<List<Object>>eval(primitive, RedisScript.ENQUEUE, ScriptOutputType.MULTI, queue.keys(),
                member, mode, value, queue.observers(), asked, redis.keys().inboxPrefix(), Integer.toString(Math.max(1, lookahead)))
                .thenCompose(reply -> position(reply, lookahead, 0));
    }

    /**
     * While waiting behind a predecessor: one {@code PTTL} of its session key. Gone (-2): that
     * session is dead for good, so its entry is removed (guarded by its exact member) and the
     * position read again — before the engine looks at its deadline, so even {@code tryAcquire(0)}
     * evicts a crashed holder. Our own session's entry is a leftover (a session has at most one
     * live acquisition per name) and goes the same way. Alive: its PTTL sets the safety-net timer.
     */
    private CompletableFuture<Position> checkPredecessor(Position p, int lookahead, int evictions) {
        if (tagged) {
            return checkAhead(p, lookahead, evictions);
        }
        String pred = p.ahead().get(0).id();
        return pttl(RedisKeys.sessionOf(pred)).thenCompose(ms -> {
            if (ms != -2 || evictions >= MAX_EVICTIONS) {
                blockerId = pred;
                blockerPttl = ms;
                return CompletableFuture.completedFuture(p);
            }
            return evict(pred).thenCompose(n -> reread(lookahead, evictions + 1));
        });
    }

    /**
     * Semaphores and read-write locks wait for departures anywhere ahead: one {@code PTTL} per distinct session
     * ahead (sent together); every entry of a dead one is evicted and the position read again.
     */
    private CompletableFuture<Position> checkAhead(Position p, int lookahead, int evictions) {
        Set<String> owners = new LinkedHashSet<>();
        p.ahead().forEach(a -> owners.add(RedisKeys.sessionOf(a.id())));
        List<String> asked = List.copyOf(owners);
        List<CompletableFuture<Long>> pttls = asked.stream().map(this::pttl).toList();
        return CompletableFuture.allOf(pttls.toArray(CompletableFuture[]::new)).thenCompose(all -> {
            Set<String> dead = new LinkedHashSet<>();
            for (int i = 0; i < asked.size(); i++) {
                if (pttls.get(i).join() == -2) {
                    dead.add(asked.get(i));
                }
            }
            String nearest = p.ahead().get(0).id();
            blockerId = nearest;
            blockerPttl = pttls.get(0).join();
            if (dead.isEmpty() || evictions >= MAX_EVICTIONS) {
                return CompletableFuture.completedFuture(p);
            }
            List<CompletableFuture<Long>> evicted = p.ahead().stream()
                    .filter(a -> dead.contains(RedisKeys.sessionOf(a.id()))).map(a -> evict(a.id())).toList();
            return CompletableFuture.allOf(evicted.toArray(CompletableFuture[]::new))
                    .thenCompose(v -> reread(lookahead, evictions + evicted.size()));
        });
    }

    /** The PTTL of session {@code owner}'s key; -2 (gone) for our own session: its other entry is a leftover of ours. */
    private CompletableFuture<Long> pttl(String owner) {
        return owner.equals(session.id()) ? CompletableFuture.completedFuture(-2L)
                : redis.link().pttl(primitive, redis.keys().session(owner));
    }

    /** The position again, after evictions (never asks an owner). */
    private CompletableFuture<Position> reread(int lookahead, int evictions) {
        return redis.link().<List<Object>>eval(primitive, RedisScript.ENQUEUE, ScriptOutputType.MULTI,
                queue.keys(), member, "check", value, queue.observers(), "", redis.keys().inboxPrefix(), Integer.toString(Math.max(1, lookahead)))
                .thenCompose(reply -> position(reply, lookahead, evictions));
    }

    /** Parses the script's answer; first in line with the durability knob on: WAIT before reporting it. */
    private CompletableFuture<Position> position(List<Object> reply, int lookahead, int evictions) {
        long code = (Long) reply.get(0);
        if (code < 0) {
            return CompletableFuture.completedFuture(Position.gone(0));
        }
        long ticket = (Long) reply.get(1);
        List<Position.Ahead> ahead = new ArrayList<>();
        for (int i = 4; i + 1 < reply.size(); i += 2) {
            String id = String.valueOf(reply.get(i));
            ahead.add(new Position.Ahead(id, (Long) reply.get(i + 1), tagged ? RedisKeys.tagOf(id) : ""));
        }
        Position p = new Position(true, ticket, ahead, 0);
        if (!ahead.isEmpty()) {
            return checkPredecessor(p, lookahead, evictions);
        }
        if (redis.confirmsReplication()) {
            return redis.confirmReplication(primitive, name, queue.counter(), ticket).thenApply(ack -> p);
        }
        return CompletableFuture.completedFuture(p);
    }

    @Override
    public String toString() {
        return "entry " + member + " of " + primitive.name().toLowerCase(Locale.ROOT) + " '" + name + "'";
    }
}
