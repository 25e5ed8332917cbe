package io.coord.shedlock;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The ShedLock contract on an in-process ZooKeeper. */
class ZooKeeperCoordLockProviderTest extends CoordLockProviderContract {
    private static ZooKeeperBackend backend;

    @BeforeAll
    static void start() {
        backend = new ZooKeeperBackend();
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    @Override
    protected Backend backend() {
        return backend;
    }
}
