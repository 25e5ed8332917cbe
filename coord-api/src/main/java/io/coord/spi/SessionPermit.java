package io.coord.spi;

import io.coord.CoordException;
import io.coord.LockLostException;
import io.coord.LossReason;
import io.coord.Primitive;
import io.coord.semaphore.Permit;
import java.util.concurrent.CompletableFuture;

/** The {@link Permit} of every backend: a granted {@link QueueEntry}, its slot and its slot claim's token. */
final class SessionPermit extends HeldBase implements Permit {

    private final int slot;

    SessionPermit(SessionBase session, String claimKey, String name, long token, int slot, QueueEntry entry) {
        super(session, Primitive.SEMAPHORE, claimKey, name, token, entry);
        this.slot = slot;
    }

    @Override
    public String semaphoreName() {
        return name();
    }

    @Override
    public int slot() {
        return slot;
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
        return LockLostException.of("permit " + slot + " of semaphore '" + name() + "'", token(), reason);
    }

    @Override
    public String toString() {
        return "permit " + slot + " of semaphore '" + name() + "' (token " + token() + (isHeld() ? ", held)" : ", not held)");
    }
}
