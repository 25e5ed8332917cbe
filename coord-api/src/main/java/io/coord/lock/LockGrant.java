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

    /**
     * The lock's name.
     *
     * @return the name of the lock this grant is of
     */
    String lockName();

    /**
     * Strictly greater than every token granted before for this lock name; see {@link FencedLock}.
     *
     * @return the token, {@code > 0}, fixed for this grant: send it with every write to the protected resource
     */
    long fencingToken();

    /**
     * True until released or lost. Never true after the session's {@link io.coord.Session#validUntilNanos()},
     * even before the loss is signalled: past that instant another holder may exist.
     *
     * @return whether the grant is held at the instant of the call
     */
    boolean isHeld();

    /**
     * Completes with the reason when the grant is lost (session expired or closed, entry deleted).
     * Never completes when the grant is released normally. Listeners run on the coordinator's
     * event thread. Each call returns a new dependent future: completing it does not affect the grant.
     *
     * @return a new future of the loss reason
     */
    CompletableFuture<LossReason> whenLost();

    /**
     * Releases the lock (one server round trip, waited for on the caller's thread, bounded by the operation
     * timeout). No-op if already released.
     *
     * @throws LockLostException if the grant had been lost before this release
     * @throws io.coord.BackendUnavailableException if the server did not confirm the removal; the grant then counts
     *         as held again (though the removal may have reached the server) and the release may be retried
     */
    void release();

    /** Same as {@link #release()}. */
    @Override
    void close();
}
