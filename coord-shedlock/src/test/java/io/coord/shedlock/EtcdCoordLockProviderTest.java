package io.coord.shedlock;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The ShedLock contract on a single etcd node (the etcd binary). */
class EtcdCoordLockProviderTest extends CoordLockProviderContract {
    private static EtcdBackend backend;

    @BeforeAll
    static void start() {
        backend = new EtcdBackend();
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
