package io.coord.testkit.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.coord.LossReason;
import io.coord.Session;
import io.coord.testkit.KitBackend;
import io.coord.testkit.Scenario;
import io.coord.testkit.history.EventType;
import io.coord.testkit.history.FencedMutexChecker;
import io.coord.testkit.history.History;
import io.coord.testkit.history.Operation;
import io.coord.testkit.history.Verdict;
import io.coord.testkit.register.FencedRegister;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Faults of the holder: a pause longer than the TTL (SIGSTOP of a holder JVM) and a crash (SIGKILL),
 * each for a lock, an election, a semaphore permit, a write lock and a shard (the client partition is {@link PartitionRules}). The claim proven: no stale holder's write is ever accepted by a fenced resource, the
 * stale holder learns it lost, and the next holder gets in within the backend's declared bound.
 */
public abstract class HolderFaultRules extends Scenario {

    /** What the holder holds, and its token. */
    public enum Held {
        /** A fenced lock, its grant's fencing token as token. */
        LOCK,
        /** The leadership of an election, its term as token. */
        ELECTION,
        /** The one permit of a one-permit semaphore (slot 0), its fencing token as token. */
        PERMIT,
        /** The write lock of a read-write lock, its grant's fencing token as token. */
        WRITE_LOCK,
        /** The one shard of a one-shard group (the first member owns it), its lock's fencing token as token. */
        SHARD
    }

    /**
     * These rules against the backend {@code backend} supplies, which must be a {@link FaultBackend}.
     *
     * @param backend called before each scenario
     */
    protected HolderFaultRules(Supplier<KitBackend> backend) {
        super(backend);
    }

    private FaultBackend faults() {
        return (FaultBackend) backend;
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
        try (HolderProcess child = HolderProcess.start(faults().uri(namespace), kind, name, ttl);
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
            Holding mine = Holding.take(parent, kind, name);
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
        int rounds = kind == Held.ELECTION ? 2 : 3;
        for (int round = 0; round < rounds; round++) {
            try (HolderProcess child = HolderProcess.start(faults().uri(namespace), kind, name, ttl);
                 Session parent = session()) {
                long token = Long.parseLong(child.await("GRANTED", patience())[1]);
                assertThat(token).isGreaterThan(lastToken);
                CompletableFuture<Holding> next = CompletableFuture.supplyAsync(() -> {
                    try {
                        return Holding.take(parent, kind, name);
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

    private static Operation op(Held kind) {
        return kind == Held.ELECTION ? Operation.CAMPAIGN : Operation.ACQUIRE;
    }

    private static Operation release(Held kind) {
        return kind == Held.ELECTION ? Operation.RESIGN : Operation.RELEASE;
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
