package io.coord.election;

import io.coord.LossReason;
import io.coord.NotLeaderException;
import java.util.concurrent.CompletableFuture;

/**
 * Being the leader of an election, until resigned or lost with the session.
 *
 * <p>{@link #term()} is strictly greater than every earlier leader's term: use it as a fencing
 * token. {@link #proclaim(String)} is guarded on the server by this leadership's identity, so a
 * deposed leader can never overwrite a newer leader's value.
 */
public interface Leadership extends AutoCloseable {

    /**
     * The election's name.
     *
     * @return the name of the election led
     */
    String electionName();

    /**
     * The fencing token of this leadership.
     *
     * @return the term, {@code > 0}, strictly greater than every earlier leader's; fixed for this leadership
     */
    long term();

    /**
     * The value currently announced.
     *
     * @return the campaign's value, or that of the last successful {@link #proclaim(String)}; not re-read from the server
     */
    String value();

    /**
     * True until resigned or lost; never true after the session's validity deadline.
     *
     * @return whether this is the leadership at the instant of the call
     */
    boolean isLeader();

    /**
     * Announces a new value to observers (one round trip, waited for on the caller's thread, bounded by the operation
     * timeout).
     *
     * @param newValue at most 4096 UTF-8 bytes (may be empty)
     * @throws NotLeaderException if this leadership was resigned or lost, or its entry is gone on the server (it is
     *         then reported lost with {@link LossReason#ENTRY_DELETED})
     * @throws io.coord.BackendUnavailableException if the server does not answer in time, or the caller is interrupted
     */
    void proclaim(String newValue);

    /**
     * Completes when the leadership is lost (not when resigned); see {@link io.coord.lock.LockGrant#whenLost()}.
     *
     * @return a new future of the loss reason
     */
    CompletableFuture<LossReason> whenLost();

    /**
     * Steps down; the next candidate in line takes over. No-op if already resigned.
     *
     * @throws NotLeaderException if the leadership had been lost before
     * @throws io.coord.BackendUnavailableException if the server did not confirm the removal; the leadership then
     *         counts as held again (though the removal may have reached the server) and the resignation may be retried
     */
    void resign();

    /** Same as {@link #resign()}. */
    @Override
    void close();
}
