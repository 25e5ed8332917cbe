package io.coord.redis;

import io.coord.BackendUnavailableException;
import io.coord.MemberIdInUseException;
import io.coord.Primitive;
import io.coord.group.Member;
import io.coord.spi.QueueEntry;
import io.coord.spi.SessionBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A Redis session: the key {@code coord:<ns>:s:<id>} with a TTL kept by the Redis server's clock.
 *
 * <p>Guarantees (besides {@link SessionBase}'s):
 * <ul>
 *   <li>Created with {@code SET key NX PX ttl} under a fresh random 128-bit id; renewed every TTL/3
 *       with a single {@code PEXPIRE key ttl} — <b>one round trip per renewal however many locks,
 *       fair locks and candidacies the session has</b>, because their entries carry the session id
 *       and no TTL of their own. {@code PEXPIRE} never re-creates a missing key, so once the key
 *       is gone the session is dead for good: that is what makes it safe for anyone to remove a
 *       dead session's entries after one {@code PTTL} answered -2.</li>
 *   <li>The granted TTL is the requested one rounded up to whole milliseconds (Redis does not clamp).</li>
 *   <li>Close (and a local expiry while the process is alive) removes every entry and group member the
 *       session has, waking the next waiter of each, then deletes the key. A crashed process's entries are
 *       removed by the next participant that finds the key expired, its group members by the next reader,
 *       watch or joiner of the group.</li>
 * </ul>
 *
 * <p>State: {@code entries} (concurrent) holds every queue entry of this session that may exist on
 * the server, from just before its enqueue is sent until its removal is confirmed. Removals that
 * failed are retried after each successful renewal (until the session ends, when the revocation
 * retries them once more, then the coordinator retries them in the background: see {@link RedisCoordinator#leftOver}).
 * {@code members} (concurrent) holds every group member of this session that may exist on the server, from just
 * before its join is sent until its leave is answered (or the join was refused); the revocation removes each
 * ({@code leave.lua} guarded by this session's id) before the session key. A member whose removal fails then is not
 * retried: once the session key is gone (deleted, or expired at its TTL) any reader of the group evicts it
 * ({@link RedisGroup}). A join answered after the session ended is taken back at once.
 */
final class RedisSession extends SessionBase {

    private static final Logger log = LoggerFactory.getLogger(RedisSession.class);

    private final RedisCoordinator redis;
    private final String key;
    private final long ttlMillis;
    private final Map<String, RedisQueueEntry> entries = new ConcurrentHashMap<>();
    private final Map<String, RedisQueueEntry> failedRemovals = new ConcurrentHashMap<>();
    /** Group members this session may have on the server, by group and member id (see the class comment). */
    private final Map<String, Joined> members = new ConcurrentHashMap<>();

    /** A member of this session: its group and id (its join token does not matter to the session's end). */
    private record Joined(RedisGroup group, String memberId) {
    }

    private RedisSession(RedisCoordinator coordinator, String id, Duration requested, long ttlMillis, long sentNanos) {
        super(coordinator, id, requested, Duration.ofMillis(ttlMillis), sentNanos);
        this.redis = coordinator;
        this.key = coordinator.keys().session(id);
        this.ttlMillis = ttlMillis;
    }

    /** Creates the session key (blocking, one round trip). */
    public static RedisSession open(RedisCoordinator coordinator, Duration ttl) {
        long ttlMillis = Math.max(1, (ttl.toNanos() + 999_999) / 1_000_000);
        for (int attempt = 0; attempt < 3; attempt++) {
            String id = RedisCoordinator.randomHex(16);
            String key = coordinator.keys().session(id);
            long sent = System.nanoTime();
            boolean created;
            try {
                created = coordinator.link().createLease(key, Long.toString(ttlMillis), ttlMillis)
                        .get(coordinator.operationTimeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackendUnavailableException("interrupted while opening a Redis session", e);
            } catch (Exception e) {
                throw new BackendUnavailableException("cannot open a Redis session: " + e, e);
            }
            if (created) {
                return new RedisSession(coordinator, id, ttl, ttlMillis, sent);
            }
            log.warn("session id {} already existed on the server (random collision); drawing another", id);
        }
        throw new BackendUnavailableException("cannot open a Redis session: three random ids were all taken", null);
    }

    public RedisCoordinator redis() {
        return redis;
    }

    /** The session key on the server. */
    public String key() {
        return key;
    }

    // ---- SessionBase hooks ------------------------------------------------------------------

    @Override
    protected CompletableFuture<Boolean> renewOnce() {
        // counted by SessionBase as the one SESSION round trip of this renewal
        return redis.link().renewLease(key, ttlMillis).thenApply(alive -> {
            if (Boolean.TRUE.equals(alive) && !failedRemovals.isEmpty() && !state().isTerminal()) {
                retryFailedRemovals();
            }
            return alive;
        });
    }

    @Override
    protected CompletableFuture<Void> revoke() {
        List<CompletableFuture<?>> removals = new ArrayList<>();
        for (RedisQueueEntry e : entries.values()) {
            removals.add(e.remove().exceptionally(err -> {
                redis.leftOver(this, e, err);
                return null;
            }));
        }
        for (Joined j : members.values()) {
            removals.add(j.group().removeOnEnd(id(), j.memberId()).handle((v, err) -> {
                if (err != null) {
                    log.warn("revoking {}: could not remove member '{}' of {} ({}); it goes once the session key is gone"
                            + " (deleted below, or expired at its TTL) and a reader of the group evicts it",
                            this, j.memberId(), j.group(), unwrap(err).toString());
                }
                return null;
            }));
        }
        CompletableFuture<Void> removed = CompletableFuture.allOf(removals.toArray(CompletableFuture[]::new));
        redis.revoking(removed);
        return removed.thenCompose(v -> redis.link().delete(Primitive.SESSION, key)).thenApply(n -> null);
    }

    @Override
    protected QueueEntry newEntry(Primitive primitive, String name, String value) {
        return new RedisQueueEntry(this, primitive, name, value);
    }

    @Override
    protected CompletableFuture<Member> joinGroup(String group, String memberId, String metadata) {
        RedisGroup g = new RedisGroup(redis, group);
        String key = memberKey(group, memberId);
        members.put(key, new Joined(g, memberId));
        return g.join(id(), memberId, metadata).whenComplete((joined, error) -> {
            if (error != null && unwrap(error) instanceof MemberIdInUseException) {
                members.remove(key); // nothing of ours was written
            } else if (error == null && state().isTerminal()) {
                // joined after the session ended, perhaps after its revocation ran: take it back
                g.removeOnEnd(id(), memberId).exceptionally(e -> Optional.empty());
            }
        });
    }

    @Override
    protected CompletableFuture<Optional<Member>> updateMember(String group, Member current, String metadata) {
        return new RedisGroup(redis, group).update(current, metadata);
    }

    @Override
    protected CompletableFuture<Boolean> leaveGroup(String group, Member current) {
        String key = memberKey(group, current.id());
        return new RedisGroup(redis, group).leave(current).thenApply(left -> {
            members.remove(key);
            return left;
        });
    }

    // ---- entries ------------------------------------------------------------------------------

    /** Called just before an entry's enqueue is sent. */
    public void track(RedisQueueEntry entry) {
        entries.put(entry.member(), entry);
    }

    /** Called once the server confirmed the entry is gone. */
    public void untrack(RedisQueueEntry entry) {
        entries.remove(entry.member());
        failedRemovals.remove(entry.member());
    }

    /** A removal failed (server unreachable): retry it after the next successful renewal. */
    public void removalFailed(RedisQueueEntry entry) {
        failedRemovals.put(entry.member(), entry);
    }

    private void retryFailedRemovals() {
        for (RedisQueueEntry e : List.copyOf(failedRemovals.values())) {
            e.remove().exceptionally(err -> {
                log.debug("retrying the removal of {} failed again", e, err);
                return null;
            });
        }
    }

    private static String memberKey(String group, String memberId) {
        return group + "\u0000" + memberId;
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    /** Milliseconds of the TTL, for waiters' polling. */
    public long ttlMillis() {
        return ttlMillis;
    }
}
