package io.coord.redis.lock;

import io.coord.BackendUnavailableException;
import io.coord.Primitive;
import io.coord.SessionExpiredException;
import io.coord.redis.RedisCoordinator;
import io.coord.redis.RedisKeys;
import io.coord.redis.RedisScript;
import io.coord.redis.session.RedisSession;
import io.coord.spi.Deadline;
import io.coord.spi.QueueEntry;
import io.lettuce.core.ScriptOutputType;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One acquisition's entry in the queue of a Redis lock, fair lock or election (the same machinery
 * serves all three; a plain {@link io.coord.lock.FencedLock} is therefore served fairly too).
 *
 * <h2>Algorithm</h2>
 * <ol>
 *   <li>{@link #enqueue()}: one {@code enqueue.lua}: ticket = {@code INCR} of the per-name counter
 *       floored at the server's clock in microseconds (see {@link RedisKeys}), {@code ZADD} the member; if it is first in line, granted — <b>one round trip for an
 *       uncontended acquisition</b> (release: one {@code remove.lua}).</li>
 *   <li>{@link #awaitTurn(Deadline)}: while not first, look at the <em>immediate predecessor</em>
 *       only: {@code PTTL} of its session key. Gone (-2): that session is dead for good, remove its
 *       entry (guarded by its exact member) and re-check. Alive: sleep until woken by this
 *       coordinator's inbox (the releasing script publishes the new head's member to the new head's
 *       coordinator only), or until the predecessor's lease could have run out (its PTTL), then re-check.
 *       A missed message costs latency, never a hang; a dead waiter anywhere in the queue is removed
 *       by its successor, so the queue cannot get stuck behind it. A re-check after such a whole
 *       wait behind the same live predecessor also asks that predecessor's coordinator whether it
 *       still owns it (published by the script, no extra round trip): an entry whose release was
 *       lost while its session lives (an orphan, e.g. after a failover) is then removed by its
 *       owner, so the queue cannot get stuck behind it either (see {@link RedisCoordinator}).</li>
 *   <li>{@link #remove()}: one {@code remove.lua}; idempotent; works whatever the enqueue's outcome.</li>
 * </ol>
 *
 * <h2>Threads</h2>
 * {@code enqueue/awaitTurn/remove} run on one coord worker thread (they block on lettuce futures
 * there, never on lettuce's threads). {@link #headNotified()} and {@link #recheck()} are called on
 * lettuce's event loop and only release a semaphore.
 */
public class RedisQueueEntry implements QueueEntry, RedisCoordinator.Waiter {

    /** Extra wait after a predecessor's lease would have run out, before re-checking it. */
    private static final long MARGIN_MS = 20;
    /** Non-sleeping iterations of awaitTurn (evictions) before it sleeps anyway. */
    private static final int MAX_EAGER_STEPS = 1000;

    protected final RedisSession session;
    protected final RedisCoordinator redis;
    protected final RedisKeys.Queue queue;
    protected final Primitive primitive;
    private final String name;
    private final String member;
    private final String value;
    private final Semaphore signal = new Semaphore(0);
    private volatile boolean headNotified;
    /** Last answer of enqueue.lua; only touched by the worker thread running the acquisition. */
    private Status status;

    /** Parsed answer of {@code enqueue.lua}. */
    record Status(long code, long ticket, String head, String predecessor) {
        static Status of(List<Object> reply) {
            return new Status((Long) reply.get(0), (Long) reply.get(1), str(reply.get(2)), str(reply.get(3)));
        }

        private static String str(Object o) {
            return o == null ? "" : o.toString();
        }
    }

    public RedisQueueEntry(RedisSession session, RedisKeys.Kind kind, String name, String value) {
        this.session = session;
        this.redis = session.redis();
        this.queue = redis.keys().queue(kind, name);
        this.primitive = switch (kind) {
            case LOCK -> Primitive.LOCK;
            case FAIR -> Primitive.FAIR_LOCK;
            case ELECTION -> Primitive.ELECTION;
        };
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
    public void enqueue() throws Exception {
        session.track(this);
        redis.registerWaiter(member, this);
        status = call("enqueue", "");
    }

    @Override
    public long awaitTurn(Deadline deadline) throws Exception {
        Status s = status;
        int eager = 0;
        while (true) {
            if (s.code() == 1) {
                return granted(s.ticket());
            }
            if (s.code() < 0) {
                throw new SessionExpiredException(session.id(), session.state());
            }
            long waitMillis = session.ttlMillis();
            String predecessor = s.predecessor();
            // the live predecessor of another session we are about to wait behind (see below)
            String suspect = "";
            if (!predecessor.isEmpty() && eager < MAX_EAGER_STEPS) {
                String owner = RedisKeys.sessionOf(predecessor);
                boolean dead;
                if (owner.equals(session.id())) {
                    // our own earlier entry whose removal failed: this session has at most one live
                    // acquisition per name (claims), so it is a leftover and may go.
                    dead = true;
                } else {
                    long pttl = await(redis.link().pttl(primitive, redis.keys().session(owner)));
                    dead = pttl == -2;
                    if (pttl > 0) {
                        waitMillis = pttl + MARGIN_MS;
                    }
                    if (!dead) {
                        suspect = predecessor;
                    }
                }
                if (dead) {
                    eager++;
                    await(redis.link().<Long>eval(primitive, RedisScript.REMOVE, ScriptOutputType.INTEGER, queue.keys(),
                            predecessor, redis.keys().inboxPrefix(), queue.observers()));
                    s = status = call("check", "");
                    continue;
                }
            }
            if (deadline.hasPassed()) {
                throw new TimeoutException(describe() + " timed out");
            }
            long fullWaitNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(waitMillis, 1));
            long waitNanos = Math.min(fullWaitNanos, deadline.remainingNanos());
            boolean wholeWait = waitNanos == fullWaitNanos; // not cut short by the caller's deadline
            boolean messaged = signal.tryAcquire(waitNanos, TimeUnit.NANOSECONDS);
            eager = 0;
            if (messaged && headNotified) {
                // remove.lua published our member to our inbox after making it the head; only our
                // own removal, or an eviction after our session key expired, can take that away.
                session.stats().wakeup(primitive);
                return granted(s.ticket());
            }
            if (messaged || !deadline.hasPassed()) {
                session.stats().wakeup(primitive); // a re-check after a message or a poll timer
            }
            // After a whole wait behind a live predecessor without being told we are first (a poll
            // tick, or a pub/sub reconnect), the re-check also asks the predecessor's coordinator
            // (and the head's) whether it still owns it: if it is still our predecessor, enqueue.lua
            // publishes the question to that coordinator's inbox, and an entry whose release was lost (an
            // orphan) is removed by its owner - see RedisCoordinator. No extra round trip here.
            // After the deadline: one last look (we may have become first just now), then time out above.
            s = status = call("check", messaged || wholeWait ? suspect : "");
        }
    }

    @Override
    public void remove() throws Exception {
        try {
            removeAsync().get(redis.operationTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            session.removalFailed(this);
            throw e;
        } catch (InterruptedException e) {
            session.removalFailed(this);
            throw e;
        }
    }

    /** Sends the removal; on success the session and the coordinator forget this entry. Never blocks. */
    public CompletableFuture<Long> removeAsync() {
        return redis.link().<Long>eval(primitive, RedisScript.REMOVE, ScriptOutputType.INTEGER, queue.keys(),
                member, redis.keys().inboxPrefix(), queue.observers()).thenApply(n -> {
                    redis.unregisterWaiter(member);
                    session.untrack(this);
                    return n;
                });
    }

    // ---- Waiter (lettuce's thread: no blocking) -------------------------------------------------

    @Override
    public void headNotified() {
        headNotified = true;
        signal.release();
    }

    @Override
    public void recheck() {
        signal.release();
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** First in line with {@code ticket}: with the durability knob on, WAIT and report before handing the grant out. */
    private long granted(long ticket) {
        if (redis.confirmsReplication()) {
            redis.confirmReplication(primitive, name, queue.counter(), ticket);
        }
        return ticket;
    }

    /** {@code enqueue.lua} in {@code mode}; {@code suspect} non-empty asks its owner whether it still owns it. */
    protected Status call(String mode, String suspect) throws Exception {
        List<Object> reply = await(redis.link().<List<Object>>eval(primitive, RedisScript.ENQUEUE, ScriptOutputType.MULTI, queue.keys(),
                member, mode, value, queue.observers(), suspect, redis.keys().inboxPrefix()));
        return Status.of(reply);
    }

    /** Waits for a reply on this worker thread, bounded by the operation timeout; interruptible. */
    protected <T> T await(CompletableFuture<T> future) throws Exception {
        try {
            return future.get(redis.operationTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw new BackendUnavailableException(describe() + ": Redis request failed: " + c, c);
        } catch (TimeoutException e) {
            // not the caller's deadline: the server did not answer in time
            throw new BackendUnavailableException(describe() + ": Redis did not answer within "
                    + redis.operationTimeout().toMillis() + " ms", e);
        }
    }

    private String describe() {
        return primitive.name().toLowerCase(java.util.Locale.ROOT) + " '" + name + "'";
    }

    @Override
    public String toString() {
        return "entry " + member + " of " + describe();
    }
}
