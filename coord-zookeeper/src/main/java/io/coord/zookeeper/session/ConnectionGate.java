package io.coord.zookeeper.session;

import java.util.concurrent.TimeUnit;

/**
 * Whether a session's ZooKeeper handle is connected, for recipes that must wait out a connection
 * loss. Opened and closed by the handle's watcher (event thread: the monitor is held only for a
 * field write and a notify); awaited by coord worker threads. Once killed (handle expired, closed
 * or halted) it stays open for good, so waiters return at once and their next request fails fast.
 */
final class ConnectionGate {

    private boolean open;
    private boolean dead;

    synchronized void open() {
        open = true;
        notifyAll();
    }

    synchronized void close() {
        if (!dead) {
            open = false;
        }
    }

    synchronized void kill() {
        dead = true;
        open = true;
        notifyAll();
    }

    synchronized boolean isOpenAndAlive() {
        return open && !dead;
    }

    /** Waits up to {@code nanos} for the gate to open; true if open. */
    synchronized boolean await(long nanos) throws InterruptedException {
        long end = System.nanoTime() + nanos;
        while (!open) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }
}
