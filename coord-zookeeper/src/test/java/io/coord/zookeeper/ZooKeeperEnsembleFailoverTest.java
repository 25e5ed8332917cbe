package io.coord.zookeeper;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.coord.LossReason;
import io.coord.Session;
import io.coord.SessionState;
import io.coord.lock.LockGrant;
import io.coord.testservers.ZooKeeperTestEnsemble;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Killing the ensemble's leader while a lock is held and another session waits: the holder keeps
 * the lock unless its own session is reported lost first, and tokens keep increasing afterwards.
 */
class ZooKeeperEnsembleFailoverTest {

    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static ZooKeeperTestEnsemble ensemble;

    @BeforeAll
    static void start() {
        ensemble = ZooKeeperTestEnsemble.start();
    }

    @AfterAll
    static void stop() {
        ensemble.close();
    }

    @Test
    void leaderFailoverNeverHandsAHeldLockToASecondOwner() throws Exception {
        try (ZooKeeperCoordinator coord = ZooKeeperCoordinator.builder().connectString(ensemble.connectString())
                .namespace("failover").connectTimeout(Duration.ofSeconds(20)).operationTimeout(Duration.ofSeconds(10)).build();
             Session holder = coord.openSession(Duration.ofSeconds(4));
             Session waiter = coord.openSession(Duration.ofSeconds(4))) {
            LockGrant held = holder.lock("job").acquire();
            CompletableFuture<LockGrant> next = waiter.lock("job").acquireAsync();
            // The grant must not pass while the holder's grant is held (checked on every poll below).
            CompletableFuture<LossReason> lost = held.whenLost();

            int leader = ensemble.awaitLeader(Duration.ofSeconds(30));
            ensemble.kill(leader);
            ensemble.awaitLeader(Duration.ofSeconds(30));
            await().atMost(PATIENCE).until(() -> {
                assertFalse(next.isDone() && held.isHeld() && !lost.isDone(), "two owners at once");
                return holder.state() == SessionState.ACTIVE || holder.state().isTerminal();
            });
            ensemble.restart(leader);

            if (holder.state() == SessionState.ACTIVE && held.isHeld()) {
                assertFalse(next.isDone(), "the waiter must not own the lock while the holder's session lives");
                held.release();
            } else {
                assertEquals(LossReason.SESSION_EXPIRED, lost.get(30, TimeUnit.SECONDS));
            }
            LockGrant taken = next.get(60, TimeUnit.SECONDS);
            assertTrue(taken.fencingToken() > held.fencingToken(), "tokens survive the failover (czxid)");
            taken.release();
        }
    }
}
