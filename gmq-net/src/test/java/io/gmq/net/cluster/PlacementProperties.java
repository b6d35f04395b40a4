package io.gmq.net.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/**
 * Data group placement: whatever nodes join and leave, every data group has min(3, nodes)
 * distinct members, all of them in the cluster; a new cluster's nodes hold as many replicas as
 * each other give or take one; a node added takes replicas until it holds its share or the
 * busiest node holds at most one more than it.
 */
class PlacementProperties {

    @Property(tries = 300)
    void aNewClusterIsEvenAndEveryGroupFullyReplicated(
            @ForAll @IntRange(min = 1, max = 9) int nodes, @ForAll @IntRange(min = 1, max = 12) int groups) {
        List<String> ids = ids(nodes);
        Map<Integer, List<String>> placed = initial(ids, groups);
        check(placed, ids);
        int min = ids.stream().mapToInt(id -> Placement.load(placed, id)).min().orElseThrow();
        int max = ids.stream().mapToInt(id -> Placement.load(placed, id)).max().orElseThrow();
        assertTrue(max - min <= 1, placed.toString());
    }

    @Property(tries = 500)
    void joinsAndLeavesKeepEveryGroupFullyReplicated(
            @ForAll @IntRange(min = 1, max = 6) int nodes,
            @ForAll @IntRange(min = 1, max = 8) int groups,
            @ForAll @Size(max = 12) List<@IntRange(min = 0, max = 9) Integer> changes) {
        List<String> ids = ids(nodes);
        Map<Integer, List<String>> placed = initial(ids, groups);
        int next = nodes + 1;
        for (int c : changes) {
            if (c < 5 || ids.size() == 1) {
                String added = Integer.toString(next++);
                ids.add(added);
                List<Placement.Move> moves = Placement.afterAdd(placed, ids, added);
                moves.forEach(m -> assertEquals(added, m.in(), moves.toString()));
                placed = Placement.apply(placed, moves);
                check(placed, ids);
                int share = placed.values().stream().mapToInt(List::size).sum() / ids.size();
                int mine = Placement.load(placed, added);
                Map<Integer, List<String>> p = placed;
                int busiest =
                        ids.stream().mapToInt(id -> Placement.load(p, id)).max().orElseThrow();
                assertTrue(mine >= share || busiest <= mine + 1, placed + " after adding " + added);
            } else {
                String removed = ids.remove(c % ids.size());
                List<Placement.Move> moves = Placement.afterRemove(placed, ids, removed);
                moves.forEach(m -> assertEquals(removed, m.out(), moves.toString()));
                placed = Placement.apply(placed, moves);
                check(placed, ids);
            }
        }
    }

    @Test
    void threeNodesHoldEveryGroupAndEachPrefersAnotherLeader() {
        List<String> ids = List.of("1", "2", "3");
        assertEquals(List.of("1", "2", "3"), Placement.initial(ids, 0));
        assertEquals(List.of("2", "3", "1"), Placement.initial(ids, 1));
        assertEquals(List.of("3", "1", "2"), Placement.initial(ids, 2));
    }

    @Test
    void aFourthNodeTakesOneReplicaOfTheBusiest() {
        List<String> ids = new ArrayList<>(List.of("1", "2", "3"));
        Map<Integer, List<String>> placed = initial(ids, 3);
        ids.add("4");
        List<Placement.Move> moves = Placement.afterAdd(placed, ids, "4");
        assertEquals(List.of(new Placement.Move(0, "1", "4"), new Placement.Move(1, "2", "4")), moves);
        assertEquals(List.of(), Placement.afterAdd(Placement.apply(placed, moves), ids, "4"));
    }

    private static void check(Map<Integer, List<String>> placed, List<String> ids) {
        for (var e : placed.entrySet()) {
            List<String> members = e.getValue();
            assertEquals(Math.min(Placement.REPLICAS, ids.size()), members.size(), placed.toString());
            assertEquals(members.size(), new HashSet<>(members).size(), placed.toString());
            assertTrue(ids.containsAll(members), placed + " over " + ids);
        }
    }

    private static Map<Integer, List<String>> initial(List<String> ids, int groups) {
        Map<Integer, List<String>> placed = new TreeMap<>();
        for (int g = 0; g < groups; g++) {
            placed.put(g, Placement.initial(ids, g));
        }
        return placed;
    }

    private static List<String> ids(int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            ids.add(Integer.toString(i));
        }
        return ids;
    }
}
