package io.coord.spi;

import io.coord.lock.FencedLock;

/**
 * One waiter's entry in a backend's queue for a lock or an election: the part of a recipe that
 * talks to the server. Its methods run on a coord worker thread and may block; they must not run
 * on a client library's callback thread.
 *
 * <p>Contract, which the conformance kit checks for every backend:
 * <ul>
 *   <li>{@link #enqueue()} puts the entry on the server (one round trip where the backend allows);</li>
 *   <li>{@link #awaitTurn(Deadline)} returns only when this entry is first in line, with a fencing
 *       token strictly greater than any earlier grant's (see {@link FencedLock}); it is
 *       interruptible and throws {@link java.util.concurrent.TimeoutException} at the deadline;
 *       it must fail with {@link io.coord.SessionExpiredException} if the entry vanished while
 *       waiting (the session died), never return a token for a vanished entry;</li>
 *   <li>{@link #remove()} deletes this entry and only this entry (guarded by its identity), is
 *       idempotent, and works even when {@link #enqueue()} was interrupted with its outcome unknown.</li>
 * </ul>
 */
public interface QueueEntry {

    void enqueue() throws Exception;

    long awaitTurn(Deadline deadline) throws Exception;

    void remove() throws Exception;
}
