package io.coord.redis;

import io.coord.Coordinator;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.SessionState;
import io.coord.election.Leader;
import io.coord.election.Leadership;
import io.coord.lock.LockGrant;
import io.coord.testkit.CrashableClient;
import io.coord.testservers.RedisServer;
import io.coord.testservers.RespConnection;
import io.coord.testservers.TestServers;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Redis-specific rules beyond the conformance kit, against a real redis-server: one round trip per
 * renewal whatever the session holds, crashed holders evicted by the next participant, a queue never
 * stuck behind a dead waiter, a lost wake-up message costs latency only, NOSCRIPT fallback, URIs.
 */
class RedisBackendTest extends SingleRedisTest {

    @Test
    void renewalIsOneRoundTripWhateverTheSessionHolds() throws Exception {
        Coordinator c = open();
        Session s = c.openSession(Duration.ofSeconds(1));
        List<LockGrant> grants = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            grants.add(s.lock("l" + i).acquire());
            grants.add(s.fairLock("f" + i).acquire());
        }
        Leadership lead = s.election("e").campaign("v");
        long locks = c.stats().roundTrips(Primitive.LOCK);
        long fair = c.stats().roundTrips(Primitive.FAIR_LOCK);
        long elections = c.stats().roundTrips(Primitive.ELECTION);
        long sessions = c.stats().roundTrips(Primitive.SESSION);
        long deadline = s.validUntilNanos();

        await().until(() -> c.stats().roundTrips(Primitive.SESSION) >= sessions + 6);

        assertThat(s.state()).isEqualTo(SessionState.ACTIVE);
        assertThat(s.validUntilNanos()).isGreaterThan(deadline);
        assertThat(c.stats().roundTrips(Primitive.LOCK)).as("renewals never touch locks").isEqualTo(locks);
        assertThat(c.stats().roundTrips(Primitive.FAIR_LOCK)).isEqualTo(fair);
        assertThat(c.stats().roundTrips(Primitive.ELECTION)).isEqualTo(elections);
        try (RespConnection r = server.connect()) {
            long pttl = (Long) r.command("PTTL", keys().session(s.id()));
            assertThat(pttl).as("the lease lives on the server's clock").isBetween(1L, 1000L);
        }
        grants.forEach(LockGrant::release);
        lead.resign();
        s.close();
    }

    @Test
    void aCrashedHolderIsEvictedByTheNextAcquirerEvenWithoutWaiters() throws Exception {
        Coordinator c = open();
        CrashableClient doomedClient = kit.openCrashable(namespace);
        Session doomed = doomedClient.coordinator().openSession(Duration.ofSeconds(1));
        LockGrant old = doomed.lock("x").acquire();
        doomedClient.crash();
        await().until(() -> doomed.state() == SessionState.EXPIRED);
        try (RespConnection r = server.connect()) {
            await().until(() -> (Long) r.command("EXISTS", keys().session(doomed.id())) == 0L);
        }
        assertThat(kit.entries(namespace, Primitive.LOCK, "x")).as("a crashed process's entry stays until someone looks").hasSize(1);

        try (Session next = c.openSession(Duration.ofSeconds(10))) {
            LockGrant g = next.lock("x").tryAcquire(Duration.ZERO).orElseThrow();
            assertThat(g.fencingToken()).isGreaterThan(old.fencingToken());
            assertThat(kit.entries(namespace, Primitive.LOCK, "x")).hasSize(1);
            g.release();
        }
        assertThat(kit.keys(namespace)).containsExactly(keys().queue(RedisKeys.Kind.LOCK, "x").counter());
        doomedClient.close();
    }

    @Test
    void theQueueNeverGetsStuckBehindADeadWaiter() throws Exception {
        Coordinator c = open();
        try (Session holder = c.openSession(Duration.ofSeconds(10)); Session waiter = c.openSession(Duration.ofSeconds(10))) {
            LockGrant held = holder.fairLock("q").acquire();
            // a waiter of a process that died without a trace: its session key does not exist
            RedisKeys.Queue q = keys().queue(RedisKeys.Kind.FAIR, "q");
            try (RespConnection r = server.connect()) {
                r.command("EVAL", RedisScript.ENQUEUE.body(), "3", q.queue(), q.counter(), q.values(),
                        RedisKeys.member("deadbeef", "00", 1), "enqueue", "", "");
            }
            String dead = RedisKeys.member("deadbeef", "00", 1);
            assertThat(kit.entries(namespace, Primitive.FAIR_LOCK, "q")).hasSize(2).contains(dead);
            CompletableFuture<LockGrant> next = waiter.fairLock("q").acquireAsync();
            // the new waiter's predecessor is the dead entry: it is removed at once, no release needed
            await().untilAsserted(() -> assertThat(kit.entries(namespace, Primitive.FAIR_LOCK, "q")).hasSize(2).doesNotContain(dead));
            assertThat(next).isNotDone();
            held.release();
            LockGrant g = next.get(); // bounded by the awaitility check below in case of a hang
            assertThat(g.fencingToken()).isGreaterThan(held.fencingToken());
            assertThat(kit.entries(namespace, Primitive.FAIR_LOCK, "q")).hasSize(1);
            g.release();
        }
    }

    @Test
    void aLostWakeUpMessageCostsOnlyLatency() throws Exception {
        Coordinator c = open();
        try (Session holder = c.openSession(Duration.ofSeconds(1)); Session waiter = c.openSession(Duration.ofSeconds(10))) {
            LockGrant held = holder.fairLock("m").acquire();
            CompletableFuture<LockGrant> next = waiter.fairLock("m").acquireAsync();
            await().untilAsserted(() -> assertThat(kit.entries(namespace, Primitive.FAIR_LOCK, "m")).hasSize(2));
            // "release" behind coord's back: the entry goes, no message is ever published
            String holderMember = kit.entries(namespace, Primitive.FAIR_LOCK, "m").get(0);
            try (RespConnection r = server.connect()) {
                r.command("ZREM", keys().queue(RedisKeys.Kind.FAIR, "m").queue(), holderMember);
            }
            await().until(next::isDone);
            LockGrant g = next.get();
            assertThat(g.fencingToken()).isGreaterThan(held.fencingToken());
            g.release();
        }
    }

    @Test
    void aLostPubSubConnectionIsRecoveredAndWaitersRecheck() throws Exception {
        Coordinator c = open();
        try (Session holder = c.openSession(Duration.ofSeconds(10)); Session waiter = c.openSession(Duration.ofSeconds(10))) {
            LockGrant held = holder.fairLock("p").acquire();
            CompletableFuture<LockGrant> next = waiter.fairLock("p").acquireAsync();
            await().untilAsserted(() -> assertThat(kit.entries(namespace, Primitive.FAIR_LOCK, "p")).hasSize(2));
            try (RespConnection r = server.connect()) {
                r.command("CLIENT", "KILL", "TYPE", "pubsub");
            }
            held.release();
            await().until(next::isDone);
            next.get().release();
        }
    }

    @Test
    void scriptsAreReloadedAfterAScriptFlush() throws Exception {
        Coordinator c = open();
        try (Session s = c.openSession(Duration.ofSeconds(10))) {
            s.lock("a").acquire().release();
            try (RespConnection r = server.connect()) {
                r.command("SCRIPT", "FLUSH");
            }
            long before = c.stats().roundTrips(Primitive.LOCK);
            LockGrant g = s.lock("a").acquire();
            g.release();
            assertThat(c.stats().roundTrips(Primitive.LOCK) - before)
                    .as("acquire and release each: EVALSHA answered NOSCRIPT, then EVAL").isEqualTo(4);
            before = c.stats().roundTrips(Primitive.LOCK);
            s.lock("a").acquire().release();
            assertThat(c.stats().roundTrips(Primitive.LOCK) - before).as("cached again: EVALSHA only").isEqualTo(2);
        }
    }

    @Test
    void anObserverAloneNoticesThatACrashedLeaderIsGone() throws Exception {
        CrashableClient doomedClient = kit.openCrashable(namespace);
        Coordinator watcher = open();
        List<Optional<Leader>> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        Session doomed = doomedClient.coordinator().openSession(Duration.ofSeconds(1));
        Leadership l = doomed.election("crashy").campaign("v");
        try (var sub = watcher.election("crashy").observe(seen::add)) {
            await().untilAsserted(() -> assertThat(seen).containsExactly(Optional.of(new Leader(doomed.id(), "v", l.term()))));
            doomedClient.crash();
            await().untilAsserted(() -> assertThat(seen).hasSize(2));
            assertThat(seen.get(1)).isEmpty();
        }
        assertThat(kit.entries(namespace, Primitive.ELECTION, "crashy")).isEmpty();
        doomedClient.close();
    }

    @Test
    void aServerThatLosesItsDataLosesTheGrantAndTheCounterButTheClockFloorKeepsTokensIncreasing() throws Exception {
        try (RedisServer own = TestServers.redis()) {
            own.requireFaults();
            try (Coordinator c = Coordinator.open(own.coordUri("restart"))) {
                assertThat(c.capabilities()).doesNotContain(io.coord.Capability.DURABLE_FENCING_TOKENS,
                        io.coord.Capability.FAILOVER_SAFE_EXCLUSION);
                String counter = new RedisKeys("restart").queue(RedisKeys.Kind.LOCK, "x").counter();
                Session s = c.openSession(Duration.ofSeconds(2));
                LockGrant first = s.lock("x").acquire();
                LockGrant second;
                first.release();
                second = s.lock("x").acquire();
                assertThat(second.fencingToken()).isGreaterThan(first.fencingToken());

                own.process().restart(); // no persistence: every key, the script cache and the counter are gone

                assertThat(second.whenLost().get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(io.coord.LossReason.SESSION_EXPIRED);
                assertThat(s.state()).isEqualTo(SessionState.EXPIRED);
                try (RespConnection r = own.connect()) {
                    assertThat(r.command("EXISTS", counter)).as("the counter was lost with the data").isEqualTo(0L);
                }
                try (Session again = c.openSession(Duration.ofSeconds(5))) {
                    LockGrant after = again.lock("x").acquire();
                    assertThat(after.fencingToken())
                            .as("a new counter starts at the server's clock (µs), past every token issued before the restart")
                            .isGreaterThan(second.fencingToken());
                    after.release();
                }
            }
        }
    }

    @Test
    void tokensAreTheCounterFlooredAtTheServerClockAndExact() throws Exception {
        Coordinator c = open();
        RedisKeys.Queue q = keys().queue(RedisKeys.Kind.LOCK, "clock");
        try (Session s = c.openSession(Duration.ofSeconds(10)); RespConnection r = server.connect()) {
            long before = micros(r.command("TIME"));
            LockGrant g = s.lock("clock").acquire();
            long after = micros(r.command("TIME"));
            assertThat(g.fencingToken()).as("a fresh counter (INCR gives 1) is floored at the server's clock")
                    .isBetween(before, after);
            assertThat(r.command("GET", q.counter())).as("all 16 digits, exactly").isEqualTo(Long.toString(g.fencingToken()));
            String member = kit.entries(namespace, Primitive.LOCK, "clock").get(0);
            assertThat(r.command("ZSCORE", q.queue(), member)).isEqualTo(Long.toString(g.fencingToken()));
            g.release();

            // a counter ahead of the clock (here: beyond 2^52, in the year 2112) is simply incremented
            long ahead = (1L << 52) + 12345;
            r.command("SET", q.counter(), Long.toString(ahead));
            LockGrant next = s.lock("clock").acquire();
            assertThat(next.fencingToken()).as("INCR when the counter is already past the clock").isEqualTo(ahead + 1);
            member = kit.entries(namespace, Primitive.LOCK, "clock").get(0);
            assertThat(r.command("ZSCORE", q.queue(), member)).isEqualTo(Long.toString(ahead + 1));
            next.release();

            // terms, and the versions observers order events by, come from the same floored counter;
            // they travel in pub/sub messages too, formatted by the scripts: all digits must survive
            Coordinator watcher = open();
            List<Optional<Leader>> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
            try (var sub = watcher.election("clock").observe(seen::add)) {
                await().untilAsserted(() -> assertThat(seen).containsExactly(Optional.empty()));
                long t0 = micros(r.command("TIME"));
                Leadership l = s.election("clock").campaign("v1");
                assertThat(l.term()).isGreaterThanOrEqualTo(t0);
                l.proclaim("v2");
                await().untilAsserted(() -> assertThat(seen).containsExactly(Optional.empty(),
                        Optional.of(new Leader(s.id(), "v1", l.term())), Optional.of(new Leader(s.id(), "v2", l.term()))));
                l.resign();
                await().untilAsserted(() -> assertThat(seen).hasSize(4).last().isEqualTo(Optional.empty()));
            }
        }
    }

    /** {@code TIME} reply → microseconds since the epoch. */
    private static long micros(Object time) {
        List<?> t = (List<?>) time;
        return Long.parseLong(t.get(0).toString()) * 1_000_000L + Long.parseLong(t.get(1).toString());
    }

    @Test
    void aFrozenServerNeverLetsTwoSessionsBelieveTheyHoldTheLock() throws Exception {
        try (RedisServer own = TestServers.redis()) {
            own.requireFaults();
            try (Coordinator a = Coordinator.open(own.coordUri("pause")); Coordinator b = Coordinator.open(own.coordUri("pause"))) {
                Session holder = a.openSession(Duration.ofSeconds(1));
                LockGrant held = holder.lock("p").acquire();
                try (Session waiter = b.openSession(Duration.ofSeconds(20))) {
                    java.util.concurrent.atomic.AtomicReference<Boolean> oldHeldAtGrant = new java.util.concurrent.atomic.AtomicReference<>();
                    CompletableFuture<LockGrant> next = waiter.lock("p").acquireAsync();
                    CompletableFuture<LockGrant> observed = next.whenComplete((g, e) -> oldHeldAtGrant.set(held.isHeld()));
                    own.process().pause();
                    try {
                        await().until(() -> holder.state() == SessionState.EXPIRED); // local verdict, server unreachable
                    } finally {
                        own.process().resume();
                    }
                    LockGrant taken = observed.get(30, java.util.concurrent.TimeUnit.SECONDS);
                    assertThat(oldHeldAtGrant.get()).as("when the new grant was handed out the old holder already knew it lost").isFalse();
                    assertThat(held.whenLost().get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(io.coord.LossReason.SESSION_EXPIRED);
                    assertThat(taken.fencingToken()).isGreaterThan(held.fencingToken());
                    taken.release();
                }
                holder.close();
            }
        }
    }

    @Test
    void theKeyLayoutIsDocumentedAndHashTagged() {
        RedisKeys k = new RedisKeys("app/x");
        RedisKeys.Queue q = k.queue(RedisKeys.Kind.LOCK, "a}b{c d/é");
        assertThat(q.queue()).isEqualTo("coord:app/x:lock:{app/x/lock/a%7Db%7Bc%20d%2F%C3%A9}:q");
        assertThat(q.counter()).endsWith("}:c");
        assertThat(k.isPermanent(q.counter())).isTrue();
        assertThat(k.isPermanent(q.queue())).isFalse();
        assertThat(k.session("ab")).isEqualTo("coord:app/x:s:ab");
        assertThat(RedisKeys.sessionOf(RedisKeys.member("s1", "c1", 10))).isEqualTo("s1");
        assertThatThrownBy(() -> new RedisKeys("bad{ns}")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("namespace");
    }

    @Test
    void uriParametersAreCheckedAndTheSchemeIsServed() {
        assertThat(new RedisCoordinatorProvider().schemes()).isEqualTo(Set.of("redis", "rediss"));
        assertThatThrownBy(() -> Coordinator.open(server.uri() + "/ns?nope=1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nope")
                .hasMessageContaining("caFile, certFile, cluster, connectTimeout, keyFile, operationTimeout, tls, waitReplicas, waitTimeout");
        assertThatThrownBy(() -> Coordinator.open(server.uri() + "/ns?cluster=maybe")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("true or false");
        Coordinator c = Coordinator.open(server.coordUri(namespace) + "?cluster=false&operationTimeout=2s");
        closeLater(c);
        assertThat(c.backend()).isEqualTo("redis");
        assertThat(c.namespace()).isEqualTo(namespace);
        assertThat(((RedisCoordinator) c).isCluster()).isFalse();
    }

    @Test
    void anUnreachableServerFailsFastAndLeavesNoThreads() {
        assertThatThrownBy(() -> RedisCoordinator.builder().endpoints("127.0.0.1:1").operationTimeout(Duration.ofSeconds(1)).build())
                .isInstanceOf(io.coord.BackendUnavailableException.class).hasMessageContaining("127.0.0.1");
        await().untilAsserted(() -> assertThat(Thread.getAllStackTraces().keySet())
                .noneMatch(t -> t.isAlive() && t.getName().startsWith("lettuce-")));
    }
}
