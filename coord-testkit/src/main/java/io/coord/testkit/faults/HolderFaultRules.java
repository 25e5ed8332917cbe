package io.coord.testkit.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.coord.CoordException;
import io.coord.Coordinator;
import io.coord.LossReason;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.SessionState;
import io.coord.election.Leadership;
import io.coord.lock.LockGrant;
import io.coord.testkit.KitBackend;
import io.coord.testkit.Scenario;
import io.coord.testkit.history.EventType;
import io.coord.testkit.history.FencedMutexChecker;
import io.coord.testkit.history.History;
import io.coord.testkit.history.Operation;
import io.coord.testkit.history.Verdict;
import io.coord.testkit.register.FencedRegister;
import io.coord.testservers.TcpFaultProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Faults of the holder: a pause longer than the TTL (SIGSTOP of a holder JVM), a crash (SIGKILL),
 * and a client partition (a proxy that blackholes its traffic) — each for a lock and for an
 * election. The claim proven: no stale holder's write is ever accepted by a fenced resource, the
 * stale holder learns it lost, and the next holder gets in within the backend's declared bound.
 */
public abstract class HolderFaultRules extends Scenario {

    /** What the holder holds: a lock or the leadership of an election (term as fencing token). */
    public enum Held { LOCK, ELECTION }

    protected HolderFaultRules(Supplier<KitBackend> backend) {
        super(backend);
    }

    private FaultBackend faults() {
        return (FaultBackend) backend;
    }

    /** A grant or leadership held by this JVM, seen through the same few questions. */
    private record Holding(long token, Supplier<Boolean> held, CompletableFuture<LossReason> lost, Runnable release) {
    }

    private Holding take(Session s, Held kind, String name) throws InterruptedException {
        if (kind == Held.LOCK) {
            LockGrant g = s.lock(name).acquire();
            return new Holding(g.fencingToken(), g::isHeld, g.whenLost(), g::release);
        }
        Leadership l = s.election(name).campaign("parent");
        return new Holding(l.term(), l::isLeader, l.whenLost(), l::resign);
    }

    private static Primitive primitive(Held kind) {
        return kind == Held.LOCK ? Primitive.LOCK : Primitive.ELECTION;
    }

    @ParameterizedTest
    @EnumSource(Held.class)
    void aHolderPausedLongerThanItsTtlIsFencedOff(Held kind) throws Exception {
        String name = unique("pause");
        Duration ttl = backend.shortTtl();
        History history = new History();
        FencedRegister fenced = new FencedRegister();
        // The same writes against a store that does not check tokens: last writer wins.
        String unfenced;
        try (HolderProcess child = HolderProcess.start(faults().uri(namespace), kind == Held.ELECTION, name, ttl);
             Session parent = session()) {
            String[] granted = child.await("GRANTED", patience());
            long oldToken = Long.parseLong(granted[1]);
            history.recordAt(Long.parseLong(granted[3]) - 1, "child", EventType.INVOKE, op(kind), name, 0, 0, "");
            history.recordAt(Long.parseLong(granted[3]), "child", EventType.OK, op(kind), name, oldToken, Long.parseLong(granted[2]), "");
            child.send("WRITE");
            awaitCount(child, "WROTE", 1);
            assertThat(fenced.write(oldToken, "child", 1).accepted()).isTrue();
            unfenced = "child";

            child.pause();
            long pausedAt = System.nanoTime();
            long childValidity = lastValidity(child, granted);
            history.recordAt(pausedAt, "child", EventType.INFO, Operation.RENEW, name, oldToken, childValidity, "SIGSTOP");

            history.record("parent", EventType.INVOKE, op(kind), name, 0, 0, "");
            Holding mine = take(parent, kind, name);
            long grantedAt = System.nanoTime();
            history.record("parent", EventType.OK, op(kind), name, mine.token(), 0, "");
            assertThat(mine.token()).as("the new holder's token is greater than the paused one's").isGreaterThan(oldToken);
            assertThat(grantedAt).as("the paused holder's lease ended before the new grant").isGreaterThanOrEqualTo(childValidity);
            assertThat(fenced.write(mine.token(), "parent", fenced.value() + 1).accepted()).isTrue();
            unfenced = "parent";

            child.resume();
            child.send("WRITE");
            String[] zombie = awaitCount(child, "WROTE", 2);
            boolean accepted = fenced.write(Long.parseLong(zombie[1]), "child", fenced.value() + 1).accepted();
            unfenced = "child"; // the unfenced store takes the zombie's write over the new holder's
            int unfencedLost = unfenced.equals("parent") ? 0 : 1;
            assertThat(accepted).as("the resumed holder's stale write is rejected").isFalse();
            assertThat(zombie[2]).as("the resumed holder knows at once that it no longer holds").isEqualTo("false");
            String[] lost = child.await("LOST", patience());
            assertThat(lost[1]).isEqualTo(LossReason.SESSION_EXPIRED.name());
            history.recordAt(Long.parseLong(lost[2]), "child", EventType.LOST, op(kind), name, oldToken, 0, lost[1]);
            assertThat(mine.held().get()).isTrue();
            history.record("parent", EventType.INVOKE, release(kind), name, 0, 0, "");
            mine.release().run();
            history.record("parent", EventType.OK, release(kind), name, mine.token(), 0, "");

            Verdict verdict = FencedMutexChecker.check(history);
            assertThat(verdict.violations()).as(verdict.describe()).isEmpty();
            FaultReport.add(new FaultReport.Row("holder paused past its TTL (" + kind.name().toLowerCase() + ")", backend.label(),
                    verdict.operations(), verdict.grants(), fenced.rejectedCount(), verdict.overlaps(), unfencedLost,
                    List.of(Duration.ofNanos(grantedAt - pausedAt)), "ok"));
        }
    }

    @ParameterizedTest
    @EnumSource(Held.class)
    void aCrashedHolderIsReplacedWithinTheDeclaredBound(Held kind) throws Exception {
        String name = unique("crash");
        Duration ttl = backend.shortTtl();
        Duration bound = faults().expiryBound(ttl);
        List<Duration> recoveries = new ArrayList<>();
        long lastToken = 0;
        int rounds = kind == Held.LOCK ? 3 : 2;
        for (int round = 0; round < rounds; round++) {
            try (HolderProcess child = HolderProcess.start(faults().uri(namespace), kind == Held.ELECTION, name, ttl);
                 Session parent = session()) {
                long token = Long.parseLong(child.await("GRANTED", patience())[1]);
                assertThat(token).isGreaterThan(lastToken);
                CompletableFuture<Holding> next = CompletableFuture.supplyAsync(() -> {
                    try {
                        return take(parent, kind, name);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                });
                child.kill();
                long killedAt = System.nanoTime();
                Holding mine = join(next);
                Duration recovery = Duration.ofNanos(System.nanoTime() - killedAt);
                recoveries.add(recovery);
                assertThat(mine.token()).isGreaterThan(token);
                assertThat(recovery).as("time from kill -9 to the next grant, declared bound %s", bound).isLessThanOrEqualTo(bound);
                lastToken = mine.token();
                mine.release().run();
            }
        }
        FaultReport.add(new FaultReport.Row("holder crash, kill -9 (" + kind.name().toLowerCase() + ")", backend.label(),
                rounds * 2, rounds * 2, 0, 0, 0, recoveries, "ok (bound " + bound.toMillis() + " ms)"));
    }

    @ParameterizedTest
    @EnumSource(Held.class)
    void aPartitionedClientIsExpiredAndHealingDoesNotResurrectIt(Held kind) throws Exception {
        assumeTrue(faults().proxiable(), () -> backend.label() + " cannot be reached through a TCP proxy (clients follow server redirects)");
        String name = unique("partition");
        Duration ttl = backend.shortTtl();
        List<TcpFaultProxy> proxies = new ArrayList<>();
        try {
            List<String> via = new ArrayList<>();
            for (String endpoint : faults().endpoints()) {
                int colon = endpoint.lastIndexOf(':');
                TcpFaultProxy p = TcpFaultProxy.start(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1)));
                proxies.add(p);
                via.add(p.hostPort());
            }
            Coordinator cut = adopt(Coordinator.open(faults().uri(namespace, via)));
            Session s = cut.openSession(ttl);
            List<SessionState> states = new CopyOnWriteArrayList<>();
            s.addListener((x, from, to) -> states.add(to));
            Holding old = take(s, kind, name);
            AtomicLong lostAt = new AtomicLong();
            CompletableFuture<LossReason> lostSignal = old.lost().whenComplete((r, e) -> lostAt.set(System.nanoTime()));

            proxies.forEach(TcpFaultProxy::blackhole);
            long cutAt = System.nanoTime();

            assertThat(join(lostSignal)).isEqualTo(LossReason.SESSION_EXPIRED);
            long deadline = s.validUntilNanos();
            assertThat(lostAt.get()).as("the loss was signalled no later than validUntil").isLessThanOrEqualTo(deadline);
            assertThat(old.held().get()).isFalse();
            await().untilAsserted(() -> assertThat(states).containsSubsequence(SessionState.SUSPENDED, SessionState.EXPIRED));

            try (Session other = session()) {
                Holding next = take(other, kind, name);
                long recoveredAt = System.nanoTime();
                assertThat(next.token()).isGreaterThan(old.token());

                proxies.forEach(TcpFaultProxy::heal);
                // Healing must not resurrect the old grant: watch for a while that nothing changes.
                await().during(ttl.multipliedBy(2)).atMost(ttl.multipliedBy(2).plus(patience())).until(() ->
                        !old.held().get() && s.state() == SessionState.EXPIRED && next.held().get()
                                && entries(primitive(kind), name).size() == 1);
                assertThatThrownBy(old.release()::run).isInstanceOf(CoordException.class).hasMessageContaining("lost");
                assertThat(next.held().get()).isTrue();
                next.release().run();
                FaultReport.add(new FaultReport.Row("client partition (" + kind.name().toLowerCase() + ")", backend.label(),
                        2, 2, 0, 0, 0, List.of(Duration.ofNanos(recoveredAt - cutAt)),
                        "ok (loss signalled " + Duration.ofNanos(deadline - lostAt.get()).toMillis() + " ms before validUntil)"));
            }
            s.close();
        } finally {
            proxies.forEach(TcpFaultProxy::close);
        }
    }

    private static Operation op(Held kind) {
        return kind == Held.LOCK ? Operation.ACQUIRE : Operation.CAMPAIGN;
    }

    private static Operation release(Held kind) {
        return kind == Held.LOCK ? Operation.RELEASE : Operation.RESIGN;
    }

    /** The child's latest reported validity bound (from GRANTED or a later VALID report). */
    private static long lastValidity(HolderProcess child, String[] granted) {
        return child.last("VALID").map(v -> Long.parseLong(v[2])).orElse(Long.parseLong(granted[2]));
    }

    private String[] awaitCount(HolderProcess child, String kind, int n) {
        await().until(() -> child.reports().stream().filter(r -> r.startsWith(kind + " ")).count() >= n);
        return child.last(kind).orElseThrow();
    }
}
