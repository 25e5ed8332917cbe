package io.coord.spi;

import io.coord.Primitive;
import io.coord.lock.FairLock;
import java.util.function.Supplier;

/** The {@link FairLock} of every backend; the entries' {@code awaitTurn} must wait for the immediate predecessor only. */
public final class SessionFairLock extends SessionLock implements FairLock {

    public SessionFairLock(SessionBase session, String name, Supplier<QueueEntry> entries) {
        super(session, name, Primitive.FAIR_LOCK, entries);
    }
}
