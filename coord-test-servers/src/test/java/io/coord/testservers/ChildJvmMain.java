package io.coord.testservers;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A child JVM for {@link ChildProcessTest}: prints a tick every 20 ms (a fixed-rate timer) for at most 60 s. */
public final class ChildJvmMain {
    private static final int TICKS = 3000;

    private ChildJvmMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        System.out.println("ready " + System.getenv("COORD_CHILD_MARK"));
        AtomicInteger tick = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(1);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        timer.scheduleAtFixedRate(() -> {
            int i = tick.getAndIncrement();
            System.out.println("tick " + i);
            System.out.flush();
            if (i + 1 == TICKS) {
                done.countDown();
            }
        }, 0, 20, TimeUnit.MILLISECONDS);
        done.await();
        timer.shutdownNow();
    }
}
