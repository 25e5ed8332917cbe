package io.coord.spi;

import io.coord.Primitive;
import io.coord.Session;
import io.coord.lock.FairLock;
import io.coord.lock.FencedLock;
import io.coord.lock.LockGrant;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The {@link FencedLock} of every backend: the backend supplies a fresh {@link QueueEntry} per
 * acquisition; this class supplies the argument checks, the no-re-entrance rule, the grant rule
 * ({@link GrantRule#FIRST_IN_LINE}) and the three acquisition forms with their cancellation hygiene
 * (see {@link Waiter}).
 */
class SessionLock implements FencedLock {

    private final SessionBase session;
    private final String name;
    private final Acquisitions.Target target;
    private final Supplier<QueueEntry> entries;

    /**
     * @param primitive LOCK or FAIR_LOCK (separate claim spaces: a lock and a fair lock of the same name are different locks)
     * @param entries   a new, not yet enqueued entry for each acquisition
     */
    SessionLock(SessionBase session, String name, Primitive primitive, Supplier<QueueEntry> entries) {
        this(name, new Acquisitions.Target(session, primitive, name, primitive + ":" + name,
                (primitive == Primitive.FAIR_LOCK ? "fair lock '" : "lock '") + name + "'", GrantRule.FIRST_IN_LINE), entries);
    }

    /** A lock under another rule and claim: one mode of a {@link SessionReadWriteLock}. */
    SessionLock(String name, Acquisitions.Target target, Supplier<QueueEntry> entries) {
        this.session = target.session();
        this.name = name;
        this.target = target;
        this.entries = entries;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final Session session() {
        return session;
    }

    @Override
    public final LockGrant acquire() throws InterruptedException {
        session.ensureLive();
        QueueEntry entry = entries.get();
        return Acquisitions.blocking(target, entry, (token, slot) -> grant(entry, token));
    }

    @Override
    public final Optional<LockGrant> tryAcquire(Duration timeout) throws InterruptedException {
        Arguments.timeout(timeout);
        session.ensureLive();
        QueueEntry entry = entries.get();
        return Acquisitions.timed(target, entry, timeout, (token, slot) -> grant(entry, token)).map(g -> g);
    }

    @Override
    public final CompletableFuture<LockGrant> acquireAsync() {
        session.ensureLive();
        QueueEntry entry = entries.get();
        // The very future of the acquisition, so that cancelling it abandons the acquisition.
        @SuppressWarnings("unchecked")
        CompletableFuture<LockGrant> future = (CompletableFuture<LockGrant>) (CompletableFuture<?>)
                Acquisitions.async(target, entry, (token, slot) -> grant(entry, token));
        return future;
    }

    private SessionGrant grant(QueueEntry entry, long token) {
        return new SessionGrant(session, target.primitive(), target.claimKey(), name, token, entry);
    }

    @Override
    public String toString() {
        return target.description() + " of " + session;
    }
}
