package io.coord.shedlock;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The ShedLock contract on a single Redis (the redis-server binary). */
class RedisCoordLockProviderTest extends CoordLockProviderContract {
    private static RedisBackend backend;

    @BeforeAll
    static void start() {
        backend = new RedisBackend();
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
