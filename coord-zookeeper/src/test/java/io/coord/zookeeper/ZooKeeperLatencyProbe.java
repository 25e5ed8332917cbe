package io.coord.zookeeper;

import io.coord.Session;
import io.coord.lock.FairLock;
import io.coord.lock.FencedLock;
import io.coord.testservers.ZooKeeperTestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A quick latency probe, not a benchmark (coord-bench is): uncontended lock acquire + release p50/p99
 * over 2 000 cycles, and 4 clients (each its own coordinator and session) contending for one fair lock.
 * Prints only; asserts nothing. Run with {@code -Dcoord.probe=true -Dtest=ZooKeeperLatencyProbe}.
 */
@EnabledIfSystemProperty(named = "coord.probe", matches = "true")
class ZooKeeperLatencyProbe {

    @Test
    void probe() throws Exception {
        try (ZooKeeperTestServer server = ZooKeeperTestServer.start(2000)) {
            for (int run = 1; run <= 3; run++) {
                uncontended(server.connectString(), run);
                contendedFair(server.connectString(), run);
            }
        }
    }

    private static ZooKeeperCoordinator open(String connect) {
        return ZooKeeperCoordinator.builder().connectString(connect).namespace("probe").build();
    }

    private static void uncontended(String connect, int run) throws Exception {
        try (ZooKeeperCoordinator c = open(connect); Session s = c.openSession(Duration.ofSeconds(10))) {
            FencedLock lock = s.lock("u");
            for (int i = 0; i < 300; i++) {
                lock.acquire().release();
            }
            long[] nanos = new long[2000];
            for (int i = 0; i < nanos.length; i++) {
                long t = System.nanoTime();
                lock.acquire().release();
                nanos[i] = System.nanoTime() - t;
            }
            Arrays.sort(nanos);
            System.out.printf("[probe] run %d uncontended lock acquire+release: p50 %d us, p99 %d us%n", run,
                    nanos[nanos.length / 2] / 1000, nanos[nanos.length * 99 / 100] / 1000);
        }
    }

    private static void contendedFair(String connect, int run) throws Exception {
        int clients = 4;
        List<ZooKeeperCoordinator> coords = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean counting = new AtomicBoolean();
        LongAdder acquisitions = new LongAdder();
        try {
            for (int i = 0; i < clients; i++) {
                ZooKeeperCoordinator c = open(connect);
                coords.add(c);
                Session s = c.openSession(Duration.ofSeconds(10));
                FairLock lock = s.fairLock("f");
                Thread t = new Thread(() -> {
                    try {
                        while (!stop.get()) {
                            lock.acquire().release();
                            if (counting.get()) {
                                acquisitions.increment();
                            }
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, "probe-" + i);
                threads.add(t);
            }
            threads.forEach(Thread::start);
            Thread.sleep(1000);
            counting.set(true);
            long t0 = System.nanoTime();
            Thread.sleep(5000);
            long n = acquisitions.sum();
            double secs = (System.nanoTime() - t0) / 1e9;
            stop.set(true);
            for (Thread t : threads) {
                t.join(10_000);
            }
            System.out.printf("[probe] run %d contended fair lock, %d clients: %.0f acq/s%n", run, clients, n / secs);
        } finally {
            coords.forEach(ZooKeeperCoordinator::close);
        }
    }
}
