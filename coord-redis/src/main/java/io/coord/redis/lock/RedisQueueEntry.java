package io.coord.redis.lock;

import io.coord.Primitive;
import io.coord.redis.RedisCoordinator;
import io.coord.redis.RedisKeys;
import io.coord.redis.RedisScript;
import io.coord.redis.session.RedisSession;
import io.coord.spi.Position;
import io.coord.spi.QueueEntry;
import io.lettuce.core.ScriptOutputType;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One session's entry in the queue of a Redis lock, fair lock or election (one machinery for all
 * three; an election entry's value lives in the queue's {@code :v} hash and
 * {@link #replaceValue(String)} is proclaim).
 *
 * <h2>Algorithm</h2>
 * <ol>
 *   <li>{@link #enqueue(int)}: one {@code enqueue.lua}: ticket = the per-name counter's clock-floored
 *       increment (see {@link RedisKeys}), {@code ZADD} the member, and in the same answer whether
 *       it is present, its ticket (the token) and the nearest {@code lookahead} entries ahead —
 *       <b>one round trip for an uncontended acquisition</b> (release: one {@code remove.lua}).
 *       {@link #position(int)} is the same script in "check" mode (never adds).</li>
 *   <li>{@link #whenGone}: the wait is registered first, then one {@code PTTL} of the blocker's
 *       session key. Gone (-2): that session is dead for good; its entry is removed (guarded by its
 *       exact member) and the wait completes {@code false} (re-read). Alive: the wait completes
 *       {@code true} when this coordinator's inbox says this member became the head (the releasing
 *       script publishes it to the new head's coordinator only: one wake-up per release), or
 *       {@code false} when a safety-net timer fires after the blocker's lease could have run out;
 *       the next re-read then asks the blocker's coordinator whether it still owns it (an orphan
 *       whose release was lost is removed by its owner, see {@link RedisCoordinator}).</li>
 *   <li>{@link #remove()}: one {@code remove.lua}; idempotent; safe whatever the enqueue's outcome.</li>
 * </ol>
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
public class RedisQueueEntry implements QueueEntry, RedisCoordinator.Waiter {

    /** Extra wait after a predecessor's lease would have run out, before re-checking it. */
    private static final long MARGIN_MS = 20;

    private final RedisSession session;
    private final RedisCoordinator redis;
    private final RedisKeys.Queue queue;
    private final Primitive primitive;
    private final String name;
    private final String member;
    private final String value;

    /** The pending wait, if any (guarded by this). */
    private CompletableFuture<Boolean> pending;
    /** The inbox said this member became the head while no wait was pending (guarded by this). */
    private boolean notified;
    /** A predecessor waited behind for a whole safety-net period: the next read asks its owner. */
    private volatile String suspect = "";

    public RedisQueueEntry(RedisSession session, Primitive primitive, String name, String value) {
        this.session = session;
        this.redis = session.redis();
        this.primitive = primitive;
        this.queue = redis.keys().queue(switch (primitive) {
            case FAIR_LOCK -> RedisKeys.Kind.FAIR;
            case ELECTION -> RedisKeys.Kind.ELECTION;
            default -> RedisKeys.Kind.LOCK;
        }, name);
        this.name = name;
        this.member = redis.newMember(session.id());
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
                notified = false;
                return CompletableFuture.completedFuture(true);
            }
            pending = wait;
        }
        wait.whenComplete((v, e) -> forget(wait));
        String owner = RedisKeys.sessionOf(blocker.id());
        if (owner.equals(session.id())) {
            // our own earlier entry whose removal failed: a session has at most one live
            // acquisition per name (claims), so it is a leftover and may go.
            evict(wait, blocker.id());
            return wait;
        }
        redis.link().pttl(primitive, redis.keys().session(owner)).whenComplete((pttl, error) -> {
            if (wait.isDone()) {
                return;
            }
            if (error != null) {
                wait.completeExceptionally(error);
            } else if (pttl == -2) {
                evict(wait, blocker.id());
            } else {
                long millis = (pttl > 0 ? pttl : session.ttlMillis()) + MARGIN_MS;
                ScheduledFuture<?> timer = redis.scheduler().schedule(() -> {
                    suspect = blocker.id();
                    wait.complete(false);
                }, millis, TimeUnit.MILLISECONDS);
                wait.whenComplete((v, e) -> timer.cancel(false));
            }
        });
        return wait;
    }

    @Override
    public CompletableFuture<Void> remove() {
        return redis.link().<Long>eval(primitive, RedisScript.REMOVE, ScriptOutputType.INTEGER, queue.keys(),
                member, redis.keys().inboxPrefix(), queue.observers()).handle((n, e) -> {
                    if (e != null) {
                        session.removalFailed(this);
                        throw e instanceof RuntimeException r ? r : new java.util.concurrent.CompletionException(e);
                    }
                    redis.unregisterWaiter(member);
                    session.untrack(this);
                    return null;
                });
    }

    @Override
    public CompletableFuture<Boolean> replaceValue(String newValue) {
        return redis.link().<List<Object>>eval(primitive, RedisScript.PROCLAIM, ScriptOutputType.MULTI,
                queue.keys(), member, newValue, queue.observers()).thenApply(reply -> ((Long) reply.get(0)) == 1L);
    }

    // ---- Waiter (lettuce's thread: no blocking) -------------------------------------------------

    @Override
    public void headNotified() {
        CompletableFuture<Boolean> wait;
        synchronized (this) {
            wait = pending;
            pending = null;
            if (wait == null) {
                notified = true;
            }
        }
        if (wait != null && !wait.complete(true)) {
            synchronized (this) {
                notified = true; // the wait had just ended otherwise: keep the news for the next one
            }
        }
    }

    @Override
    public void recheck() {
        CompletableFuture<Boolean> wait;
        synchronized (this) {
            wait = pending;
        }
        if (wait != null) {
            wait.complete(false);
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    private synchronized void forget(CompletableFuture<Boolean> wait) {
        if (pending == wait) {
            pending = null;
        }
    }

    /** Removes a dead session's (or our own leftover) entry, then completes the wait spuriously: re-read. */
    private void evict(CompletableFuture<Boolean> wait, String dead) {
        redis.link().<Long>eval(primitive, RedisScript.REMOVE, ScriptOutputType.INTEGER, queue.keys(),
                dead, redis.keys().inboxPrefix(), queue.observers()).whenComplete((n, e) -> {
                    if (e != null) {
                        wait.completeExceptionally(e);
                    } else {
                        wait.complete(false);
                    }
                });
    }

    /** {@code enqueue.lua} in {@code mode}; {@code asked} non-empty asks its owner whether it still owns it. */
    private CompletableFuture<Position> call(String mode, String asked, int lookahead) {
        return redis.link().<List<Object>>eval(primitive, RedisScript.ENQUEUE, ScriptOutputType.MULTI, queue.keys(),
                member, mode, value, queue.observers(), asked, redis.keys().inboxPrefix(), Integer.toString(Math.max(1, lookahead)))
                .thenCompose(this::position);
    }

    /** Parses the script's answer; first in line with the durability knob on: WAIT before reporting it. */
    private CompletableFuture<Position> position(List<Object> reply) {
        long code = (Long) reply.get(0);
        if (code < 0) {
            return CompletableFuture.completedFuture(Position.gone(0));
        }
        long ticket = (Long) reply.get(1);
        List<Position.Ahead> ahead = new ArrayList<>();
        for (int i = 4; i + 1 < reply.size(); i += 2) {
            ahead.add(new Position.Ahead(String.valueOf(reply.get(i)), (Long) reply.get(i + 1)));
        }
        Position p = new Position(true, ticket, ahead, 0);
        if (code == 1 && redis.confirmsReplication()) {
            return redis.confirmReplication(primitive, name, queue.counter(), ticket).thenApply(ack -> p);
        }
        return CompletableFuture.completedFuture(p);
    }

    @Override
    public String toString() {
        return "entry " + member + " of " + primitive.name().toLowerCase(java.util.Locale.ROOT) + " '" + name + "'";
    }
}
