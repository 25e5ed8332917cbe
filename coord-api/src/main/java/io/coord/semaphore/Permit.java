package io.coord.semaphore;

import io.coord.LockLostException;
import io.coord.LossReason;
import java.util.concurrent.CompletableFuture;

/**
 * One permit of a {@link Semaphore}: held until released, or until lost with its session.
 *
 * <p>{@link #release()}/{@link #close()} may be called from any thread. Releasing twice is a no-op. Releasing a
 * permit that was lost throws {@link LockLostException}, because the work done under it may have overlapped a
 * newer holder of its slot; the release never touches another holder's permit.
 */
public interface Permit extends AutoCloseable {

    /**
     * The semaphore's name.
     *
     * @return the name of the semaphore this permit is of
     */
    String semaphoreName();

    /**
     * This permit's number, unique among the live permits of the semaphore; see {@link Semaphore}.
     *
     * @return a number in {@code [0, permits)}, fixed for this permit
     */
    int slot();

    /**
     * Strictly greater than the token of every permit of this name granted before; see {@link Semaphore}.
     *
     * @return the token, {@code > 0}, fixed for this permit: send it with every write to the protected resource
     */
    long fencingToken();

    /**
     * True until released or lost. Never true after the session's {@link io.coord.Session#validUntilNanos()},
     * even before the loss is signalled: past that instant another holder may have this permit's slot.
     *
     * @return whether the permit is held at the instant of the call
     */
    boolean isHeld();

    /**
     * Completes with the reason when the permit is lost (session expired or closed). Never completes when the permit
     * is released normally. Listeners run on the coordinator's event thread. Each call returns a new dependent future.
     *
     * @return a new future of the loss reason
     */
    CompletableFuture<LossReason> whenLost();

    /**
     * Releases the permit (one server round trip, waited for on the caller's thread, bounded by the operation
     * timeout). No-op if already released.
     *
     * @throws LockLostException if the permit had been lost before this release
     * @throws io.coord.BackendUnavailableException if the server did not confirm the removal; the permit then counts
     *         as held again and the release may be retried
     */
    void release();

    /** Same as {@link #release()}. */
    @Override
    void close();
}
