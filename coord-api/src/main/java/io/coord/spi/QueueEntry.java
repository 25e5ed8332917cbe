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
 *       be missed. Cancelling the returned future unregisters the wait and frees what it holds.</li>
 *   <li>{@link #remove()} deletes this entry and only this entry (guarded by its identity), is
 *       idempotent, and is safe after an {@link #enqueue(int)} whose outcome is unknown.</li>
 *   <li>{@link #replaceValue(String)} rewrites the value, guarded by the entry's identity; false if
 *       the entry is gone.</li>
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
}
