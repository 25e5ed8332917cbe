package io.coord.spi;

import io.coord.CoordException;
import io.coord.LockLostException;
import io.coord.LossReason;
import io.coord.Primitive;
import io.coord.lock.LockGrant;
import java.util.concurrent.CompletableFuture;

/** The {@link LockGrant} of every backend: a held {@link QueueEntry} and its token. */
final class SessionGrant extends HeldBase implements LockGrant {

    SessionGrant(SessionBase session, Primitive primitive, String claimKey, String name, long token, QueueEntry entry) {
        super(session, primitive, claimKey, name, token, entry);
    }

    @Override
    public String lockName() {
        return name();
    }

    @Override
    public long fencingToken() {
        return token();
    }

    @Override
    public boolean isHeld() {
        return isHeldNow();
    }

    @Override
    public CompletableFuture<LossReason> whenLost() {
        return lossSignal();
    }

    @Override
    public void release() {
        releaseEntry();
    }

    @Override
    public void close() {
        releaseEntry();
    }

    @Override
    CoordException lostError(LossReason reason) {
        return new LockLostException(name(), token(), reason);
    }

    @Override
    public String toString() {
        return "grant of '" + name() + "' (token " + token() + (isHeld() ? ", held)" : ", not held)");
    }
}
