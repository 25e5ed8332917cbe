package io.coord.redis;

import io.coord.Coordinator;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.SessionState;
import io.coord.election.Leader;
import io.coord.election.Leadership;
import io.coord.lock.FencedLock;
import io.coord.lock.LockGrant;
import io.coord.testservers.RedisServer;
import io.coord.testservers.RespConnection;
import io.coord.testservers.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Orphaned queue entries: an entry whose release (or resignation) its owner believes done, but
 * whose effect the server lost — as after a failover to a lagging replica — while the owner's
 * session lives on. The loss is reproduced deterministically: the entry is released normally, then
 * the exact member is written back into the queue with a raw command, so the server is in the state
 * a lost release leaves behind. Its owner's session keeps renewing, so only the ownership question
 * (see {@link RedisCoordinator}) can free the queue; and an entry its owner does own must never go.
 */
class RedisOrphanedEntryTest extends SingleRedisTest {

    /** Short but legal: a waiter asks after about one lease of the predecessor. */
    private static final Duration TTL = Duration.ofSeconds(1);
    /** Generous bound for "within about one TTL": a whole wait (≤ TTL), the question, one removal; plus a busy machine. */
    private static final Duration ORPHAN_BOUND = TTL.multipliedBy(4).plusSeconds(4);

    private static RedisKeys.Kind kindOf(Primitive p) {
        return switch (p) {
            case LOCK -> RedisKeys.Kind.LOCK;
            case FAIR_LOCK -> RedisKeys.Kind.FAIR;
            case ELECTION -> RedisKeys.Kind.ELECTION;
            default -> throw new IllegalArgumentException(p.toString());
        };
    }

    private static FencedLock lock(Session s, Primitive p, String name) {
        return p == Primitive.FAIR_LOCK ? s.fairLock(name) : s.lock(name);
    }

    /** Writes {@code member} back with its old ticket: the server now looks as if its removal had been lost. */
    /**
     * Session {@code a} wins election {@code name} with value "v" and resigns, then the server
     * "loses" the resignation: the exact leader entry is written back. Returns the resigned leadership.
     */
    private Leadership orphanedLeadership(Session a, String name) throws Exception {
        RedisKeys.Queue q = keys().queue(RedisKeys.Kind.ELECTION, name);
        Leadership l = a.election(name).campaign("v");
        String member = kit.entries(namespace, Primitive.ELECTION, name).get(0);
        String ticket;
        try (RespConnection r = server.connect()) {
            ticket = r.command("ZSCORE", q.queue(), member).toString();
        }
        l.resign();
        resurrect(q, member, ticket, "v");
        return l;
    }

    private void resurrect(RedisKeys.Queue q, String member, String ticket, String value) {
        try (RespConnection r = server.connect()) {
            r.command("ZADD", q.queue(), ticket, member);
            if (value != null) {
                r.command("HSET", q.values(), member, value);
            }
        }
    }

    /** Collects every message published on {@code channel} (a raw lettuce subscription of the test's own). */
    private List<String> listen(String channel) throws Exception {
        RedisClient client = RedisClient.create(server.uri());
        StatefulRedisPubSubConnection<String, String> c = client.connectPubSub(StringCodec.UTF8);
        List<String> seen = new CopyOnWriteArrayList<>();
        c.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String ch, String message) {
                seen.add(message);
            }
        });
        c.sync().subscribe(channel);
        closeLater(() -> {
            c.close();
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        });
        return seen;
    }

    @ParameterizedTest
    @EnumSource(value = Primitive.class, names = {"LOCK", "FAIR_LOCK"})
    void anOrphanedEntryOfALiveSessionIsRemovedByItsOwnerWithinAboutOneTtl(Primitive kind) throws Exception {
        RedisCoordinator owner = open();
        RedisCoordinator other = open();
        RedisKeys.Queue q = keys().queue(kindOf(kind), "o");
        Session a = owner.openSession(TTL);
        LockGrant first = lock(a, kind, "o").acquire();
        String member = kit.entries(namespace, kind, "o").get(0);
        String ticket;
        try (RespConnection r = server.connect()) {
            ticket = r.command("ZSCORE", q.queue(), member).toString();
        }
        first.release(); // the owner now knows it holds nothing...
        resurrect(q, member, ticket, null); // ...but the server "lost" the release
        assertThat(kit.entries(namespace, kind, "o")).containsExactly(member);

        Session w = other.openSession(TTL);
        CompletableFuture<LockGrant> next = lock(w, kind, "o").acquireAsync();
        long asked = System.nanoTime();

        // the orphan's session lives on (it keeps renewing): only its owner's answer frees the queue
        Awaitility.await().pollInterval(Duration.ofMillis(20)).atMost(ORPHAN_BOUND).until(next::isDone);
        LockGrant g = next.get();
        assertThat(a.state()).as("the orphan went while its owner's session lived").isEqualTo(SessionState.ACTIVE);
        // the owner counts its removal after remove.lua's reply, which may come after the grant it caused
        Awaitility.await().pollInterval(Duration.ofMillis(20)).atMost(ORPHAN_BOUND).untilAsserted(() ->
                assertThat(owner.orphansRemoved()).as("removed by its owner's answer, not by a session's end").isEqualTo(1));
        assertThat(g.fencingToken()).isGreaterThan(first.fencingToken());
        assertThat(kit.entries(namespace, kind, "o")).doesNotContain(member).hasSize(1);
        assertThat(Duration.ofNanos(System.nanoTime() - asked)).as("informational: about one TTL").isPositive();
        g.release();
        w.close();
        a.close();
    }

    @Test
    void entriesTheirOwnersOwnAreNeverRemovedHowEverOftenTheyAreAsked() throws Exception {
        RedisCoordinator one = open();
        RedisCoordinator two = open();
        RedisKeys.Queue q = keys().queue(RedisKeys.Kind.FAIR, "k");
        Session holder = one.openSession(TTL);
        Session waiter = two.openSession(TTL);
        Session last = one.openSession(TTL);
        LockGrant held = holder.fairLock("k").acquire();
        String heldMember = kit.entries(namespace, Primitive.FAIR_LOCK, "k").get(0);
        List<String> toOne = listen(keys().inbox(RedisKeys.coordinatorOf(heldMember)));

        CompletableFuture<LockGrant> second = waiter.fairLock("k").acquireAsync();
        await().untilAsserted(() -> assertThat(kit.entries(namespace, Primitive.FAIR_LOCK, "k")).hasSize(2));
        String waitingMember = kit.entries(namespace, Primitive.FAIR_LOCK, "k").get(1);
        List<String> toTwo = listen(keys().inbox(RedisKeys.coordinatorOf(waitingMember)));
        CompletableFuture<LockGrant> third = last.fairLock("k").acquireAsync();
        await().untilAsserted(() -> assertThat(kit.entries(namespace, Primitive.FAIR_LOCK, "k")).hasSize(3));

        // and forged questions about the held entry, straight to its owner's inbox
        try (RespConnection r = server.connect()) {
            for (int i = 0; i < 5; i++) {
                r.command("PUBLISH", keys().inbox(RedisKeys.coordinatorOf(heldMember)), "?" + heldMember + " " + q.queue());
            }
            // and questions its owner must ignore: a key outside the namespace, a malformed one
            r.command("PUBLISH", keys().inbox(RedisKeys.coordinatorOf(heldMember)), "?" + heldMember + " coord:elsewhere:fair:{elsewhere/fair/k}:q");
            r.command("PUBLISH", keys().inbox(RedisKeys.coordinatorOf(heldMember)), "?" + heldMember);
        }

        // the waiters ask, poll after poll: about the held grant (to one) and the pending acquisition (to two)
        await().untilAsserted(() -> {
            assertThat(toOne.stream().filter(m -> m.equals("?" + heldMember + " " + q.queue()))).hasSizeGreaterThanOrEqualTo(5 + 3);
            assertThat(toTwo.stream().filter(m -> m.equals("?" + waitingMember + " " + q.queue()))).hasSizeGreaterThanOrEqualTo(3);
        });
        assertThat(kit.entries(namespace, Primitive.FAIR_LOCK, "k")).as("nothing owned was removed")
                .hasSize(3).startsWith(heldMember, waitingMember);
        assertThat(held.isHeld()).isTrue();
        assertThat(second).isNotDone();
        assertThat(third).isNotDone();
        assertThat(one.orphansRemoved() + two.orphansRemoved()).isZero();

        held.release();
        LockGrant g2 = second.get(30, TimeUnit.SECONDS);
        g2.release();
        LockGrant g3 = third.get(30, TimeUnit.SECONDS);
        assertThat(g3.fencingToken()).isGreaterThan(g2.fencingToken());
        g3.release();
        holder.close();
        waiter.close();
        last.close();
    }

    @Test
    void anOrphanedLeaderIsRemovedEvenWithOnlyAnObserverWatching() throws Exception {
        RedisCoordinator owner = open();
        RedisCoordinator watcher = open();
        Session a = owner.openSession(TTL);
        Leadership l = orphanedLeadership(a, "e");

        List<Optional<Leader>> seen = new CopyOnWriteArrayList<>();
        try (var sub = watcher.election("e").observe(seen::add)) {
            await().untilAsserted(() -> assertThat(seen).first().isEqualTo(Optional.of(new Leader(a.id(), "v", l.term()))));
            Awaitility.await().pollInterval(Duration.ofMillis(20)).atMost(ORPHAN_BOUND)
                    .untilAsserted(() -> assertThat(seen).last().isEqualTo(Optional.empty()));
        }
        assertThat(a.state()).isEqualTo(SessionState.ACTIVE);
        assertThat(owner.orphansRemoved()).isEqualTo(1);
        assertThat(kit.entries(namespace, Primitive.ELECTION, "e")).isEmpty();
        a.close();
    }

    @Test
    void anOrphanedLeaderIsRemovedForAWaitingCandidate() throws Exception {
        RedisCoordinator owner = open();
        RedisCoordinator other = open();
        Session a = owner.openSession(TTL);
        Leadership l = orphanedLeadership(a, "c");

        Session b = other.openSession(TTL);
        CompletableFuture<Leadership> next = b.election("c").campaignAsync("w");
        Awaitility.await().pollInterval(Duration.ofMillis(20)).atMost(ORPHAN_BOUND).until(next::isDone);
        Leadership won = next.get();
        assertThat(won.term()).isGreaterThan(l.term());
        assertThat(a.state()).isEqualTo(SessionState.ACTIVE);
        assertThat(owner.orphansRemoved()).isEqualTo(1);
        assertThat(watcherLeader(other, "c")).contains(new Leader(b.id(), "w", won.term()));
        won.resign();
        b.close();
        a.close();
    }

    private static Optional<Leader> watcherLeader(Coordinator c, String name) {
        return c.election(name).leader();
    }

    @Test
    void aQueueKeyIsRecognisedOnlyInItsCanonicalFormAndNamespace() {
        RedisKeys k = new RedisKeys("app/x");
        for (RedisKeys.Kind kind : RedisKeys.Kind.values()) {
            RedisKeys.Queue q = k.queue(kind, "a}b{c d/é");
            assertThat(k.queueOfKey(q.queue())).contains(new RedisKeys.QueueRef(kind, q));
        }
        assertThat(k.queueOfKey(k.queue(RedisKeys.Kind.LOCK, "n").counter())).isEmpty();
        assertThat(k.queueOfKey(new RedisKeys("app/y").queue(RedisKeys.Kind.LOCK, "n").queue())).isEmpty();
        assertThat(k.queueOfKey("coord:app/x:lock:{app/x/fair/n}:q")).as("kinds must agree").isEmpty();
        assertThat(k.queueOfKey("coord:app/x:lock:{app/x/lock/%7d}:q")).as("not canonical").isEmpty();
        assertThat(k.queueOfKey("coord:app/x:lock:{app/x/lock/%ZZ}:q")).isEmpty();
        assertThat(RedisKeys.coordinatorOf(RedisKeys.member("s1", "c1", 10))).isEqualTo("c1");
        assertThat(RedisKeys.coordinatorOf("nocolons")).isEmpty();
    }
}
