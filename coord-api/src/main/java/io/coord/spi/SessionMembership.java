package io.coord.spi;

import io.coord.BackendUnavailableException;
import io.coord.LockLostException;
import io.coord.LossReason;
import io.coord.Primitive;
import io.coord.group.Member;
import io.coord.group.Membership;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A membership on top of the session's three group hooks ({@link SessionBase#joinGroup},
 * {@link SessionBase#updateMember}, {@link SessionBase#leaveGroup}).
 *
 * <p>Who owns what: {@code mutex} guards the state (JOINED → LEFT, or JOINED → LOST) and is held only for a few
 * instructions, never across a round trip, so the session's end (which calls {@link #lose} on whatever thread
 * ends it) never waits for a write. {@code writes} serialises this handle's writes (update, leave) across their
 * round trips, so the member recorded here is always the one the server has from this handle. The loss signal
 * completes on the event thread. The session's claim on (group, member id) is dropped once the membership is
 * over, and only then: a join whose reply was lost keeps it until the entry it may have created is removed.
 *
 * <p>Why a write is safe: every write is guarded on the server by the join token (and version) recorded here, so
 * a write that races a newer join of the same id, or the session's end, changes nothing. A write is not sent once
 * the session's validity has passed; a write refused while the session is ending reports the session's end, not
 * a deletion by someone else.
 */
final class SessionMembership implements Membership {

    private static final Logger log = LoggerFactory.getLogger(SessionMembership.class);

    private enum State { JOINED, LEFT, LOST }

    private final SessionBase session;
    private final String group;
    private final String claimKey;
    private final CompletableFuture<LossReason> lost = new CompletableFuture<>();
    private final Object mutex = new Object();
    private final Object writes = new Object();
    private State state = State.JOINED;
    private LossReason lossReason;
    private volatile Member member;

    private SessionMembership(SessionBase session, String group, String claimKey, Member member) {
        this.session = session;
        this.group = group;
        this.claimKey = claimKey;
        this.member = member;
    }

    /**
     * Joins on the server (one round trip, on the caller's thread) under the session's claim of the member id. If
     * the reply is lost, the join may have been applied: the entry is looked up and removed in the background
     * (guarded by its join token), and the claim is kept until then.
     */
    static SessionMembership join(SessionBase session, String group, String memberId, String metadata) {
        String claimKey = "group/" + NameEncoding.encode(group) + "/" + NameEncoding.encode(memberId);
        session.claim(claimKey, "member id '" + memberId + "' of group '" + group + "'");
        Member joined;
        try {
            session.stats().roundTrip(Primitive.GROUP);
            joined = await(session, session.joinGroup(group, memberId, metadata), "joining group '" + group + "'");
        } catch (BackendUnavailableException e) {
            removeUnconfirmedJoin(session, group, memberId, claimKey);
            throw e;
        } catch (RuntimeException e) {
            session.unclaim(claimKey);
            throw e;
        }
        SessionMembership m = new SessionMembership(session, group, claimKey, joined);
        if (!session.adoptMembership(m)) {
            // The session ended during the join: its end removes the entry on the server.
            m.lose(session.endReason());
        }
        log.debug("session {} joined group '{}' as '{}' (join token {})", session.id(), group, memberId, joined.joinToken());
        return m;
    }

    @Override
    public String group() {
        return group;
    }

    @Override
    public String memberId() {
        return member.id();
    }

    @Override
    public Member member() {
        return member;
    }

    @Override
    public boolean isJoined() {
        synchronized (mutex) {
            if (state != State.JOINED) {
                return false;
            }
        }
        return sessionValid(session);
    }

    @Override
    public CompletableFuture<LossReason> whenLost() {
        return lost.copy();
    }

    @Override
    public Member update(String metadata) {
        Arguments.metadata(metadata);
        synchronized (writes) {
            ensureJoined();
            Member current = member;
            session.stats().roundTrip(Primitive.GROUP);
            Optional<Member> written = await(session, session.updateMember(group, current, metadata),
                    "updating member '" + current.id() + "' of group '" + group + "'");
            if (written.isEmpty()) {
                lose(sessionValid(session) ? LossReason.ENTRY_DELETED : session.endReason());
            }
            synchronized (mutex) {
                if (state == State.JOINED) {
                    member = written.orElseThrow();
                }
            }
            ensureJoined();
            return member;
        }
    }

    @Override
    public void leave() {
        synchronized (writes) {
            synchronized (mutex) {
                if (state != State.JOINED) {
                    return;
                }
            }
            if (sessionValid(session)) {
                session.stats().roundTrip(Primitive.GROUP);
                await(session, session.leaveGroup(group, member), "leaving group '" + group + "'");
            } // else: the session is ending, and its end removes the entry on the server
            synchronized (mutex) {
                if (state != State.JOINED) {
                    return;
                }
                state = State.LEFT;
            }
        }
        session.forgetMembership(this);
        session.unclaim(claimKey);
    }

    @Override
    public void close() {
        leave();
    }

    @Override
    public String toString() {
        Member m = member;
        return "Membership[group=" + group + ", member=" + m.id() + ", joinToken=" + m.joinToken() + ", session=" + session.id() + "]";
    }

    /** JOINED → LOST (from the session's end, on any thread, or from an update); the signal completes on the event thread. */
    void lose(LossReason reason) {
        synchronized (mutex) {
            if (state != State.JOINED) {
                return;
            }
            state = State.LOST;
            lossReason = reason;
        }
        session.forgetMembership(this);
        session.unclaim(claimKey);
        Member m = member;
        if (reason == LossReason.SESSION_CLOSED) {
            log.debug("membership of '{}' in group '{}' (join token {}) ended with its session", m.id(), group, m.joinToken());
        } else {
            log.warn("membership of '{}' in group '{}' (join token {}) lost: {}", m.id(), group, m.joinToken(), reason);
        }
        session.coordinator().events().execute(() -> lost.complete(reason));
    }

    /** Throws unless JOINED and the session is still valid (a write is never sent once it may be gone). */
    private void ensureJoined() {
        if (!sessionValid(session)) {
            lose(session.endReason());
        }
        synchronized (mutex) {
            if (state == State.LEFT) {
                throw new IllegalStateException("member '" + member.id() + "' has left group '" + group + "'; join again");
            }
            if (state == State.LOST) {
                throw LockLostException.of("membership of '" + member.id() + "' in group '" + group + "'", member.joinToken(), lossReason);
            }
        }
    }

    /**
     * A join whose reply was lost may have been applied: find this session's entry of the id and remove it, in the
     * background, guarded by the join token found. The claim is dropped once that is settled; if it cannot be,
     * it is kept (the entry, if any, goes with the session) and this session cannot join that id again.
     */
    private static void removeUnconfirmedJoin(SessionBase session, String group, String memberId, String claimKey) {
        CompletableFuture.runAsync(() -> {
            try {
                Optional<Member> applied = session.coordinator().group(group).members().member(memberId)
                        .filter(m -> m.sessionId().equals(session.id()));
                if (applied.isPresent() && sessionValid(session)) {
                    session.stats().roundTrip(Primitive.GROUP);
                    await(session, session.leaveGroup(group, applied.get()), "removing an unconfirmed join of group '" + group + "'");
                    log.debug("removed the join of '{}' in group '{}' whose reply was lost", memberId, group);
                }
                session.unclaim(claimKey);
            } catch (RuntimeException e) {
                log.warn("could not check whether the join of '{}' in group '{}' (reply lost) was applied; if it was, the entry "
                        + "stays until session {} ends, and this session cannot join that id again", memberId, group, session.id(), e);
            }
        }, session.coordinator().workers());
    }

    /** Not ended, and its validity deadline has not passed: until then the server still has the session. */
    private static boolean sessionValid(SessionBase session) {
        return !session.state().isTerminal() && System.nanoTime() - session.validUntilNanos() < 0;
    }

    private static <T> T await(SessionBase session, CompletableFuture<T> reply, String what) {
        boolean interrupted = Thread.interrupted();
        try {
            return reply.get(session.coordinator().operationTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new BackendUnavailableException(what + " failed: " + cause, cause);
        } catch (TimeoutException e) {
            reply.cancel(false);
            throw new BackendUnavailableException(what + ": no reply from " + session.coordinator().backend() + " within "
                    + session.coordinator().operationTimeout().toMillis() + " ms", e);
        } catch (InterruptedException e) {
            interrupted = true;
            throw new BackendUnavailableException("interrupted while " + what, e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
