package io.coord.election;

import io.coord.AlreadyHeldException;
import io.coord.SessionExpiredException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * An election in which the owning session may campaign.
 *
 * <p>Guarantees: candidates become leader in the order the backend recorded their campaigns; at
 * most one live session leads at a time; each new leader's {@link Leadership#term()} is strictly
 * greater than every earlier leader's, so the term is a fencing token. A campaign that fails,
 * times out or is cancelled removes its candidacy before it reports failure; a campaign never
 * succeeds on a session that has ended.
 */
public interface Election extends ElectionView {

    /**
     * Blocks until this session leads, announcing {@code value}.
     *
     * @param value at most 4096 UTF-8 bytes (may be empty)
     * @return the leadership, held by the owning session
     * @throws InterruptedException if interrupted while waiting; the candidacy is withdrawn first
     * @throws SessionExpiredException if the session ends first
     * @throws AlreadyHeldException if this session already campaigns in or leads this election
     */
    Leadership campaign(String value) throws InterruptedException;

    /**
     * Campaigns for at most {@code timeout}; empty if not elected by then (the candidacy is withdrawn first).
     *
     * @param value   at most 4096 UTF-8 bytes (may be empty)
     * @param timeout between 0 and 24 hours; {@code Duration.ZERO} tries once
     * @return the leadership, or empty if not elected in time
     * @throws InterruptedException if interrupted while waiting; the candidacy is withdrawn first
     * @throws SessionExpiredException if the session ends first
     * @throws AlreadyHeldException if this session already campaigns in or leads this election
     */
    Optional<Leadership> campaign(String value, Duration timeout) throws InterruptedException;

    /**
     * Asynchronous campaign; cancelling the future withdraws the candidacy (a leadership that raced the
     * cancellation is resigned).
     *
     * @param value at most 4096 UTF-8 bytes (may be empty)
     * @return the campaign's own future; it completes on the coordinator's event thread
     * @throws SessionExpiredException if the session has already ended
     * @throws AlreadyHeldException if this session already campaigns in or leads this election (thrown, not in the future)
     */
    CompletableFuture<Leadership> campaignAsync(String value);
}
