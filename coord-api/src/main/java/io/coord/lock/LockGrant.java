package io.coord.lock;

import io.coord.LockLostException;
import io.coord.LossReason;
import java.util.concurrent.CompletableFuture;

/**
 * One grant of a lock: held until released, or until lost with its session.
 *
 * <p>{@link #release()}/{@link #close()} may be called from any thread. Releasing twice is a
 * no-op. Releasing a grant that was lost throws {@link LockLostException}, because the work done
 * under it was not protected by the lock; the release never touches another holder's entry.
 */
public interface LockGrant extends AutoCloseable {

    /** The lock's name. */
    String lockName();

    /** Strictly greater than every token granted before for this lock name; see {@link FencedLock}. */
    long fencingToken();

    /**
     * True until released or lost. Never true after the session's {@link io.coord.Session#validUntilNanos()},
     * even before the loss is signalled: past that instant another holder may exist.
     */
    boolean isHeld();

    /**
     * Completes with the reason when the grant is lost (session expired or closed, entry deleted).
     * Never completes when the grant is released normally. Listeners run on the coordinator's
     * event thread. Each call returns a new dependent future: completing it does not affect the grant.
     */
    CompletableFuture<LossReason> whenLost();

    /**
     * Releases the lock (one server round trip). No-op if already released.
     *
     * @throws LockLostException if the grant had been lost before this release
     */
    void release();

    /** Same as {@link #release()}. */
    @Override
    void close();
}
