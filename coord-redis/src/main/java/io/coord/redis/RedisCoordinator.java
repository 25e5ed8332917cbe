package io.coord.redis;

import io.coord.AuthenticationException;
import io.coord.BackendUnavailableException;
import io.coord.Capability;
import io.coord.CoordException;
import io.coord.Primitive;
import io.coord.Subscription;
import io.coord.election.ElectionView;
import io.coord.spi.CoordinatorBase;
import io.coord.spi.GroupViewBase;
import io.coord.spi.SessionBase;
import io.coord.spi.TlsSettings;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The Redis backend of coord, on lettuce; a single server or a Redis Cluster (detected).
 *
 * <p>Open it with {@code Coordinator.open("redis://host:port/namespace")} (also
 * {@code rediss://} for TLS with {@code caFile}, {@code certFile}/{@code keyFile}, {@code redis://user:password@host:port/ns},
 * several {@code host:port} separated by ',' as cluster seeds, parameters {@code ?cluster=true|false&timeout=5s}) or
 * with {@link #builder()}. Over TLS the server's certificate is verified against the configured CA (or the JVM's
 * trust store) and must name the endpoint's host or IP, on every connection, cluster nodes included.
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
 *
 * <h2>Parts</h2>
 * This class is the lifecycle (connect, sessions, election and group views, close) and the recipes' entry
 * point; it delegates to {@link Inbox} (pub/sub routing to waiters and channel listeners),
 * {@link OrphanReclaimer} (ownership questions about orphaned queue entries) and
 * {@link ReplicationConfirmer} (the durability knob), each documenting its own state and threads.
 */
public final class RedisCoordinator extends CoordinatorBase {

    private static final Logger log = LoggerFactory.getLogger(RedisCoordinator.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** How long after its session ended a failed removal is retried in the background, and how often. */
    static final Duration LEFTOVER_RETRY = Duration.ofSeconds(60);
    private static final Duration LEFTOVER_RETRY_DELAY = Duration.ofSeconds(1);

    /** What this backend declares; see the class comment for what it does not. */
    public static final Set<Capability> CAPABILITIES = Set.copyOf(EnumSet.of(Capability.SERVER_CLOCK_LEASES));
    /** Declared instead when the durability knob is on: grants are followed by WAIT and the count reported. */
    public static final Set<Capability> WITH_ACKNOWLEDGEMENT =
            Set.copyOf(EnumSet.of(Capability.SERVER_CLOCK_LEASES, Capability.REPLICA_ACKNOWLEDGEMENT));

    /** Told when this coordinator's inbox says a waiter became first in line. Called on lettuce's thread: must not block. */
    interface Waiter {
        void headNotified();

        /** A possible missed message (pub/sub reconnected): re-check. Must not block. */
        void recheck();
    }

    /** Listener of a broadcast channel (election observers). Called on lettuce's thread: must not block. */
    interface ChannelListener {
        void message(String message);

        void resubscribed();
    }

    private final RedisKeys keys;
    private final String coordinatorId;
    private final AtomicLong sequence = new AtomicLong();
    private final OrphanReclaimer orphans;
    private final Inbox inbox;
    private final ReplicationConfirmer replication;
    private final RedisLink link;
    /**
     * Entries of ended sessions whose removal failed, by member: retried in the background until their deadline, and
     * at close. Only what a removal needs is kept (no entry, no session), and each for at most {@link #LEFTOVER_RETRY}.
     */
    private final Map<String, Leftover> leftovers = new ConcurrentHashMap<>();
    /** The entry removals of sessions ending now ({@link RedisSession#revoke}): close waits for them before its last try. */
    private final Set<CompletableFuture<?>> revoking = ConcurrentHashMap.newKeySet();

    RedisCoordinator(List<RedisURI> uris, Optional<TlsSettings> tls, String namespace, Boolean cluster, Duration timeout,
                     Duration connectTimeout, int ackReplicas, Duration ackTimeout) {
        super("redis", namespace, ackReplicas > 0 ? WITH_ACKNOWLEDGEMENT : CAPABILITIES, timeout);
        this.replication = new ReplicationConfirmer(ackReplicas, ackTimeout, events());
        this.keys = new RedisKeys(namespace);
        this.coordinatorId = randomHex(8);
        this.orphans = new OrphanReclaimer(this, coordinatorId);
        this.inbox = new Inbox(keys.inbox(coordinatorId), orphans);
        RedisLink connected;
        try {
            connected = RedisLink.connect(uris, tls, cluster, timeout, connectTimeout, statsRecorder(), inbox::onMessage, inbox::onSubscribed,
                    ackReplicas > 0);
        } catch (RuntimeException e) {
            super.close();
            throw openFailure(e, uris, timeout, connectTimeout, OpenStep.CONNECT, "");
        }
        this.link = connected;
        try {
            link.subscribe(Primitive.SESSION, inbox.channel()).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            close();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw openFailure(e, uris, timeout, connectTimeout, OpenStep.SUBSCRIBE, inbox.channel());
        }
        log.debug("redis coordinator {} connected ({}), namespace '{}'", coordinatorId, link.isCluster() ? "cluster" : "single server", namespace);
    }

    /**
     * The one place where a failure to open (connect, TLS handshake, authenticate, subscribe the inbox) becomes a
     * typed coord error. {@link AuthenticationException} when Redis refused who the client is: the credentials or
     * their absence, an ACL denial ({@link RedisLink#authenticationRefusal}), or a TLS handshake that failed on a
     * certificate, either side's ({@link RedisLink#certificateRefusal}), or a TLS connection the server closed right
     * after the handshake at connect ({@link RedisLink#tlsClosedAfterHandshake}); {@link BackendUnavailableException}
     * otherwise, saying so when plain text met a TLS port or TLS a plain-text port. Every message names the backend,
     * the endpoint and what was refused, never a secret (Redis's and the JDK's error texts hold none).
     */
    private static CoordException openFailure(Throwable error, List<RedisURI> uris, Duration timeout, Duration connectTimeout,
                                              OpenStep step, String channel) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        RedisURI first = uris.get(0);
        // with several seeds (a cluster) the refusing server may be any node the client reached
        String where = uris.size() > 1 ? "Redis Cluster (a node reached from seed " + endpoint(first) + ")" : "Redis at " + endpoint(first);
        String user = first.getUsername() != null ? "user '" + first.getUsername() + "'"
                : first.getPassword() != null ? "the default user" : "a client without credentials";
        String refused = RedisLink.authenticationRefusal(cause);
        if (refused != null) {
            String doing = step == OpenStep.CONNECT ? ""
                    : " the right to subscribe to the coordinator inbox " + channel + " (see the least ACL in the coord-redis README)";
            return new AuthenticationException(where + " refused " + user + doing + ": " + refused, cause);
        }
        String certificate = RedisLink.certificateRefusal(cause, first.getHost());
        if (certificate == null && first.isSsl() && step == OpenStep.CONNECT) {
            certificate = RedisLink.tlsClosedAfterHandshake(cause);
        }
        if (certificate != null) {
            return new AuthenticationException(where + " (TLS, as " + user + "): " + certificate, cause);
        }
        String all = uris.stream().map(RedisCoordinator::endpoint).toList().toString();
        String protocol = RedisLink.protocolMismatch(cause, first.isSsl(), connectTimeout);
        String doing = step == OpenStep.CONNECT ? "connect to Redis at " + all : "subscribe to the coordinator inbox " + channel + " at Redis " + all;
        if (protocol != null) {
            return new BackendUnavailableException("cannot " + doing + ": " + protocol, cause);
        }
        return new BackendUnavailableException("cannot " + doing + " within " + timeout.toMillis() + " ms: " + cause, cause);
    }

    /** What open was doing when it failed. */
    private enum OpenStep { CONNECT, SUBSCRIBE }

    /** {@code host:port}, never the credentials. */
    private static String endpoint(RedisURI uri) {
        return uri.getHost() + ":" + uri.getPort();
    }

    /**
     * A new builder for a coordinator on one Redis server or a Redis Cluster, with the defaults of
     * {@link RedisCoordinatorBuilder}.
     *
     * @return a new, independent builder; nothing connects until {@link RedisCoordinatorBuilder#build()}
     */
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
    protected GroupViewBase createGroupView(String name) {
        return new RedisGroupView(this, name);
    }

    @Override
    protected void closeClient() {
        if (link != null) {
            removeLeftovers();
            link.close();
        }
        inbox.clear();
    }

    /** A queue entry of an ended session whose removal failed: what removing it needs, nothing more. */
    record Leftover(Primitive primitive, RedisKeys.Queue queue, String member, String description) {
        @Override
        public String toString() {
            return description;
        }
    }

    /** Tracks a session's entry removals while they run (see {@link #closeClient}). */
    void revoking(CompletableFuture<?> removals) {
        revoking.add(removals);
        removals.whenComplete((v, e) -> revoking.remove(removals));
    }

    /**
     * An entry of {@code session}, which has ended, could not be removed ({@code error}: server unreachable, or the
     * ACL denied it). While the coordinator is open it is retried every {@link #LEFTOVER_RETRY_DELAY} until
     * {@link #LEFTOVER_RETRY} after now, and once more at close; then it is dropped, with one WARN. The entry is
     * unregistered from the inbox at once: it is garbage (its session never uses it again), so neither it nor its
     * session stays in memory, and an ownership question about it (see {@link OrphanReclaimer}) removes it too.
     * Whatever this coordinator fails to remove stays on the server until a waiter or observer of that name finds
     * the session key gone (deleted by the revocation, or expired at its TTL) or asks this coordinator, and removes it.
     * Non-blocking (runs on lettuce's thread, only schedules).
     */
    void leftOver(RedisSession session, RedisQueueEntry entry, Throwable error) {
        Leftover l = entry.leftover();
        inbox.unregister(l.member());
        if (isClosed()) {
            log.warn("revoking {}: could not remove {} ({}); the coordinator is closing: it tries once more, then others remove it"
                    + " once the session key is gone", session, l, error.toString());
        } else {
            log.warn("revoking {}: could not remove {} ({}); retrying in the background for {} s, and others remove it once the"
                    + " session key is gone", session, l, error.toString(), LEFTOVER_RETRY.toSeconds());
        }
        leftovers.put(l.member(), l);
        retryLeftover(l, System.nanoTime() + LEFTOVER_RETRY.toNanos());
    }

    private void retryLeftover(Leftover l, long deadlineNanos) {
        if (isClosed()) {
            return; // close tries it once more itself
        }
        if (System.nanoTime() - deadlineNanos >= 0) {
            if (leftovers.remove(l.member()) != null) {
                log.warn("gave up removing {} of an ended session after {} s; it stays on the server until a waiter or observer of that"
                        + " name finds its session key gone or asks this coordinator (see \"Orphaned entries\" in the coord-redis README)",
                        l, LEFTOVER_RETRY.toSeconds());
            }
            return;
        }
        try {
            scheduler().schedule(() -> removeLeftover(l).whenComplete((v, err) -> {
                if (err != null) {
                    log.debug("removing {} of an ended session failed again", l, err);
                    retryLeftover(l, deadlineNanos);
                }
            }), LEFTOVER_RETRY_DELAY.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // the coordinator is closing: it tries once more itself
        }
    }

    /** One {@code remove.lua} of a leftover (guarded by its exact member); forgets it once the server confirmed. */
    private CompletableFuture<Void> removeLeftover(Leftover l) {
        return link.<Long>eval(l.primitive(), RedisScript.REMOVE, ScriptOutputType.INTEGER, l.queue().keys(), l.member(),
                keys.inboxPrefix(), l.queue().observers()).thenRun(() -> leftovers.remove(l.member()));
    }

    /**
     * At close, on the closing thread: waits for the entry removals of sessions ending now (their failures become
     * leftovers), then one last removal of every leftover entry, sent together; both waits together are bounded by
     * one operation timeout (a server that is down does not make close take longer than that).
     */
    private void removeLeftovers() {
        long deadline = System.nanoTime() + operationTimeout().toNanos();
        try {
            CompletableFuture.allOf(revoking.toArray(CompletableFuture[]::new))
                    .get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            return;
        } catch (Exception stillRunning) {
            log.debug("closing: entry removals of ending sessions still running", stillRunning);
        }
        if (leftovers.isEmpty()) {
            return;
        }
        List<Leftover> all = List.copyOf(leftovers.values());
        CompletableFuture<?>[] removals = all.stream().map(this::removeLeftover).toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(removals).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        } catch (Exception failed) {
            log.warn("closing: {} of {} entries of ended sessions could not be removed ({}); each stays on the server until a waiter"
                    + " or observer of its name finds its session key gone", leftovers.size(), all.size(), failed.toString());
        }
        leftovers.clear();
    }

    // ---- for the recipes ------------------------------------------------------------------

    RedisKeys keys() {
        return keys;
    }

    RedisLink link() {
        return link;
    }

    /**
     * Whether this coordinator talks to a Redis Cluster (as detected when it connected, or as forced with
     * {@link RedisCoordinatorBuilder#cluster(boolean)}); fixed for the coordinator's life.
     *
     * @return true for a Redis Cluster, false for a single server
     */
    public boolean isCluster() {
        return link.isCluster();
    }

    /** A queue member unique to this coordinator and acquisition. */
    String newMember(String sessionId) {
        return RedisKeys.member(sessionId, coordinatorId, sequence.incrementAndGet());
    }

    static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /**
     * Registers an entry as owned by this coordinator; call it before its enqueue is sent. Fails
     * (and registers nothing) only if an ownership question about this very member is being
     * answered with a removal at this moment — impossible for a member that was never on a
     * server unless the question was forged; see {@link OrphanReclaimer}.
     */
    void registerWaiter(String member, Waiter waiter) {
        inbox.register(member, waiter);
    }

    void unregisterWaiter(String member) {
        inbox.unregister(member);
    }

    /** Adds a listener of a broadcast channel, subscribing it if needed (blocking, bounded by the operation timeout). */
    void listen(Primitive primitive, String channel, ChannelListener listener) throws Exception {
        listenAsync(primitive, channel, listener).get(operationTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Adds a listener of a broadcast channel, subscribing the channel if it is its first ({@link Inbox}); the answer
     * completes once the server confirmed the subscription, so a read sent then misses no message. The listener is
     * told {@link ChannelListener#resubscribed()} after every later re-subscription (a reconnect). Never blocks.
     */
    CompletableFuture<Void> listenAsync(Primitive primitive, String channel, ChannelListener listener) {
        return inbox.addListener(channel, listener, c -> link.subscribe(primitive, c));
    }

    /** Removes a listener; unsubscribes the channel when it was the last one (asynchronously). */
    void unlisten(Primitive primitive, String channel, ChannelListener listener) {
        inbox.removeListener(channel, listener, () -> {
            if (!isClosed()) {
                link.unsubscribe(primitive, channel).exceptionally(e -> null);
            }
        });
    }

    /**
     * How many orphaned entries of this coordinator were removed after an ownership question (diagnostics):
     * queue entries this coordinator had released but the server still held (a removal lost, e.g. in a
     * failover), found when a successor asked about them and deleted.
     *
     * @return the count since the coordinator was built; never decreases
     */
    public long orphansRemoved() {
        return orphans.removed();
    }

    // ---- the durability knob (see ReplicationConfirmer) ---------------------------------------

    /** Whether grants are followed by {@code WAIT}. */
    boolean confirmsReplication() {
        return replication.enabled();
    }

    /**
     * After a grant (sends only): {@code WAIT} for the configured replicas and
     * report the answer to the listeners, whatever it is. Never fails the grant.
     */
    CompletableFuture<ReplicaAcknowledgement> confirmReplication(Primitive primitive, String name, String slotKey, long token) {
        return replication.confirm(link, primitive, name, slotKey, token);
    }

    /**
     * The latest {@code WAIT} answer after a grant (see
     * {@link RedisCoordinatorBuilder#replicaAcknowledgement(int, java.time.Duration)}).
     *
     * @return the latest answer, or null if there was none yet or the knob is off
     */
    public ReplicaAcknowledgement lastReplicaAcknowledgement() {
        return replication.last();
    }

    /**
     * Tells {@code listener} of every {@code WAIT} answer after a grant, on the coordinator's event thread (so
     * the listener must not block). Never called while the durability knob is off.
     *
     * @param listener called once per answer
     * @return closing it stops further calls
     * @throws NullPointerException if {@code listener} is null
     */
    public Subscription onReplicaAcknowledgement(Consumer<ReplicaAcknowledgement> listener) {
        return replication.onAcknowledgement(listener);
    }

    /**
     * Runs {@code task} on a coord worker thread (blocking work), never on lettuce's. Dropped once
     * the coordinator is closed (the base would otherwise run it inline, possibly on lettuce's thread).
     */
    void onWorker(Runnable task) {
        if (!isClosed()) {
            workers().execute(task);
        }
    }
}
