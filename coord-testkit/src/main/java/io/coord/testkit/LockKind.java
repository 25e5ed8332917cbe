package io.coord.testkit;

import io.coord.Session;
import io.coord.lock.FencedLock;

/** The two lock primitives, so that every lock rule runs for both. */
public enum LockKind {
    LOCK {
        @Override
        public FencedLock of(Session session, String name) {
            return session.lock(name);
        }
    },
    FAIR_LOCK {
        @Override
        public FencedLock of(Session session, String name) {
            return session.fairLock(name);
        }
    };

    public abstract FencedLock of(Session session, String name);
}
