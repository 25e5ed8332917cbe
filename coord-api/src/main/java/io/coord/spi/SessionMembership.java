package io.coord.spi;

import io.coord.BackendUnavailableException;
import io.coord.LockLostException;
import io.coord.LossReason;
import io.coord.Primitive;
import io.coord.SessionState;
import io.coord.group.Member;
import io.coord.group.Membership;
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
 * <p>State JOINED → LEFT, or JOINED → LOST; {@code mutex} guards it and serialises updates, so the member
 * recorded here is always the one the server has from this handle. The loss signal completes on the event thread:
 * when the session ends ({@link SessionBase#whenEnded()} completes there) or when an update finds the entry gone.
 * The session's claim on (group, member id) is dropped once the membership is over.
 */
final class SessionMembership implements Membership {

    private static final Logger log = LoggerFactory.getLogger(SessionMembership.class);

    private enum State { JOINED, LEFT, LOST }

    private final SessionBase session;
    private final String group;
    private final String claimKey;
    private final CompletableFuture<LossReason> lost = new CompletableFuture<>();
    private final Object mutex = new Object();
    private State state = State.JOINED;
    private LossReason lossReason;
    private volatile Member member;

    private SessionMembership(SessionBase session, String group, String claimKey, Member member) {
        this.session = session;
        this.group = group;
        this.claimKey = claimKey;
        this.member = member;
    }

    /** Joins on the server (one round trip, on the caller's thread) under the session's claim of the member id. */
    static SessionMembership join(SessionBase session, String group, String memberId, String metadata) {
        String claimKey = "group\u0000" + group + "\u0000" + memberId;
        session.claim(claimKey, "member id '" + memberId + "' of group '" + group + "'");
        Member joined;
        try {
            session.stats().roundTrip(Primitive.GROUP);
            joined = await(session, session.joinGroup(group, memberId, metadata), "joining group '" + group + "'");
        } catch (RuntimeException e) {
            session.unclaim(claimKey);
            throw e;
        }
        SessionMembership m = new SessionMembership(session, group, claimKey, joined);
        session.whenEnded().thenAccept(end -> m.lose(end == SessionState.CLOSED ? LossReason.SESSION_CLOSED : LossReason.SESSION_EXPIRED));
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
        return System.nanoTime() - session.validUntilNanos() < 0;
    }

    @Override
    public CompletableFuture<LossReason> whenLost() {
        return lost.copy();
    }

    @Override
    public Member update(String metadata) {
        Arguments.metadata(metadata);
        synchronized (mutex) {
            ensureJoined();
            session.stats().roundTrip(Primitive.GROUP);
            Member current = member;
            java.util.Optional<Member> written = await(session, session.updateMember(group, current, metadata),
                    "updating member '" + current.id() + "' of group '" + group + "'");
            if (written.isEmpty()) {
                lose(LossReason.ENTRY_DELETED);
                ensureJoined();
            }
            member = written.orElseThrow();
            return member;
        }
    }

    @Override
    public void leave() {
        synchronized (mutex) {
            if (state != State.JOINED) {
                return;
            }
            if (!session.state().isTerminal()) {
                session.stats().roundTrip(Primitive.GROUP);
                await(session, session.leaveGroup(group, member), "leaving group '" + group + "'");
            }
            state = State.LEFT;
        }
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

    /** Must hold mutex. */
    private void ensureJoined() {
        if (state == State.LEFT) {
            throw new IllegalStateException("member '" + member.id() + "' has left group '" + group + "'; join again");
        }
        if (state == State.LOST) {
            throw LockLostException.of("membership of '" + member.id() + "' in group '" + group + "'", member.joinToken(), lossReason);
        }
    }

    /** JOINED → LOST (from the event thread or an update); the signal completes on the event thread. */
    private void lose(LossReason reason) {
        synchronized (mutex) {
            if (state != State.JOINED) {
                return;
            }
            state = State.LOST;
            lossReason = reason;
        }
        session.unclaim(claimKey);
        log.warn("membership of '{}' in group '{}' (join token {}) lost: {}", member.id(), group, member.joinToken(), reason);
        session.coordinator().events().execute(() -> lost.complete(reason));
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
