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

    /** The election's name. */
    String electionName();

    /** The fencing token of this leadership. */
    long term();

    /** The value currently announced. */
    String value();

    /** True until resigned or lost; never true after the session's validity deadline. */
    boolean isLeader();

    /**
     * Announces a new value to observers (one round trip).
     *
     * @throws NotLeaderException if this leadership was resigned or lost
     */
    void proclaim(String newValue);

    /** Completes when the leadership is lost (not when resigned); see {@link io.coord.lock.LockGrant#whenLost()}. */
    CompletableFuture<LossReason> whenLost();

    /**
     * Steps down; the next candidate in line takes over. No-op if already resigned.
     *
     * @throws NotLeaderException if the leadership had been lost before
     */
    void resign();

    /** Same as {@link #resign()}. */
    @Override
    void close();
}
