package io.coord;

/** The primitives whose server round trips and waiter wake-ups {@link CoordStats} counts separately. */
public enum Primitive {
    /** Sessions: opening, renewal and revocation. */
    SESSION,
    /** {@link io.coord.lock.FencedLock}s of {@link Session#lock(String)}: acquisitions and releases. */
    LOCK,
    /** {@link io.coord.lock.FairLock}s of {@link Session#fairLock(String)}: acquisitions and releases. */
    FAIR_LOCK,
    /** Elections: campaigns, proclamations, resignations, and reads and observation of the leader. */
    ELECTION,
    /** {@link io.coord.semaphore.Semaphore}s of {@link Session#semaphore(String, int)}: acquisitions and releases of permits. */
    SEMAPHORE,
    /** {@link io.coord.lock.ReadWriteLock}s of {@link Session#readWriteLock(String)}: both modes' acquisitions and releases. */
    READ_WRITE_LOCK,
    /** Groups of {@link Session#join(String, String, String)}: joins, updates, leaves, reads and watches. */
    GROUP
}
