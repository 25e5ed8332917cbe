package io.coord.lock;

/**
 * A {@link FencedLock} that grants strictly in the order the backend recorded the requests
 * (ZooKeeper sequential nodes, etcd create revisions, a Redis ticket counter).
 *
 * <p>Each waiter watches only its immediate predecessor, so a release wakes exactly one waiter
 * however many wait (no herd). A waiter that leaves the queue (timeout, interrupt, cancel, session
 * death) does not disturb the order of the others.
 */
public interface FairLock extends FencedLock {
}
