package io.coord.testkit;

import io.coord.Session;
import io.coord.lock.FencedLock;

/** The two lock primitives, so that every lock rule runs for both. */
public enum LockKind {
    /** The plain fenced lock, {@link Session#lock(String)}. */
    LOCK {
        @Override
        public FencedLock of(Session session, String name) {
            return session.lock(name);
        }
    },
    /** The revision-ordered fair lock, {@link Session#fairLock(String)}. */
    FAIR_LOCK {
        @Override
        public FencedLock of(Session session, String name) {
            return session.fairLock(name);
        }
    };

    /**
     * A new handle of this kind of lock.
     *
     * @param session the owning session
     * @param name the lock's name
     * @return a new handle; creating it sends nothing
     */
    public abstract FencedLock of(Session session, String name);
}
