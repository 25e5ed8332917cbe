package io.coord.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coord.AlreadyHeldException;
import io.coord.Coordinator;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.group.Member;
import io.coord.shard.ShardListener;
import io.coord.shard.ShardOwnership;
import io.coord.testkit.register.FencedRegister;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Shard ownership rules: after each join and leave every shard is owned by exactly one live member, never by two at
 * once (each shard's fenced register accepts every owner's first write, so tokens only grow); a join moves at most
 * ⌈shards / members⌉ + 1 shards; a crashed owner's shards are owned again after its TTL, and its late write is
 * rejected by the register; closing gives every shard up and leaves nothing on the server.
 */
public abstract class ShardRules extends Scenario {

    private static final int SHARDS = 12;

    /**
     * These rules against the backend {@code backend} supplies (see {@link Scenario#Scenario}).
     *
     * @param backend called before each scenario
     */
    protected ShardRules(Supplier<KitBackend> backend) {
        super(backend);
    }

    /** What every member of one scenario shares: a fenced register per shard, and who is told it owns each shard. */
    static final class Shards {
        final Map<Integer, FencedRegister> registers = new ConcurrentHashMap<>();
        final Map<Integer, String> owner = new ConcurrentHashMap<>();
        final List<String> overlaps = new CopyOnWriteArrayList<>();

        FencedRegister register(int shard) {
            return registers.computeIfAbsent(shard, s -> new FencedRegister());
        }

        int rejected() {
            return registers.values().stream().mapToInt(FencedRegister::rejectedCount).sum();
        }
    }

    /** One member's listener: checks that nobody else is told it owns a shard it is assigned, and writes the shard. */
    static final class Owner implements ShardListener {
        final String id;
        final Shards shards;
        final Map<Integer, Long> tokens = new ConcurrentHashMap<>();
        final List<String> events = new CopyOnWriteArrayList<>();
        ShardOwnership ownership;

        Owner(String id, Shards shards) {
            this.id = id;
            this.shards = shards;
        }

        @Override
        public void assigned(int shard, long fencingToken) {
            String before = shards.owner.putIfAbsent(shard, id);
            if (before != null) {
                shards.overlaps.add("shard " + shard + " assigned to " + id + " while " + before + " owned it");
            }
            tokens.put(shard, fencingToken);
            events.add("assigned " + shard);
            shards.register(shard).write(fencingToken, id, id);
        }

        @Override
        public void revoked(int shard, boolean lost) {
            shards.owner.remove(shard, id);
            tokens.remove(shard);
            events.add((lost ? "lost " : "revoked ") + shard);
        }

        int assignedCount() {
            return (int) events.stream().filter(e -> e.startsWith("assigned ")).count();
        }
    }

    private Owner start(Session s, String group, String id, Shards shards) {
        Owner m = new Owner(id, shards);
        m.ownership = s.shards(group, id, SHARDS, m);
        return m;
    }

    /** Every shard owned by exactly one of {@code members}, each owning ⌊S/n⌋ or ⌈S/n⌉, as each is told. */
    private void awaitBalanced(Owner... members) {
        int n = members.length;
        await().untilAsserted(() -> {
            Set<Integer> all = new HashSet<>();
            for (Owner m : members) {
                Set<Integer> owned = m.ownership.owned().keySet();
                assertThat(owned).as("%s owns %s", m.id, owned).hasSizeBetween(SHARDS / n, (SHARDS + n - 1) / n);
                assertThat(m.tokens.keySet()).as("what %s's listener was told", m.id).isEqualTo(owned);
                for (int shard : owned) {
                    assertThat(all.add(shard)).as("shard %d owned twice", shard).isTrue();
                }
            }
            assertThat(all).hasSize(SHARDS);
        });
    }

    @Test
    void everyShardHasExactlyOneOwnerAfterEachChangeAndAJoinMovesAtMostItsShare() {
        String group = unique("shards");
        Shards shards = new Shards();
        Coordinator second = newCoordinator();
        Coordinator third = newCoordinator();
        try (Session sa = session(); Session sb = second.openSession(backend.longTtl()); Session sc = third.openSession(backend.longTtl())) {
            Owner a = start(sa, group, "a", shards);
            awaitBalanced(a);
            assertThat(a.ownership.assigned()).hasSize(SHARDS);

            List<Integer> moves = new ArrayList<>();
            Owner b = start(sb, group, "b", shards);
            awaitBalanced(a, b);
            moves.add(b.assignedCount());
            int aBefore = a.assignedCount();
            int bBefore = b.assignedCount();
            long joinedAt = System.nanoTime();
            Owner c = start(sc, group, "c", shards);
            awaitBalanced(a, b, c);
            long settledAt = System.nanoTime();
            assertThat(a.assignedCount()).as("a join moves shards to the newcomer only").isEqualTo(aBefore);
            assertThat(b.assignedCount()).as("a join moves shards to the newcomer only").isEqualTo(bBefore);
            moves.add(c.assignedCount());
            assertThat(moves.get(0)).as("shards moved by the 2nd join").isLessThanOrEqualTo((SHARDS + 1) / 2 + 1);
            assertThat(moves.get(1)).as("shards moved by the 3rd join").isLessThanOrEqualTo((SHARDS + 2) / 3 + 1);
            System.out.printf("[kit] %s: %d shards, moves per join (2nd, 3rd member): %s; the 3rd join settled %d ms after join was called%n",
                    backend.label(), SHARDS, moves, Duration.ofNanos(settledAt - joinedAt).toMillis());

            b.ownership.close();
            assertThat(b.events.stream().filter(e -> e.startsWith("lost")).toList()).as("closing revokes, never loses").isEmpty();
            assertThat(b.ownership.owned()).isEmpty();
            awaitBalanced(a, c);
            assertThat(coord.group(group).members().members()).extracting(Member::id).containsExactlyInAnyOrder("a", "c");

            a.ownership.close();
            awaitBalanced(c);
            c.ownership.close();
            assertThat(shards.overlaps).as("a shard told to two owners at once").isEmpty();
            assertThat(shards.rejected()).as("every owner's token was above every earlier owner's").isZero();
            for (int shard = 0; shard < SHARDS; shard++) {
                assertThat(entries(Primitive.LOCK, ShardOwnership.lockName(group, shard))).as("shard %d's lock", shard).isEmpty();
            }
        }
    }

    @Test
    void aCrashedOwnersShardsAreOwnedAgainAfterItsTtlAndItsLateWriteIsRejected() {
        String group = unique("crashed");
        Shards shards = new Shards();
        CrashableClient doomedClient = crashable();
        try (Session alive = session()) {
            Owner a = start(alive, group, "a", shards);
            awaitBalanced(a);
            // opened only now: a short TTL must not run out while the first member settles on a busy machine
            Session doomed = doomedClient.coordinator().openSession(backend.shortTtl());
            try {
                crashAndReown(group, shards, a, start(doomed, group, "k", shards), doomedClient);
            } finally {
                doomed.close();
            }
        }
    }

    /** k is cut off: a owns its shards again after its TTL, with greater tokens, and k's late writes are refused. */
    private void crashAndReown(String group, Shards shards, Owner a, Owner k, CrashableClient doomedClient) {
        awaitBalanced(a, k);
        Map<Integer, Long> kTokens = Map.copyOf(k.tokens);

        doomedClient.crash();
        long crashedAt = System.nanoTime();
        awaitBalanced(a);
        long ownedAt = System.nanoTime();
        System.out.printf("[kit] %s: a crashed owner's %d shards (TTL %d ms) owned again %d ms after the crash%n", backend.label(),
                kTokens.size(), backend.shortTtl().toMillis(), Duration.ofNanos(ownedAt - crashedAt).toMillis());
        for (Map.Entry<Integer, Long> e : kTokens.entrySet()) {
            assertThat(a.tokens.get(e.getKey())).as("the new owner's token of shard %d", e.getKey()).isGreaterThan(e.getValue());
            assertThat(shards.register(e.getKey()).write(e.getValue(), "k (late)", "stale").stale())
                    .as("the crashed owner's late write to shard %d", e.getKey()).isTrue();
        }
        await().untilAsserted(() -> assertThat(k.events.stream().filter(e -> e.startsWith("lost")).count())
                .as("the crashed owner is told its shards are lost once its session is").isEqualTo(kTokens.size()));
        assertThat(shards.overlaps).as("only the crashed owner, cut off, may overlap").allMatch(o -> o.contains(" while k owned"));
        a.ownership.close();
    }

    @Test
    void badShardArgumentsAreRefusedBeforeAnythingIsSent() {
        try (Session s = session()) {
            ShardListener quiet = new Owner("x", new Shards());
            long before = coord.stats().roundTrips(Primitive.GROUP);
            assertThatThrownBy(() -> s.shards("g", "m", 0, quiet)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("between 1 and " + ShardOwnership.MAX_SHARDS).hasMessageContaining("got 0");
            assertThatThrownBy(() -> s.shards("g", "m", ShardOwnership.MAX_SHARDS + 1, quiet)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> s.shards("g", "m", 4, null)).isInstanceOf(NullPointerException.class).hasMessageContaining("listener");
            assertThatThrownBy(() -> s.shards(" ", "m", 4, quiet)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("group");
            assertThatThrownBy(() -> s.shards("g".repeat(250), "m", 100, quiet)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("256");
            assertThat(coord.stats().roundTrips(Primitive.GROUP)).isEqualTo(before);

            String group = unique("twice");
            ShardOwnership first = s.shards(group, "m", 4, quiet);
            assertThatThrownBy(() -> s.shards(group, "m", 4, quiet)).isInstanceOf(AlreadyHeldException.class);
            first.close();
            first.close(); // idempotent
            assertThat(coord.group(group).members().members()).isEmpty();
        }
    }
}
