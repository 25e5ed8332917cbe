package io.coord.spi;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which shards each member owns, computed the same way by every member from the members in join order.
 *
 * <p>The first member owns every shard; then each member in turn takes ⌊shards / k⌋ shards (k members so far),
 * one at a time from the currently most loaded member (the earliest joined among equals), the one it prefers most
 * by {@link #preference}. Why this is balanced: before a step the loads differ by at most one, and taking from the
 * maximum keeps them so, so afterwards every load is ⌊shards / k⌋ or ⌈shards / k⌉. Why a join moves only its share:
 * the newest member's step is the last one, so the assignment without it is exactly the one before it joined.
 */
final class ShardAssignment {

    private ShardAssignment() {
    }

    /**
     * @param memberIds the members' ids in join order (distinct)
     * @param shards    the shard count, at least 1
     * @return per member, in the same order, the shards it owns
     */
    static List<Set<Integer>> compute(List<String> memberIds, int shards) {
        int n = memberIds.size();
        int[] owner = new int[shards];
        int[] load = new int[n];
        if (n == 0) {
            return List.of();
        }
        load[0] = shards;
        for (int k = 1; k < n; k++) {
            long[] score = new long[shards];
            for (int s = 0; s < shards; s++) {
                score[s] = preference(memberIds.get(k), s);
            }
            Comparator<Integer> mostPreferred = (a, b) -> score[a] != score[b] ? Long.compare(score[b], score[a]) : Integer.compare(a, b);
            List<TreeSet<Integer>> byOwner = new ArrayList<>(k);
            for (int j = 0; j < k; j++) {
                byOwner.add(new TreeSet<>(mostPreferred));
            }
            for (int s = 0; s < shards; s++) {
                byOwner.get(owner[s]).add(s);
            }
            for (int t = shards / (k + 1); t > 0; t--) {
                int donor = 0;
                for (int j = 1; j < k; j++) {
                    if (load[j] > load[donor]) {
                        donor = j;
                    }
                }
                int s = byOwner.get(donor).pollFirst();
                owner[s] = k;
                load[donor]--;
                load[k]++;
            }
        }
        List<Set<Integer>> result = new ArrayList<>(n);
        for (int j = 0; j < n; j++) {
            result.add(new TreeSet<>());
        }
        for (int s = 0; s < shards; s++) {
            result.get(owner[s]).add(s);
        }
        List<Set<Integer>> frozen = new ArrayList<>(n);
        result.forEach(r -> frozen.add(Collections.unmodifiableSet(r)));
        return List.copyOf(frozen);
    }

    /** How much a member wants a shard: a 64-bit mix of its id (FNV-1a over UTF-8) and the shard, equal on every JVM. */
    static long preference(String memberId, int shard) {
        long h = 0xcbf29ce484222325L;
        for (byte b : memberId.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        long z = h + 0x9e3779b97f4a7c15L * (shard + 1L);
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
