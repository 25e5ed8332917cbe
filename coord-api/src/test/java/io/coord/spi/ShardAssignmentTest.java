package io.coord.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every member's share of the shards: a partition, balanced to within one, and a join moves exactly its share. */
class ShardAssignmentTest {

    private static final int[] SHARD_COUNTS = {1, 2, 7, 16, 64, 100, 257};

    private static List<String> members(int n, int seed) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add("worker-" + seed + "-" + i);
        }
        return ids;
    }

    private static int[] owners(List<Set<Integer>> assignment, int shards) {
        int[] owner = new int[shards];
        java.util.Arrays.fill(owner, -1);
        for (int m = 0; m < assignment.size(); m++) {
            for (int s : assignment.get(m)) {
                assertEquals(-1, owner[s], "shard " + s + " has two owners");
                owner[s] = m;
            }
        }
        return owner;
    }

    @Test
    void everyShardHasExactlyOneOwnerAndLoadsDifferByAtMostOne() {
        for (int shards : SHARD_COUNTS) {
            for (int n = 1; n <= 12; n++) {
                List<Set<Integer>> a = ShardAssignment.compute(members(n, shards), shards);
                int[] owner = owners(a, shards);
                for (int s = 0; s < shards; s++) {
                    assertTrue(owner[s] >= 0, "shard " + s + " of " + shards + " has no owner among " + n);
                }
                for (Set<Integer> share : a) {
                    assertTrue(share.size() == shards / n || share.size() == (shards + n - 1) / n,
                            n + " members, " + shards + " shards: a share of " + share.size());
                }
            }
        }
    }

    @Test
    void aJoinMovesExactlyTheNewcomersShareAndNothingElse() {
        for (int shards : SHARD_COUNTS) {
            for (int seed = 0; seed < 20; seed++) {
                List<String> ids = members(10, seed);
                int[] before = owners(ShardAssignment.compute(ids.subList(0, 1), shards), shards);
                for (int n = 2; n <= ids.size(); n++) {
                    int[] after = owners(ShardAssignment.compute(ids.subList(0, n), shards), shards);
                    int moved = 0;
                    for (int s = 0; s < shards; s++) {
                        if (before[s] != after[s]) {
                            moved++;
                            assertEquals(n - 1, after[s], "a shard moved to an old member on a join");
                        }
                    }
                    assertEquals(shards / n, moved, shards + " shards, join of member " + n);
                    assertTrue(moved <= (shards + n - 1) / n + 1);
                    before = after;
                }
            }
        }
    }

    @Test
    void everyMemberComputesTheSameAssignment() {
        List<String> ids = members(7, 3);
        assertEquals(ShardAssignment.compute(ids, 64), ShardAssignment.compute(new ArrayList<>(ids), 64));
        assertEquals(new HashSet<>(List.of(0, 1, 2)), ShardAssignment.compute(List.of("only"), 3).get(0));
    }

    @Test
    void leavesMoveAboutTwiceTheLeaversShareOnAverage() {
        int shards = 64;
        long movedTotal = 0;
        long shareTotal = 0;
        int worst = 0;
        for (int seed = 0; seed < 50; seed++) {
            List<String> ids = members(8, seed);
            int[] before = owners(ShardAssignment.compute(ids, shards), shards);
            for (int leaver = 0; leaver < ids.size(); leaver++) {
                List<String> rest = new ArrayList<>(ids);
                rest.remove(leaver);
                int[] after = owners(ShardAssignment.compute(rest, shards), shards);
                int moved = 0;
                int share = 0;
                for (int s = 0; s < shards; s++) {
                    String was = ids.get(before[s]);
                    if (!was.equals(rest.get(after[s]))) {
                        moved++;
                    }
                    if (before[s] == leaver) {
                        share++;
                    }
                }
                assertTrue(moved >= share, "a leave must move at least the leaver's shards");
                movedTotal += moved;
                shareTotal += share;
                worst = Math.max(worst, moved);
                if (leaver == ids.size() - 1) {
                    assertEquals(share, moved, "the newest member's leave moves back exactly its shards");
                }
            }
        }
        System.out.printf("leaves of 8 members, 64 shards: %.2f x the leaver's share moved on average, worst %d shards%n",
                (double) movedTotal / shareTotal, worst);
    }
}
