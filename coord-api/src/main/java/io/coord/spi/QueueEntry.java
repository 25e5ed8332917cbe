package io.coord.spi;

import java.util.concurrent.CompletableFuture;

/**
 * One session's entry in a backend's ordered queue for one name: the only part of a lock, fair lock
 * or election that talks to the server. The waiting loop over it ({@link Waiter}) and each
 * primitive's grant rule ({@link GrantRule}) are written once, in this package.
 *
 * <h2>Contract (the conformance kit checks it on every backend)</h2>
 * <ul>
 *   <li>The queue orders entries by the order in which the server recorded them; an entry belongs
 *       to its session's lease and disappears with it. Each entry has a token that is strictly
 *       greater than the token of every entry recorded before it on that name (the fencing token).</li>
 *   <li>{@link #enqueue(int)} appends this entry carrying its value and reports its position — one
 *       round trip where the backend allows. A retried request never creates a second entry.</li>
 *   <li>{@link #position(int)} re-reads the position: whether this entry still exists (gone means
 *       its session died) and, nearest first, up to {@code lookahead} entries standing ahead of it.</li>
 *   <li>{@link #whenGone(Position, Position.Ahead)} completes once {@code blocker} may have left the
 *       queue after the read that produced {@code seen}: {@code true} when the backend saw it go (a
 *       watch event, a message), {@code false} for a spurious wake-up (watch error, reconnect,
 *       safety-net timer) after which the engine re-reads. A departure after {@code seen} must never
 *       be missed. Cancelling the returned future unregisters the wait and frees what it holds. When a rule waits
 *       for several entries ({@link GrantRule.Wait}) the engine asks once per entry and counts the {@code true}
 *       answers, so for those rules (semaphores, read-write locks) {@code true} must mean that this very
 *       entry was seen to go, or that the backend knows the waiting entry's wait is over (Redis tells exactly
 *       the entries a departure grants, and completes each of their waits {@code true}).</li>
 *   <li>{@link #remove()} deletes this entry and only this entry (guarded by its identity), is
 *       idempotent, and is safe after an {@link #enqueue(int)} whose outcome is unknown.</li>
 *   <li>{@link #replaceValue(String)} rewrites the value, guarded by the entry's identity; false if
 *       the entry is gone.</li>
 *   <li>Semaphores and read-write locks ({@link io.coord.Primitive#SEMAPHORE}, {@link io.coord.Primitive#READ_WRITE_LOCK}):
 *       the entry's value is its tag, and every read reports each entry ahead with its tag
 *       ({@link Position.Ahead#tag()}); a lookahead of {@link GrantRule#ALL} reports every entry ahead.</li>
 *   <li>{@link #claimSlot(int)} (semaphores only): once granted, the entry claims the lowest slot number no
 *       other live entry of the name holds, with a new token; the claim lives on the session's lease and
 *       {@link #remove()} deletes it with the entry, atomically.</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * Every method only sends requests and returns; none blocks, and a pending wait holds no thread.
 * Futures may complete on a client library's I/O thread: the engine's continuations there only issue
 * the next request or complete internal futures — never user code, never a blocking call.
 */
public interface QueueEntry {

    /**
     * Appends this entry, carrying its value, and reads its position; called once per entry.
     *
     * @param lookahead how many entries ahead to report, nearest first
     * @return the position read with (or right after) the append; not {@link Position#present() present} if the
     *         session's lease is gone
     */
    CompletableFuture<Position> enqueue(int lookahead);

    /**
     * Re-reads this entry's position.
     *
     * @param lookahead how many entries ahead to report, nearest first
     * @return the position now; not {@link Position#present() present} once the entry is gone
     */
    CompletableFuture<Position> position(int lookahead);

    /**
     * Waits, holding no thread, until {@code blocker} may have left the queue after the read {@code seen}.
     *
     * @param seen    the read in which {@code blocker} stood ahead of this entry
     * @param blocker the entry waited for, as the grant rule chose it
     * @return {@code true} if the backend saw {@code blocker} go, {@code false} for a spurious wake-up; either way
     *         the caller re-reads
     */
    CompletableFuture<Boolean> whenGone(Position seen, Position.Ahead blocker);

    /**
     * Deletes this entry, and only this one, if it exists.
     *
     * @return completes once the entry is gone from the server (an entry already gone counts)
     */
    CompletableFuture<Void> remove();

    /**
     * Rewrites this entry's value (an election's proclaim).
     *
     * @param value the new value, already checked by {@link Arguments#value(String)}
     * @return {@code true} if rewritten, {@code false} if the entry is gone
     */
    CompletableFuture<Boolean> replaceValue(String value);

    /**
     * For a granted semaphore entry: claims the lowest of {@code slots} numbered slots that no other live entry of
     * the name holds, guarded so that two entries never claim one slot, and attached to the session's lease; the
     * claim's token is taken from the same strictly increasing source as the queue's tokens, at the time of the
     * claim, so it is greater than the token of every claim made before. At most {@code slots - 1} other claims
     * exist while this entry is granted (only granted entries claim, and the rule grants fewer than
     * {@code slots} entries ahead), so a free slot always exists; a backend retries when another claim won a race.
     *
     * @param slots the semaphore's number of permits
     * @return the claimed slot, or {@link Slot#GONE} if this entry no longer exists (its session died)
     */
    default CompletableFuture<Slot> claimSlot(int slots) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException(this + " has no slots"));
    }

    /**
     * A claimed semaphore slot.
     *
     * @param number the slot, in {@code [0, slots)}, or -1 for {@link #GONE}
     * @param token  the claim's token (the permit's fencing token), {@code > 0}; 0 for {@link #GONE}
     */
    record Slot(int number, long token) {

        /** No slot: the entry is gone. */
        public static final Slot GONE = new Slot(-1, 0);
    }
}
