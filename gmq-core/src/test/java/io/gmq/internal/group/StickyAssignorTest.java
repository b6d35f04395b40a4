package io.gmq.internal.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.TopicPartition;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class StickyAssignorTest {

    private static SortedMap<String, Set<String>> subscribers(String topic, int members) {
        SortedMap<String, Set<String>> subs = new TreeMap<>();
        for (int i = 0; i < members; i++) {
            subs.put("m" + (char) ('a' + i), Set.of(topic));
        }
        return subs;
    }

    private static int moved(Map<TopicPartition, String> before, Map<TopicPartition, String> after) {
        int moved = 0;
        for (Map.Entry<TopicPartition, String> e : before.entrySet()) {
            if (!e.getValue().equals(after.get(e.getKey()))) {
                moved++;
            }
        }
        return moved;
    }

    @Test
    void joiningMemberTakesOnlyItsFairShareFromTheOthers() {
        Map<String, Integer> counts = Map.of("t", 12);
        SortedMap<TopicPartition, String> three = StickyAssignor.assign(subscribers("t", 3), counts, Map.of());
        SortedMap<TopicPartition, String> four = StickyAssignor.assign(subscribers("t", 4), counts, three);

        assertEquals(3, moved(three, four), "12 partitions, 3 -> 4 members: exactly 12/4 move");
        assertEquals(3, four.values().stream().filter("md"::equals).count(), "the new member gets its share");
    }

    @Test
    void leavingMemberOnlyRedistributesItsOwnPartitions() {
        Map<String, Integer> counts = Map.of("t", 10);
        SortedMap<TopicPartition, String> four = StickyAssignor.assign(subscribers("t", 4), counts, Map.of());
        SortedMap<String, Set<String>> withoutB = subscribers("t", 4);
        withoutB.remove("mb");
        SortedMap<TopicPartition, String> three = StickyAssignor.assign(withoutB, counts, four);

        four.forEach((tp, member) -> {
            if (!member.equals("mb")) {
                assertEquals(member, three.get(tp), tp + " moved although its holder stayed");
            }
        });
    }

    @Test
    void assignmentIsBalancedPerTopicNotAcrossTopics() {
        SortedMap<String, Set<String>> subs = new TreeMap<>(Map.of("m1", Set.of("x", "y"), "m2", Set.of("x")));
        SortedMap<TopicPartition, String> result = StickyAssignor.assign(subs, Map.of("x", 4, "y", 2), Map.of());

        assertEquals(
                2,
                result.entrySet().stream()
                        .filter(e ->
                                e.getKey().topic().equals("x") && e.getValue().equals("m1"))
                        .count());
        assertEquals(
                2,
                result.entrySet().stream()
                        .filter(e ->
                                e.getKey().topic().equals("x") && e.getValue().equals("m2"))
                        .count());
        assertEquals(
                List.of("m1", "m1"),
                result.entrySet().stream()
                        .filter(e -> e.getKey().topic().equals("y"))
                        .map(Map.Entry::getValue)
                        .toList());
    }

    @Test
    void topicThatDoesNotExistContributesNothing() {
        SortedMap<String, Set<String>> subs = new TreeMap<>(Map.of("m1", Set.of("ghost")));
        assertTrue(StickyAssignor.assign(subs, Map.of("ghost", -1), Map.of()).isEmpty());
        assertTrue(StickyAssignor.assign(subs, Map.of(), Map.of()).isEmpty());
    }

    @Property(tries = 300)
    void balancedCompleteAndAFixedPoint(
            @ForAll @IntRange(min = 1, max = 8) int membersBefore,
            @ForAll @IntRange(min = 1, max = 8) int membersAfter,
            @ForAll @IntRange(min = 0, max = 40) int partitions) {
        Map<String, Integer> counts = Map.of("t", partitions);
        SortedMap<TopicPartition, String> before =
                StickyAssignor.assign(subscribers("t", membersBefore), counts, Map.of());
        SortedMap<TopicPartition, String> after = StickyAssignor.assign(subscribers("t", membersAfter), counts, before);

        assertEquals(partitions, after.size(), "every partition has a target");
        Map<String, Integer> load = new HashMap<>();
        subscribers("t", membersAfter).keySet().forEach(m -> load.put(m, 0));
        after.values().forEach(m -> load.merge(m, 1, Integer::sum));
        int min = load.values().stream().mapToInt(i -> i).min().orElseThrow();
        int max = load.values().stream().mapToInt(i -> i).max().orElseThrow();
        assertTrue(max - min <= 1, "balanced: " + load);

        // Minimal movement: what leavers held, plus each stayer's excess over the best quota it can
        // get (the n % m larger quotas go to the largest holders) -- no balanced result moves less.
        Map<String, Long> heldBefore = new HashMap<>();
        before.forEach((tp, m) -> heldBefore.merge(m, 1L, Long::sum));
        long mustMove = 0;
        List<Long> stayers = new java.util.ArrayList<>();
        for (Map.Entry<String, Long> e : heldBefore.entrySet()) {
            if (load.containsKey(e.getKey())) {
                stayers.add(e.getValue());
            } else {
                mustMove += e.getValue();
            }
        }
        stayers.sort(java.util.Comparator.reverseOrder());
        for (int i = 0; i < stayers.size(); i++) {
            long quota = partitions / membersAfter + (i < partitions % membersAfter ? 1 : 0);
            mustMove += Math.max(0, stayers.get(i) - quota);
        }
        assertEquals(mustMove, moved(before, after), "moves exactly the unavoidable partitions");

        assertEquals(after, StickyAssignor.assign(subscribers("t", membersAfter), counts, after), "fixed point");
    }
}
