package io.coord.testkit.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.coord.Capability;
import io.coord.LossReason;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.SessionState;
import io.coord.lock.LockGrant;
import io.coord.testkit.KitBackend;
import io.coord.testkit.Scenario;
import io.coord.testkit.history.FencedMutexChecker;
import io.coord.testkit.history.Verdict;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Faults of the servers, one group per topology, because each fault exists only there: a single server killed
 * and restarted ({@link Restart}), a cluster's leader killed under load ({@link LeaderFailover}), a Redis primary
 * failed over under load ({@link PrimaryFailover}). Each asserts exactly what the backend declares
 * ({@link Capability}) and reports what it measured. The topology kits ({@link SingleServerFaultKit},
 * {@link ClusterFaultKit}, {@link PrimaryReplicaFaultKit}) nest the group of their topology, so no scenario is
 * ever skipped for not applying; a group nested against a backend of another topology fails, naming both.
 */
public abstract class ServerFaultRules extends Scenario {

    private final ServerFaults.Topology topology;

    private ServerFaultRules(Supplier<KitBackend> backend, ServerFaults.Topology topology) {
        super(backend);
        this.topology = topology;
    }

    @BeforeEach
    void backendHasThisTopology() {
        ServerFaults.Topology actual = faults().serverFaults().topology();
        assertThat(actual).as("%s nests the %s server faults, but %s is %s: subclass the kit of its topology",
                getClass().getSimpleName(), topology, backend.label(), actual).isEqualTo(topology);
    }

    FaultBackend faults() {
        return (FaultBackend) backend;
    }

    boolean declares(Capability c) {
        return backend.declaredCapabilities().contains(c);
    }

    /** A single server killed with SIGKILL and restarted. */
    public abstract static class Restart extends ServerFaultRules {
        /**
         * These rules against the backend {@code backend} supplies, a {@link FaultBackend} of a single server.
         *
         * @param backend called before each scenario
         */
        protected Restart(Supplier<KitBackend> backend) {
            super(backend, ServerFaults.Topology.SINGLE);
        }

        @Test
        void aServerRestartLeavesSessionsEitherAliveOrReportedExpired() throws Exception {
            String name = unique("restart");
            Session s = session(backend.longTtl());
            LockGrant before = s.lock(name).acquire();

            faults().serverFaults().killAndRestart();
            long restartedAt = System.nanoTime();

            // Never silently half-alive: either a renewal sent after the restart succeeded, or the session ended.
            await().until(() -> s.state() == SessionState.EXPIRED
                    || (s.state() == SessionState.ACTIVE && s.validUntilNanos() - restartedAt > s.grantedTtl().toNanos()));
            boolean survived = s.state() == SessionState.ACTIVE;
            if (survived) {
                assertThat(before.isHeld()).isTrue();
                assertThat(entries(Primitive.LOCK, name)).as("a surviving session still owns its entry").hasSize(1);
                try (Session other = session()) {
                    assertThat(other.lock(name).tryAcquire(Duration.ZERO)).as("and nobody else got the lock").isEmpty();
                }
                before.release();
            } else {
                assertThat(join(before.whenLost())).isEqualTo(LossReason.SESSION_EXPIRED);
                assertThat(before.isHeld()).isFalse();
            }
            try (Session next = session()) {
                LockGrant after = next.lock(name).acquire();
                Duration recovery = Duration.ofNanos(System.nanoTime() - restartedAt);
                boolean increased = after.fencingToken() > before.fencingToken();
                if (declares(Capability.DURABLE_FENCING_TOKENS)) {
                    assertThat(after.fencingToken()).as("tokens after the restart exceed every token before it").isGreaterThan(before.fencingToken());
                }
                after.release();
                FaultReport.add(new FaultReport.Row("server kill -9 + restart", backend.label(), 2, 2, 0, 0, 0, List.of(recovery),
                        (survived ? "session survived" : "session reported expired")
                                + (increased ? ", tokens increased" : ", tokens restarted (not declared durable)")));
            }
            s.close();
        }
    }

    /** A cluster's leader killed under load, then restarted. */
    public abstract static class LeaderFailover extends ServerFaultRules {
        /**
         * These rules against the backend {@code backend} supplies, a {@link FaultBackend} of a cluster.
         *
         * @param backend called before each scenario
         */
        protected LeaderFailover(Supplier<KitBackend> backend) {
            super(backend, ServerFaults.Topology.CLUSTER);
        }

        @ParameterizedTest
        @EnumSource(value = HolderFaultRules.Held.class, names = {"LOCK", "ELECTION"})
        void aClusterLeaderFailoverKeepsGrantsExclusiveAndTokensMonotonic(HolderFaultRules.Held kind) throws Exception {
            LoadRun load = new LoadRun(this::newCoordinator, backend.shortTtl().multipliedBy(2), unique("failover"),
                    kind == HolderFaultRules.Held.ELECTION);
            long[] faultAt = {0};
            Runnable[] restart = {null};
            load.run(3, soak(Duration.ofSeconds(8)), Duration.ofSeconds(3), () -> {
                faultAt[0] = System.nanoTime();
                restart[0] = faults().serverFaults().killLeader();
            });
            restart[0].run();
            Verdict verdict = FencedMutexChecker.check(load.history);
            assertThat(load.grantsAfter(faultAt[0])).as("progress resumed after the leader died").isPositive();
            if (declares(Capability.FAILOVER_SAFE_EXCLUSION) && declares(Capability.DURABLE_FENCING_TOKENS)) {
                assertThat(verdict.violations()).as(verdict.describe()).isEmpty();
            }
            FaultReport.add(new FaultReport.Row("cluster leader killed under load (" + kind.name().toLowerCase() + ")", backend.label(), verdict.operations(), verdict.grants(),
                    load.fenced.rejectedCount(), verdict.overlaps(), (int) load.unfencedLostUpdates(),
                    List.of(load.longestStallAfter(faultAt[0])), verdict.violations().isEmpty() ? "ok" : verdict.violations().size() + " violations"));
        }
    }

    /** A primary failed over to its replica under load (replication lag included). */
    public abstract static class PrimaryFailover extends ServerFaultRules {
        /**
         * These rules against the backend {@code backend} supplies, a {@link FaultBackend} of a primary and its replica.
         *
         * @param backend called before each scenario
         */
        protected PrimaryFailover(Supplier<KitBackend> backend) {
            super(backend, ServerFaults.Topology.PRIMARY_REPLICA);
        }

        @ParameterizedTest
        @EnumSource(value = HolderFaultRules.Held.class, names = {"LOCK", "ELECTION"})
        void aPrimaryFailoverIsMeasuredAgainstWhatTheBackendClaims(HolderFaultRules.Held kind) throws Exception {
            try {
                LoadRun load = new LoadRun(this::newCoordinator, backend.shortTtl().multipliedBy(2), unique("promote"),
                        kind == HolderFaultRules.Held.ELECTION);
                long[] faultAt = {0};
                load.run(3, soak(Duration.ofSeconds(8)), Duration.ofSeconds(3), () -> {
                    faultAt[0] = System.nanoTime();
                    faults().serverFaults().failover();
                });
                Verdict verdict = FencedMutexChecker.check(load.history);
                assertThat(load.grantsAfter(faultAt[0])).as("progress resumed on the promoted replica").isPositive();
                if (declares(Capability.FAILOVER_SAFE_EXCLUSION)) {
                    assertThat(verdict.overlaps()).as(verdict.describe()).isZero();
                }
                if (declares(Capability.DURABLE_FENCING_TOKENS)) {
                    assertThat(verdict.violations(io.coord.testkit.history.Violation.Kind.TOKEN_ORDER)).as(verdict.describe()).isEmpty();
                }
                String claims = declares(Capability.FAILOVER_SAFE_EXCLUSION) ? "claimed safe" : "not claimed safe";
                FaultReport.add(new FaultReport.Row("primary failover under load (" + kind.name().toLowerCase() + ")", backend.label(), verdict.operations(), verdict.grants(),
                        load.fenced.rejectedCount(), verdict.overlaps(), (int) load.unfencedLostUpdates(),
                        List.of(load.longestStallAfter(faultAt[0])), claims + ", " + verdict.violations().size() + " violations measured"));
            } finally {
                faults().serverFaults().reset();
            }
        }
    }

    /** Load durations grow with {@code -Dcoord.soak=N} (a multiplier, default 1). */
    static Duration soak(Duration base) {
        return base.multipliedBy(Math.max(1, Long.getLong("coord.soak", 1L)));
    }
}
