package io.coord.examples.springboot;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;

import io.coord.shedlock.CoordLockProvider;
import io.coord.spring.integration.CoordLeaderInitiator.CoordContext;
import net.javacrumbs.shedlock.spring.annotation.SchedulerLock;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.event.EventListener;
import org.springframework.integration.leader.event.OnGrantedEvent;
import org.springframework.integration.leader.event.OnRevokedEvent;
import org.springframework.integration.support.locks.LockRegistry;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * The three kinds of coordinated work, as an application writes them; each records itself in {@link DemoState}.
 *
 * <p>Threads: the {@code @Scheduled} methods run on this instance's scheduler thread; the leader events arrive on
 * the leader initiator's own thread ({@code coord-leader-demo-leader}, never coord's or a client library's thread);
 * they only flip a flag and record, so the leader-only work itself runs on the scheduler.
 */
@Component
class Work {

    /** Simulated work inside a guarded section: long enough that an overlap, if the guard failed, would be seen. */
    private static final long WORK_MILLIS = 40;

    private final DemoState state;
    private final LockRegistry<?> locks;
    private final CoordLockProvider shedLock;
    private final String instance;
    private volatile boolean leading;

    Work(DemoState state, LockRegistry<?> locks, CoordLockProvider shedLock, @Value("${demo.instance}") String instance) {
        this.state = state;
        this.locks = locks;
        this.shedLock = shedLock;
        this.instance = instance;
    }

    /** Every instance schedules it; ShedLock (on coord's lock "report") lets one run at a time cluster-wide. */
    @Scheduled(fixedRate = 400)
    @SchedulerLock(name = "report", lockAtLeastFor = "PT0.2S")
    void report() throws InterruptedException {
        state.report.enter();
        try {
            // The token of this thread's hold: what a write made by the job would carry to be fenced.
            state.timeline.note(instance, "@SchedulerLock job 'report' run #" + state.report.runs() + " (fencing token "
                    + shedLock.currentToken("report").orElse(-1) + ")");
            TimeUnit.MILLISECONDS.sleep(WORK_MILLIS);
        } finally {
            state.report.exit();
        }
    }

    /** A critical section behind the LockRegistry's lock "ledger" (a coord fenced lock of the default session). */
    @Scheduled(fixedDelay = 250)
    void ledger() throws InterruptedException {
        Lock lock = locks.obtain("ledger");
        if (!lock.tryLock(2, TimeUnit.SECONDS)) {
            state.timeline.note(instance, "LockRegistry 'ledger' busy for 2 s, skipped");
            return;
        }
        try {
            state.ledger.enter();
            try {
                state.timeline.note(instance, "LockRegistry 'ledger' critical section #" + state.ledger.runs());
                TimeUnit.MILLISECONDS.sleep(WORK_MILLIS);
            } finally {
                state.ledger.exit();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Work only the leader does, driven by the leader events. */
    @Scheduled(fixedRate = 600)
    void leaderOnly() {
        if (leading) {
            state.leaderWork.enter();
            state.leaderWork.exit();
            state.timeline.note(instance, "leader-only work #" + state.leaderWork.runs());
        }
    }

    @EventListener
    void granted(OnGrantedEvent event) {
        leading = true;
        // The term of this leadership (CoordContext.fencingToken()): what leader-only writes would carry.
        String term = event.getContext() instanceof CoordContext c ? ", fencing token " + c.fencingToken() : "";
        state.granted(instance, "(role " + event.getRole() + term + ")");
    }

    @EventListener
    void revoked(OnRevokedEvent event) {
        leading = false;
        state.revoked(instance, "(role " + event.getRole() + ")");
    }
}
