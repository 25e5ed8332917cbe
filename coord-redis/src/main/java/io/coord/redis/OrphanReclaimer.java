package io.coord.redis;

import io.lettuce.core.ScriptOutputType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * One coordinator's answers to "do you still own member M?": removes a queue entry this
 * coordinator created but no longer owns (an orphan, left on the server by a lost removal), and
 * never one it owns. See the comment below for the problem, the mechanism and why it is safe.
 *
 * <h2>State and threads</h2>
 * <ul>
 *   <li>The registry of owned members is the {@link Inbox}'s; it is passed in as the
 *       {@code owned} predicate. This class owns {@code disowning} (members whose removal is in
 *       flight; {@link Inbox#register} refuses them meanwhile) and the {@code removed} counter.</li>
 *   <li>{@link #onOwnershipQuestion} runs on lettuce's thread (called by the {@link Inbox}) and
 *       never blocks: the removal runs on a coord worker thread of the coordinator
 *       ({@link #disown}), blocking there for at most the operation timeout.</li>
 *   <li>{@link #isBeingRemoved} is called by whichever thread registers a waiter.</li>
 * </ul>
 */
final class OrphanReclaimer {

    private static final Logger log = LoggerFactory.getLogger(OrphanReclaimer.class);

    private final RedisCoordinator coordinator;
    private final String coordinatorId;
    /** Members being removed by {@link #disown}: {@link Inbox#register} refuses them meanwhile. */
    private final Set<String> disowning = ConcurrentHashMap.newKeySet();
    private final AtomicLong removed = new AtomicLong();

    /**
     * @param coordinator   the coordinator whose link, keys and workers the removal uses
     * @param coordinatorId its id, the one inside every member it creates
     */
    OrphanReclaimer(RedisCoordinator coordinator, String coordinatorId) {
        this.coordinator = coordinator;
        this.coordinatorId = coordinatorId;
    }

    /*
     * THE PROBLEM. A queue entry has no TTL: it is dead only when its session key is gone. If the
     * effect of a removal is lost while its client believes it succeeded (a failover to a replica
     * that never received the acknowledged ZREM), the entry stays on the server, owned by nobody,
     * while its session lives on (renewed, because the client is fine): an orphan. Every waiter
     * would queue behind it until that session ends - for a long-lived session, forever.
     *
     * THE MECHANISM. Only the coordinator that created a member (its id is inside the member) can
     * tell an orphan from a live entry, and it can tell exactly: `waiters` (the Inbox's registry,
     * the `owned` predicate here) holds every entry it may have on a server. A waiter that has waited a whole wait (its predecessor's lease, or until a
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
     * repeats what its owner already did. (Or its session ended and its removal failed: the coordinator unregisters
     * it then and retries the removal itself, RedisCoordinator.leftOver; an ended session relies on nothing either.) An owned member is never removed, whoever asks (the
     * question is only a hint; a forged or stale one removes at most an unowned member). The one
     * window where a member is neither registered nor confirmed-removed - created but not yet
     * registered - is closed by `disowning`: the answer marks the member before it looks at
     * `waiters`, and Inbox.register registers before it looks at the mark, so at least one of the
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

    /** Whether an answer is removing {@code member} right now (then it must not be registered). */
    boolean isBeingRemoved(String member) {
        return disowning.contains(member);
    }

    /** On lettuce's thread: is {@code member} (in the queue {@code queueKey}) ours? Never blocks: the removal runs on a worker. */
    void onOwnershipQuestion(String member, String queueKey, Predicate<String> owned) {
        if (owned.test(member) || !coordinatorId.equals(RedisKeys.coordinatorOf(member))) {
            return; // ours and owned: the answer is "yes", nothing to do (or not ours at all)
        }
        RedisKeys keys = coordinator.keys();
        RedisKeys.QueueRef ref = keys.queueOfKey(queueKey).orElse(null);
        if (ref == null) {
            log.debug("ignoring an ownership question about a key outside namespace '{}': {} {}", keys.namespace(), member, queueKey);
            return;
        }
        if (!disowning.add(member)) {
            return; // already being removed
        }
        try {
            if (coordinator.isClosed()) {
                disowning.remove(member);
                return;
            }
            coordinator.workers().execute(() -> disown(ref, member, owned));
        } catch (RuntimeException closing) {
            disowning.remove(member);
        }
    }

    /** On a worker thread: removes {@code member} unless this coordinator owns it (see above). */
    private void disown(RedisKeys.QueueRef ref, String member, Predicate<String> owned) {
        try {
            if (owned.test(member) || coordinator.isClosed()) {
                return; // owned: never removed by this mechanism
            }
            RedisKeys.Queue q = ref.queue();
            Long count = coordinator.link().<Long>eval(ref.kind().primitive(), RedisScript.REMOVE, ScriptOutputType.INTEGER,
                    q.keys(), member, coordinator.keys().inboxPrefix(), q.observers())
                    .get(coordinator.operationTimeout().toMillis(), TimeUnit.MILLISECONDS);
            if (count != null && count == 1L) {
                removed.incrementAndGet();
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
    long removed() {
        return removed.get();
    }
}
