package io.coord.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.coord.Primitive;
import io.coord.Session;
import io.coord.SessionState;
import io.coord.election.Leadership;
import io.coord.lock.LockGrant;
import io.coord.testservers.EtcdMember;
import io.coord.testservers.TestServers;
import io.coord.lock.FencedLock;
import io.coord.testkit.history.FencedMutexChecker;
import io.coord.testkit.history.History;
import io.coord.testkit.history.Operation;
import io.coord.testkit.history.Verdict;
import io.coord.testkit.register.FencedRegister;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * coord-etcd on a 3-member cluster whose members are killed and frozen: held locks and leadership survive
 * an etcd leader failover (the session stays alive, nobody else is granted), and waiters still get their
 * turn when the member serving their watch dies or freezes.
 */
class EtcdClusterFaultTest {

    private static EtcdKitBackend backend;
    private String namespace;
    private EtcdCoordinator coord;

    @BeforeAll
    static void startCluster() {
        backend = new EtcdKitBackend("etcd (3-node cluster)", TestServers.etcdCluster());
        backend.server().requireFaults();
    }

    @AfterAll
    static void stopCluster() {
        if (backend != null) {
            backend.close();
            backend.server().close();
        }
    }

    @BeforeEach
    void open() {
        namespace = "fault-" + UUID.randomUUID().toString().substring(0, 8);
        coord = (EtcdCoordinator) backend.open(namespace);
    }

    @AfterEach
    void close() {
        coord.close();
        for (EtcdMember m : backend.server().members()) {
            if (m.isPaused()) {
                m.resume();
            }
            if (!m.isAlive()) {
                m.restart();
            }
            m.awaitHealthy(Duration.ofSeconds(30));
        }
        await().untilAsserted(() -> assertThat(backend.keys(namespace)).isEmpty());
    }

    private static ConditionFactory await() {
        return Awaitility.await().pollInterval(Duration.ofMillis(50)).atMost(Duration.ofSeconds(90));
    }

    @Test
    void holdersKeepTheirLockAndLeadershipAcrossAnEtcdLeaderFailover() throws Exception {
        try (Session holder = coord.openSession(Duration.ofSeconds(5)); Session waiter = coord.openSession(Duration.ofSeconds(5))) {
            LockGrant held = holder.fairLock("failover").acquire();
            Leadership leading = holder.election("failover").campaign("H");
            CompletableFuture<LockGrant> waiting = waiter.fairLock("failover").acquireAsync();
            CompletableFuture<Leadership> campaigning = waiter.election("failover").campaignAsync("W");
            await().until(() -> backend.entries(namespace, Primitive.FAIR_LOCK, "failover").size() == 2
                    && backend.entries(namespace, Primitive.ELECTION, "failover").size() == 2);

            int leader = backend.server().awaitLeader(Duration.ofSeconds(10));
            backend.server().member(leader).kill();
            int next = backend.server().awaitLeader(Duration.ofSeconds(30));
            assertThat(next).isNotEqualTo(leader);

            // Several renewal periods on the new leader: still held, nobody else granted.
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(60))
                    .until(() -> holder.state() == SessionState.ACTIVE && held.isHeld() && leading.isLeader());
            assertThat(waiting).isNotDone();
            assertThat(campaigning).isNotDone();

            held.release();
            leading.resign();
            LockGrant taken = waiting.get(60, TimeUnit.SECONDS);
            Leadership elected = campaigning.get(60, TimeUnit.SECONDS);
            assertThat(taken.fencingToken()).isGreaterThan(held.fencingToken());
            assertThat(elected.term()).isGreaterThan(leading.term());
            taken.release();
            elected.resign();
        }
    }

    @Test
    void mutualExclusionHoldsWhileTheEtcdLeaderIsKilled() throws Exception {
        int sessions = 4;
        int rounds = 15;
        FencedRegister register = new FencedRegister();
        History history = new History();
        ExecutorService pool = Executors.newFixedThreadPool(sessions);
        EtcdCoordinator second = (EtcdCoordinator) backend.open(namespace);
        List<Session> opened = new ArrayList<>();
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int i = 0; i < sessions; i++) {
                Session s = (i % 2 == 0 ? coord : second).openSession(Duration.ofSeconds(5));
                opened.add(s);
                String process = "p" + i;
                FencedLock lock = s.fairLock("contended");
                workers.add(pool.submit(() -> {
                    History.Recorder rec = history.recorder(process, "contended");
                    for (int r = 0; r < rounds; r++) {
                        rec.invoke(Operation.ACQUIRE);
                        LockGrant g = retry(lock::acquire);
                        rec.ok(Operation.ACQUIRE, g.fencingToken());
                        long value = register.value();
                        assertThat(register.write(g.fencingToken(), process, value + 1).accepted()).isTrue();
                        rec.invoke(Operation.RELEASE);
                        retry(() -> {
                            g.release();
                            return null;
                        });
                        rec.ok(Operation.RELEASE, g.fencingToken());
                    }
                    return null;
                }));
            }
            await().until(() -> register.acceptedCount() >= 12);
            int leader = backend.server().awaitLeader(Duration.ofSeconds(10));
            backend.server().member(leader).kill();
            for (Future<?> w : workers) {
                w.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            opened.forEach(Session::close);
            second.close();
        }
        Verdict verdict = FencedMutexChecker.check(history);
        assertThat(verdict.violations()).as(verdict.describe()).isEmpty();
        assertThat(verdict.grants()).isEqualTo(sessions * rounds);
        assertThat(verdict.maxConcurrentHolders()).isEqualTo(1);
        assertThat(register.value()).isEqualTo(sessions * rounds);
        assertThat(register.rejectedCount()).isZero();
    }

    /** An operation that may meet BackendUnavailableException while the cluster elects a new leader: a few retries. */
    private static <T> T retry(java.util.concurrent.Callable<T> op) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return op.call();
            } catch (io.coord.BackendUnavailableException e) {
                if (attempt == 5) {
                    throw e;
                }
            }
        }
    }

    @Test
    void waitersGetTheirTurnWhenAMemberFreezes() throws Exception {
        try (Session holder = coord.openSession(Duration.ofSeconds(5)); Session waiter = coord.openSession(Duration.ofSeconds(5))) {
            LockGrant held = holder.lock("freeze").acquire();
            CompletableFuture<LockGrant> waiting = waiter.lock("freeze").acquireAsync();
            await().until(() -> backend.entries(namespace, Primitive.LOCK, "freeze").size() == 2);

            // Freeze a follower (the waiter's watch may live on it): it answers nothing, its TCP stays open.
            int leader = backend.server().awaitLeader(Duration.ofSeconds(10));
            EtcdMember frozen = backend.server().member((leader + 1) % 3);
            frozen.pause();
            try {
                held.release();
                LockGrant taken = waiting.get(60, TimeUnit.SECONDS);
                assertThat(taken.fencingToken()).isGreaterThan(held.fencingToken());
                taken.release();
                assertThat(holder.state()).isNotEqualTo(SessionState.EXPIRED);
            } finally {
                frozen.resume();
            }
        }
    }
}
