package io.coord.redis;

import io.coord.BackendUnavailableException;
import io.coord.Capability;
import io.coord.Primitive;
import io.coord.election.ElectionView;
import io.coord.redis.election.RedisElectionView;
import io.coord.redis.session.RedisSession;
import io.coord.spi.CoordinatorBase;
import io.coord.spi.SessionBase;
import io.lettuce.core.RedisURI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The Redis backend of coord, on lettuce; a single server or a Redis Cluster (detected).
 *
 * <p>Open it with {@code Coordinator.open("redis://host:port/namespace")} (also
 * {@code rediss://} for TLS, {@code redis://:password@host:port/ns}, several {@code host:port}
 * separated by ',' as cluster seeds, parameters {@code ?cluster=true|false&timeout=5s}) or with
 * {@link #builder()}.
 *
 * <h2>What Redis guarantees here — and what it does not</h2>
 * <ul>
 *   <li><b>Leases on the server's clock.</b> A session is one key with a TTL ({@code SET NX PX}),
 *       renewed about every TTL/3 by one {@code PEXPIRE} — one round trip whatever the session
 *       holds. Lock and election entries carry the session id and no TTL of their own; an entry
 *       whose session key has expired is dead and is removed by the next participant that sees
 *       it. No client clock is ever compared with another's ({@link Capability#SERVER_CLOCK_LEASES}).</li>
 *   <li><b>No queue stays stuck behind a lost release.</b> An entry whose removal the server lost
 *       (failover) while its session lives is removed by the coordinator that created it, when a
 *       waiter or observer that has waited a whole lease behind it asks, or when it becomes the head:
 *       within about one lease of its owner's session. An entry its coordinator owns is never
 *       removed that way (see the comment on the ownership questions below).</li>
 *   <li><b>Fencing tokens and terms</b> come from a per-name {@code INCR} counter in the same
 *       Cluster slot as the queue (one hash tag per primitive), taken atomically with the enqueue,
 *       and <b>floored at the Redis server's clock</b>: token = max({@code INCR}, {@code TIME} in
 *       microseconds since the epoch). Tokens are therefore large (about 1.8e15, below 2^53 until
 *       the year 2255) and not consecutive. On one server that keeps its data they strictly increase
 *       in grant order whatever its clock does.</li>
 *   <li><b>Asynchronous replication can lose a grant and a counter increment on failover</b> (and a
 *       restart without persistence loses all of them). A replica promoted before it received a
 *       write does not know about it: a lock can then be granted twice — exclusion across a
 *       failover is NOT claimed, the clock floor changes nothing there. Tokens after such a loss
 *       still exceed every lost token because the new server's clock has moved past them, UNLESS
 *       the counter had run ahead of real time (more than one increment per microsecond sustained,
 *       or a server clock that stepped backwards) or the new primary's clock is behind the old
 *       one's, by more than the time from the lost grant to the next grant: then a token or term
 *       can repeat or go backwards. That is rare but not impossible, so this backend does NOT
 *       declare {@link Capability#DURABLE_FENCING_TOKENS} nor {@link Capability#FAILOVER_SAFE_EXCLUSION}.
 *       The fenced resource must still check tokens, and for failover safety use ZooKeeper or etcd.</li>
 *   <li>Redis must not evict keys under memory pressure ({@code maxmemory-policy noeviction}):
 *       an evicted session key looks like a dead session. A server whose wall clock jumps forward
 *       expires leases early (Redis expiry uses the wall clock).</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * The three executors of {@link CoordinatorBase} plus lettuce's event loops and timer, all owned
 * and stopped by {@link #close()}. Lettuce's threads are never blocked: see {@link RedisLink}.
 */
public final class RedisCoordinator extends CoordinatorBase {

    private static final Logger log = LoggerFactory.getLogger(RedisCoordinator.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** What this backend declares; see the class comment for what it does not. */
    public static final Set<Capability> CAPABILITIES = Set.copyOf(EnumSet.of(Capability.SERVER_CLOCK_LEASES));
    /** Declared instead when the durability knob is on: grants are followed by WAIT and the count reported. */
    public static final Set<Capability> WITH_ACKNOWLEDGEMENT =
            Set.copyOf(EnumSet.of(Capability.SERVER_CLOCK_LEASES, Capability.REPLICA_ACKNOWLEDGEMENT));

    /** Told when this coordinator's inbox says a waiter became first in line. Called on lettuce's thread: must not block. */
    public interface Waiter {
        void headNotified();

        /** A possible missed message (pub/sub reconnected): re-check. Must not block. */
        void recheck();
    }

    private final RedisKeys keys;
    private final String coordinatorId;
    private final String inbox;
    private final AtomicLong sequence = new AtomicLong();
    /**
     * Every queue entry this coordinator may have on a server, by member: registered just before
     * its enqueue is sent, unregistered only once the server confirmed its removal. This is the
     * "do I own it?" registry of {@link #onOwnershipQuestion} as well as the inbox routing table.
     */
    private final Map<String, Waiter> waiters = new ConcurrentHashMap<>();
    /** Members being removed by {@link #disown}: {@link #registerWaiter} refuses them meanwhile. */
    private final Set<String> disowning = ConcurrentHashMap.newKeySet();
    private final AtomicLong orphansRemoved = new AtomicLong();
    private final Map<String, Set<ChannelListener>> channels = new ConcurrentHashMap<>();
    private final RedisLink link;

    /** Listener of a broadcast channel (election observers). Called on lettuce's thread: must not block. */
    public interface ChannelListener {
        void message(String message);

        void resubscribed();
    }

    private final int ackReplicas;
    private final Duration ackTimeout;
    private final java.util.concurrent.CopyOnWriteArrayList<Consumer<ReplicaAcknowledgement>> ackListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile ReplicaAcknowledgement lastAck;

    RedisCoordinator(List<RedisURI> uris, String namespace, Boolean cluster, Duration timeout, int ackReplicas, Duration ackTimeout) {
        super("redis", namespace, ackReplicas > 0 ? WITH_ACKNOWLEDGEMENT : CAPABILITIES, timeout);
        this.ackReplicas = ackReplicas;
        this.ackTimeout = ackTimeout;
        this.keys = new RedisKeys(namespace);
        this.coordinatorId = randomHex(8);
        this.inbox = keys.inbox(coordinatorId);
        RedisLink connected;
        try {
            connected = RedisLink.connect(uris, cluster, timeout, statsRecorder(), this::onMessage, this::onSubscribed, ackReplicas > 0);
        } catch (RuntimeException e) {
            super.close();
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new BackendUnavailableException("cannot connect to Redis at " + uris + " within " + timeout.toMillis()
                    + " ms: " + cause, cause);
        }
        this.link = connected;
        try {
            link.subscribe(Primitive.SESSION, inbox).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            close();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new BackendUnavailableException("cannot subscribe to the coordinator inbox " + inbox + ": " + e, e);
        }
        log.debug("redis coordinator {} connected ({}), namespace '{}'", coordinatorId, link.isCluster() ? "cluster" : "single server", namespace);
    }

    /** A builder for a coordinator on one Redis server or a Redis Cluster. */
    public static RedisCoordinatorBuilder builder() {
        return new RedisCoordinatorBuilder();
    }

    // ---- CoordinatorBase -----------------------------------------------------------------

    @Override
    protected SessionBase createSession(Duration ttl) {
        return RedisSession.open(this, ttl);
    }

    @Override
    protected ElectionView createElectionView(String name) {
        return new RedisElectionView(this, name);
    }

    @Override
    protected void closeClient() {
        if (link != null) {
            link.close();
        }
        waiters.clear();
        channels.clear();
    }

    // ---- for the recipes ------------------------------------------------------------------

    public RedisKeys keys() {
        return keys;
    }

    public RedisLink link() {
        return link;
    }

    /** Whether the connected server is a Redis Cluster. */
    public boolean isCluster() {
        return link.isCluster();
    }

    /** A queue member unique to this coordinator and acquisition. */
    public String newMember(String sessionId) {
        return RedisKeys.member(sessionId, coordinatorId, sequence.incrementAndGet());
    }

    public static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /**
     * Registers an entry as owned by this coordinator; call it before its enqueue is sent. Fails
     * (and registers nothing) only if an ownership question about this very member is being
     * answered with a removal at this moment — impossible for a member that was never on a
     * server unless the question was forged; see {@link #disown}.
     */
    public void registerWaiter(String member, Waiter waiter) {
        waiters.put(member, waiter);
        if (disowning.contains(member)) {
            waiters.remove(member);
            throw new BackendUnavailableException("queue entry " + member + " is being removed by an ownership question; retry", null);
        }
    }

    public void unregisterWaiter(String member) {
        waiters.remove(member);
    }

    /** Adds a listener of a broadcast channel, subscribing it if needed (blocking, bounded by the operation timeout). */
    public void listen(Primitive primitive, String channel, ChannelListener listener) throws Exception {
        channels.computeIfAbsent(channel, c -> ConcurrentHashMap.newKeySet()).add(listener);
        link.subscribe(primitive, channel).get(operationTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Removes a listener; unsubscribes the channel when it was the last one (asynchronously). */
    public void unlisten(Primitive primitive, String channel, ChannelListener listener) {
        Set<ChannelListener> set = channels.get(channel);
        if (set == null) {
            return;
        }
        set.remove(listener);
        if (set.isEmpty() && channels.remove(channel, set) && !isClosed()) {
            link.unsubscribe(primitive, channel).exceptionally(e -> null);
        }
    }

    /** On lettuce's thread: route, never block. */
    private void onMessage(String channel, String message) {
        if (inbox.equals(channel)) {
            // "?<member> <queue key>": a question; "<member> <queue key>": that member became the head
            boolean question = message.startsWith("?");
            int space = message.indexOf(' ');
            String member = message.substring(question ? 1 : 0, space < 0 ? message.length() : space);
            String queueKey = space < 0 ? "" : message.substring(space + 1);
            if (!question) {
                Waiter w = waiters.get(member);
                if (w != null) {
                    w.headNotified();
                    return;
                }
            }
            // a question, or the head is one of our members that we do not own: an orphan, at the head
            onOwnershipQuestion(member, queueKey);
            return;
        }
        Set<ChannelListener> set = channels.get(channel);
        if (set != null) {
            set.forEach(l -> l.message(message));
        }
    }

    // ---- orphaned entries: "do you still own member M?" ---------------------------------------

    /*
     * THE PROBLEM. A queue entry has no TTL: it is dead only when its session key is gone. If the
     * effect of a removal is lost while its client believes it succeeded (a failover to a replica
     * that never received the acknowledged ZREM), the entry stays on the server, owned by nobody,
     * while its session lives on (renewed, because the client is fine): an orphan. Every waiter
     * would queue behind it until that session ends - for a long-lived session, forever.
     *
     * THE MECHANISM. Only the coordinator that created a member (its id is inside the member) can
     * tell an orphan from a live entry, and it can tell exactly: `waiters` holds every entry it may
     * have on a server. A waiter that has waited a whole wait (its predecessor's lease, or until a
     * pub/sub reconnect) behind the same live predecessor asks that predecessor's coordinator, for
     * free: its re-check (enqueue.lua "check") publishes "?<member> <queue key>" to the
     * coordinator's inbox if the suspect is still its immediate predecessor (and likewise for the
     * head, which has blocked it just as long). A head notification ("<member> <queue key>",
     * published by remove.lua to the new head's coordinator) for a member of ours that we do not
     * own is the same question. Here the owner answers: owned -> nothing (never removed); not
     * owned -> remove.lua with that exact member, which tells the new head as a release would - so
     * a run of orphans at the head (a failover leaves at most one per session and name, all older
     * than any new entry) goes in one cascade. An orphan therefore goes within about one lease of
     * the waiters behind it (each lost question costs one more wait), while its session lives.
     *
     * WHY IT IS SAFE. A member is unique per acquisition (session id, coordinator id, sequence)
     * and is never enqueued again once its removal was confirmed (enqueue and remove of one entry
     * are sent in order by one thread; a replay after reconnect keeps that order). A member that is
     * on a server but not in `waiters` was therefore registered, removed with a confirmation, and
     * nobody - no grant, leadership or pending acquisition - relies on it: removing it again only
     * repeats what its owner already did. An owned member is never removed, whoever asks (the
     * question is only a hint; a forged or stale one removes at most an unowned member). The one
     * window where a member is neither registered nor confirmed-removed - created but not yet
     * registered - is closed by `disowning`: the answer marks the member before it looks at
     * `waiters`, and registerWaiter registers before it looks at the mark, so at least one of the
     * two sees the other (ConcurrentHashMap operations are sequentially consistent): either the
     * answer sees the member owned and does nothing, or the registration fails before any enqueue.
     * A member that was never on a server is not enqueued while its removal is in flight either.
     * (A session's end removes its entries from another thread than an acquisition still
     * enqueuing, so an enqueue may land after that removal's confirmation; but the session has
     * ended first, so no grant or leadership of it can be adopted any more: nobody relies on it.)
     * Removal is remove.lua: atomic, guarded by the exact member string, idempotent.
     *
     * COST. Healthy path: no extra round trip for the waiter (the question rides on a re-check it
     * makes anyway, only after a whole wait without a wake-up) and none for an owner that owns the
     * member (a map lookup on lettuce's thread). An orphan costs its owner one counted round trip.
     */

    /** On lettuce's thread: is {@code member} (in the queue {@code queueKey}) ours? Never blocks: the removal runs on a worker. */
    private void onOwnershipQuestion(String member, String queueKey) {
        if (waiters.containsKey(member) || !coordinatorId.equals(RedisKeys.coordinatorOf(member))) {
            return; // ours and owned: the answer is "yes", nothing to do (or not ours at all)
        }
        RedisKeys.QueueRef ref = keys.queueOfKey(queueKey).orElse(null);
        if (ref == null) {
            log.debug("ignoring an ownership question about a key outside namespace '{}': {} {}", keys.namespace(), member, queueKey);
            return;
        }
        if (!disowning.add(member)) {
            return; // already being removed
        }
        try {
            if (isClosed()) {
                disowning.remove(member);
                return;
            }
            workers().execute(() -> disown(ref, member));
        } catch (RuntimeException closing) {
            disowning.remove(member);
        }
    }

    /** On a worker thread: removes {@code member} unless this coordinator owns it (see above). */
    private void disown(RedisKeys.QueueRef ref, String member) {
        try {
            if (waiters.containsKey(member) || isClosed()) {
                return; // owned: never removed by this mechanism
            }
            RedisKeys.Queue q = ref.queue();
            Long removed = link.<Long>eval(ref.kind().primitive(), RedisScript.REMOVE, io.lettuce.core.ScriptOutputType.INTEGER,
                    q.keys(), member, keys.inboxPrefix(), q.observers()).get(operationTimeout().toMillis(), TimeUnit.MILLISECONDS);
            if (removed != null && removed == 1L) {
                orphansRemoved.incrementAndGet();
                log.warn("removed orphaned queue entry {} of {}: this coordinator had released it, but the server still had it "
                        + "(a removal lost, e.g. by a failover)", member, q.queue());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.debug("removing the orphaned queue entry {} failed ({}); its successor will ask again", member, e.toString());
        } finally {
            disowning.remove(member);
        }
    }

    /** How many orphaned entries of this coordinator were removed after an ownership question (diagnostics). */
    public long orphansRemoved() {
        return orphansRemoved.get();
    }

    /** On lettuce's thread, after every (re)subscription: messages may have been missed. */
    private void onSubscribed(String channel) {
        if (inbox.equals(channel)) {
            waiters.values().forEach(Waiter::recheck);
            return;
        }
        Set<ChannelListener> set = channels.get(channel);
        if (set != null) {
            set.forEach(ChannelListener::resubscribed);
        }
    }

    // ---- the durability knob ----------------------------------------------------------------

    /** Whether grants are followed by {@code WAIT}. */
    public boolean confirmsReplication() {
        return ackReplicas > 0;
    }

    /**
     * After a grant (on the acquiring worker thread): {@code WAIT} for the configured replicas and
     * report the answer to the listeners, whatever it is. Never fails the grant.
     */
    public ReplicaAcknowledgement confirmReplication(Primitive primitive, String name, String slotKey, long token) {
        long acked;
        try {
            acked = link.confirmReplication(primitive, slotKey, ackReplicas, ackTimeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            acked = -1;
        } catch (Exception e) {
            log.warn("WAIT after the grant of {} '{}' (token {}) failed: {}", primitive, name, token, e.toString());
            acked = -1;
        }
        ReplicaAcknowledgement ack = new ReplicaAcknowledgement(primitive, name, token, ackReplicas, acked);
        lastAck = ack;
        if (!ack.complete()) {
            log.warn("grant of {} '{}' (token {}) acknowledged by {} of {} replicas within {} ms: a failover may lose it",
                    primitive, name, token, acked, ackReplicas, ackTimeout.toMillis());
        }
        for (Consumer<ReplicaAcknowledgement> l : ackListeners) {
            events().execute(() -> l.accept(ack));
        }
        return ack;
    }

    /** The latest {@code WAIT} answer, or null if none yet (or the knob is off). */
    public ReplicaAcknowledgement lastReplicaAcknowledgement() {
        return lastAck;
    }

    /** Tells {@code listener} (on the event thread) of every {@code WAIT} answer after a grant. */
    public io.coord.Subscription onReplicaAcknowledgement(Consumer<ReplicaAcknowledgement> listener) {
        java.util.Objects.requireNonNull(listener, "replica acknowledgement listener must not be null");
        ackListeners.add(listener);
        return () -> ackListeners.remove(listener);
    }

    /**
     * Runs {@code task} on a coord worker thread (blocking work), never on lettuce's. Dropped once
     * the coordinator is closed (the base would otherwise run it inline, possibly on lettuce's thread).
     */
    public void onWorker(Runnable task) {
        if (!isClosed()) {
            workers().execute(task);
        }
    }
}
