package io.coord.spi;

import io.coord.Primitive;
import io.coord.Session;
import io.coord.lock.FencedLock;
import io.coord.lock.ReadWriteLock;
import java.util.function.Function;

/**
 * The {@link ReadWriteLock} of every backend: one queue per name whose entries are tagged
 * {@link GrantRule#READ} or {@link GrantRule#WRITE}; the read lock is served under {@link GrantRule#READER}
 * (no writer ahead), the write lock under {@link GrantRule#WRITER} (nothing ahead). Both modes share one claim
 * per session and name, so a session holds or waits for one mode at most: no upgrade, no upgrade deadlock.
 * Why it is safe: a writer is granted only once every entry recorded before it has left, and every entry
 * recorded after it waits for it (readers because it is a writer ahead, writers because it is ahead); so while a
 * writer holds, nobody else does, and its token (record order) exceeds every earlier grant's.
 */
final class SessionReadWriteLock implements ReadWriteLock {

    private final SessionBase session;
    private final String name;
    private final FencedLock readLock;
    private final FencedLock writeLock;

    /** @param entries a new, not yet enqueued entry tagged with the given mode for each acquisition */
    SessionReadWriteLock(SessionBase session, String name, Function<String, QueueEntry> entries) {
        this.session = session;
        this.name = name;
        String claimKey = Primitive.READ_WRITE_LOCK + ":" + name;
        this.readLock = new SessionLock(name, new Acquisitions.Target(session, Primitive.READ_WRITE_LOCK, name, claimKey,
                "read-write lock '" + name + "' in one of its modes (a session holds one mode at a time: no upgrade or downgrade)", GrantRule.READER), () -> entries.apply(GrantRule.READ));
        this.writeLock = new SessionLock(name, new Acquisitions.Target(session, Primitive.READ_WRITE_LOCK, name, claimKey,
                "read-write lock '" + name + "' in one of its modes (a session holds one mode at a time: no upgrade or downgrade)", GrantRule.WRITER), () -> entries.apply(GrantRule.WRITE));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Session session() {
        return session;
    }

    @Override
    public FencedLock readLock() {
        return readLock;
    }

    @Override
    public FencedLock writeLock() {
        return writeLock;
    }

    @Override
    public String toString() {
        return "read-write lock '" + name + "' of " + session;
    }
}
