package io.coord.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.coord.AcquisitionOutcome;
import io.coord.CoordObserver;
import io.coord.Primitive;
import io.coord.Subscription;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@link Observers}: a throwing observer (even an Error) is contained, close from within never waits, reporters never block on a close. */
class ObserversTest {

    private static void report(Observers o) {
        o.acquisitionEnded(Primitive.LOCK, "x", AcquisitionOutcome.GRANTED, Duration.ZERO);
    }

    private static CoordObserver counting(AtomicInteger n) {
        return new CoordObserver() {
            @Override
            public void acquisitionEnded(Primitive primitive, String name, AcquisitionOutcome outcome, Duration waited) {
                n.incrementAndGet();
            }
        };
    }

    @Test
    void anObserverThrowingAnErrorIsContainedAndTheOthersAreStillTold() {
        Observers observers = new Observers();
        AtomicInteger thrown = new AtomicInteger();
        observers.add(new CoordObserver() {
            @Override
            public void acquisitionEnded(Primitive primitive, String name, AcquisitionOutcome outcome, Duration waited) {
                thrown.incrementAndGet();
                throw new AssertionError("an observer's Error");
            }
        });
        AtomicInteger told = new AtomicInteger();
        observers.add(counting(told));
        report(observers); // must not throw
        report(observers);
        assertEquals(2, thrown.get());
        assertEquals(2, told.get());
    }

    @Test
    void closingFromWithinTheObserverReturnsAtOnceAndStopsFurtherCalls() {
        Observers observers = new Observers();
        AtomicInteger calls = new AtomicInteger();
        AtomicReference<Subscription> self = new AtomicReference<>();
        self.set(observers.add(new CoordObserver() {
            @Override
            public void acquisitionEnded(Primitive primitive, String name, AcquisitionOutcome outcome, Duration waited) {
                calls.incrementAndGet();
                self.get().close(); // would wait for itself forever if it counted its own call
            }
        }));
        report(observers);
        report(observers);
        assertEquals(1, calls.get());
        assertTrue(observers.isEmpty());
    }

    @Test
    void closeWaitsForACallOnAnotherThreadWhileReportersNeverBlock() throws Exception {
        Observers observers = new Observers();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean slowCallFinished = new AtomicBoolean();
        AtomicInteger calls = new AtomicInteger();
        Thread slowThread = new Thread(() -> report(observers), "slow-reporter");
        Subscription subscription = observers.add(new CoordObserver() {
            @Override
            public void acquisitionEnded(Primitive primitive, String name, AcquisitionOutcome outcome, Duration waited) {
                calls.incrementAndGet();
                if (Thread.currentThread() == slowThread) {
                    inside.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    slowCallFinished.set(true);
                }
            }
        });
        slowThread.start();
        inside.await();
        AtomicBoolean closeReturned = new AtomicBoolean();
        AtomicBoolean finishedBeforeCloseReturned = new AtomicBoolean();
        Thread closer = new Thread(() -> {
            subscription.close();
            finishedBeforeCloseReturned.set(slowCallFinished.get());
            closeReturned.set(true);
        }, "closer");
        closer.start();
        while (closer.getState() != Thread.State.TIMED_WAITING && closer.isAlive()) {
            Thread.onSpinWait(); // until the closer waits for the slow call
        }
        assertFalse(closeReturned.get(), "close waits for the call running on another thread");
        report(observers); // a reporter on this thread: never blocks behind the waiting close, and is not delivered
        assertEquals(1, calls.get(), "no call starts once close began");
        release.countDown();
        closer.join();
        slowThread.join();
        assertTrue(closeReturned.get());
        assertTrue(finishedBeforeCloseReturned.get(), "the running call had finished when close returned");
    }
}
