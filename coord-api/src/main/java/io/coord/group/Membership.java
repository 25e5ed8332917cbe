package io.coord.group;

import io.coord.LossReason;
import java.util.concurrent.CompletableFuture;

/**
 * A session's membership of a group, from {@link io.coord.Session#join(String, String, String)}.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>The membership is a lease: the member entry lives on the server as long as the session, and the server
 *       removes it when the session ends (close, expiry), whether or not {@link #leave()} was called.</li>
 *   <li>{@link #update(String)} is one round trip, applied only while the entry is still this membership's
 *       (the same join, of this session): a stale handle can never overwrite a newer join of the same id.</li>
 *   <li>A member id is held by one live session at a time: a second session joining the same id fails with
 *       {@link io.coord.MemberIdInUseException} until the first leaves or its session ends; joining it again from
 *       the same session fails with {@link io.coord.AlreadyHeldException}.</li>
 *   <li>Methods may be called from any thread; updates of one membership are applied in the order they return.</li>
 * </ul>
 */
public interface Membership extends AutoCloseable {

    /**
     * The group's name.
     *
     * @return the name given to join
     */
    String group();

    /**
     * The member id.
     *
     * @return the id given to join
     */
    String memberId();

    /**
     * The member as last written by this membership (join or update).
     *
     * @return the member, with its join token and version
     */
    Member member();

    /**
     * Whether the membership stands: not left, not lost, and the session's validity deadline has not passed.
     *
     * @return true while joined
     */
    boolean isJoined();

    /**
     * Completes (on the coordinator's event thread) when the membership is lost without {@link #leave()}: its
     * session ended, or the entry was deleted by someone else.
     *
     * @return a new future each call; it never completes after a leave
     */
    CompletableFuture<LossReason> whenLost();

    /**
     * Replaces the metadata: one round trip, applied only if the entry is still this membership's.
     *
     * @param metadata at most 4 096 UTF-8 bytes, not null (empty allowed)
     * @return the member as written, with a greater {@link Member#version()}
     * @throws NullPointerException                 if {@code metadata} is null
     * @throws IllegalArgumentException             if it is too long
     * @throws IllegalStateException                if this membership was left
     * @throws io.coord.LockLostException           if the membership was lost (its reason says why)
     * @throws io.coord.BackendUnavailableException if the server cannot be reached in time (the update may or may
     *                                              not have been applied; retrying is safe)
     */
    Member update(String metadata);

    /**
     * Leaves the group: deletes the entry (one round trip) if it is still this membership's. Idempotent; a lost
     * membership leaves nothing to delete and returns quietly.
     *
     * @throws io.coord.BackendUnavailableException if the server cannot be reached in time (the session's end
     *                                              removes the entry in any case)
     */
    void leave();

    /** Same as {@link #leave()}. */
    @Override
    void close();
}
