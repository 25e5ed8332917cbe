package io.coord.spi;

import io.coord.Primitive;
import io.coord.lock.FairLock;
import java.util.function.Supplier;

/** The {@link FairLock} of every backend: the same rule as {@link SessionLock}, over a queue served in record order. */
final class SessionFairLock extends SessionLock implements FairLock {

    SessionFairLock(SessionBase session, String name, Supplier<QueueEntry> entries) {
        super(session, name, Primitive.FAIR_LOCK, entries);
    }
}
