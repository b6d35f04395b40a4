package io.gmq.internal.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.TopicPartition;
import io.gmq.storage.GroupMembership;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A {@link GroupState} driven the way real clients drive it: every member reports in
 * {@code owned} exactly what its last answer assigned it. Tracks what clients believe and checks
 * the protocol's invariants against it.
 */
final class GroupHarness {
    static final List<String> TOPICS = List.of("a", "b", "c");
    private static final long NANOS_PER_MILLI = 1_000_000L;

    final GroupState state = new GroupState("g");
    /** Topic -> partition count as the topic registry says; "c" does not exist at first. */
    final Map<String, Integer> partitionCounts = new HashMap<>(Map.of("a", 4, "b", 7, "c", -1));
    /** Live member -> the partitions its last answer assigned (what the client delivers now). */
    final Map<String, Set<TopicPartition>> delivering = new TreeMap<>();
    /** The highest offset ever accepted per partition: what committed offsets must equal. */
    final Map<TopicPartition, Long> highestAccepted = new TreeMap<>();

    long nowNanos = 1_000_000_000L;
    int generationSeen;
    Map<TopicPartition, String> targetsSeen = Map.of();
    private int nextClient;

    int partitionCount(String topic) {
        return partitionCounts.getOrDefault(topic, -1);
    }

    String join(Set<String> topics, long sessionTimeoutMillis) {
        String id = "m" + (nextClient++);
        GroupMembership m = state.join(id, "client", topics, sessionTimeoutMillis, nowNanos, this::partitionCount);
        delivering.put(id, new TreeSet<>(m.assigned()));
        return id;
    }

    GroupMembership heartbeat(String id) {
        GroupMembership m = state.heartbeat(id, delivering.get(id), nowNanos, this::partitionCount);
        delivering.put(id, new TreeSet<>(m.assigned()));
        return m;
    }

    void leave(String id) {
        state.leave(id, this::partitionCount);
        delivering.remove(id);
    }

    void advanceAndExpire(long millis) {
        nowNanos += millis * NANOS_PER_MILLI;
        for (String id : state.expire(nowNanos, this::partitionCount)) {
            delivering.remove(id);
        }
    }

    void growTopic(String topic, int by) {
        partitionCounts.merge(topic, by, (old, add) -> Math.max(0, old) + add);
    }

    void deleteTopic(String topic) {
        partitionCounts.put(topic, -1);
        state.topicDeleted(topic, this::partitionCount);
        delivering.values().forEach(set -> set.removeIf(tp -> tp.topic().equals(topic)));
        highestAccepted.keySet().removeIf(tp -> tp.topic().equals(topic));
    }

    /** Commits {@code base + delta} for what the member delivers, plus one partition it may not own. */
    void commit(String id, long offset, TopicPartition maybeForeign) {
        Map<TopicPartition, Long> entries = new HashMap<>();
        delivering.get(id).forEach(tp -> entries.put(tp, offset + tp.partition()));
        entries.put(maybeForeign, offset);
        Map<TopicPartition, PartitionSlot> before = new HashMap<>(state.slots());
        Set<TopicPartition> rejected = state.commit(id, state.generation(), entries);
        entries.forEach((tp, o) -> {
            PartitionSlot slot = before.get(tp);
            boolean owns = slot != null && id.equals(slot.owner());
            assertEquals(!owns, rejected.contains(tp), "commit of " + tp + " by " + id + " rejected iff not owned");
            if (owns) {
                highestAccepted.merge(tp, o, Math::max);
            }
        });
    }

    /** Every live member heartbeats {@code rounds} times with no time passing. */
    void quiesce(int rounds) {
        for (int r = 0; r < rounds; r++) {
            for (String id : new ArrayList<>(delivering.keySet())) {
                heartbeat(id);
            }
        }
    }

    // ---- invariants ---------------------------------------------------------------------------

    void checkInvariants() {
        assertEquals(delivering.keySet(), state.members().keySet(), "clients alive = members in the group");

        // At most one member delivers a partition, and only a member that owns it.
        Map<TopicPartition, String> deliverer = new HashMap<>();
        delivering.forEach((id, partitions) -> {
            for (TopicPartition tp : partitions) {
                String other = deliverer.put(tp, id);
                assertTrue(other == null, tp + " delivered by both " + other + " and " + id);
                PartitionSlot slot = state.slots().get(tp);
                assertNotNull(slot, tp + " delivered by " + id + " but has no slot");
                assertEquals(id, slot.owner(), tp + " delivered by a member that does not own it");
            }
        });

        // Owners and targets are live subscribers of an existing partition.
        state.slots().forEach((tp, slot) -> {
            assertTrue(!slot.isEmpty(), "empty slots are not stored");
            for (String m : new String[] {slot.owner(), slot.target()}) {
                if (m != null) {
                    GroupMember member = state.members().get(m);
                    assertNotNull(member, tp + " references " + m + ", which is not a member");
                    assertTrue(member.topics().contains(tp.topic()), m + " holds " + tp + " without subscribing");
                    assertTrue(tp.partition() < partitionCount(tp.topic()), tp + " does not exist");
                }
            }
        });

        Map<TopicPartition, String> targets = new TreeMap<>();
        state.slots().forEach((tp, slot) -> {
            if (slot.target() != null) {
                targets.put(tp, slot.target());
            }
        });
        if (targets.equals(targetsSeen)) {
            assertEquals(generationSeen, state.generation(), "generation changed without a target change");
        } else {
            assertEquals(generationSeen + 1, state.generation(), "target change must bump the generation once");
        }
        generationSeen = state.generation();
        targetsSeen = targets;
        assertEquals(highestAccepted, state.offsets(), "committed offsets = highest accepted per partition");
    }

    /** After quiescence: every partition of every subscribed existing topic owned by its target, balanced. */
    void checkSettled() {
        Map<String, List<String>> subscribers = new TreeMap<>();
        state.members()
                .forEach((id, m) -> m.topics()
                        .forEach(t -> subscribers
                                .computeIfAbsent(t, x -> new ArrayList<>())
                                .add(id)));
        subscribers.forEach((topic, members) -> {
            Map<String, Integer> counts = new TreeMap<>();
            members.forEach(m -> counts.put(m, 0));
            for (int p = 0; p < partitionCount(topic); p++) {
                TopicPartition tp = new TopicPartition(topic, p);
                PartitionSlot slot = state.slots().get(tp);
                assertNotNull(slot, tp + " has no owner after quiescence");
                assertNotNull(slot.owner(), tp + " has no owner after quiescence");
                assertEquals(slot.target(), slot.owner(), tp + " still moving after quiescence");
                assertTrue(delivering.get(slot.owner()).contains(tp), tp + " owned but not delivered");
                counts.merge(slot.owner(), 1, Integer::sum);
            }
            int min = counts.values().stream().mapToInt(i -> i).min().orElse(0);
            int max = counts.values().stream().mapToInt(i -> i).max().orElse(0);
            assertTrue(max - min <= 1, "topic " + topic + " unbalanced: " + counts);
        });
        Set<TopicPartition> delivered = new TreeSet<>();
        delivering.values().forEach(delivered::addAll);
        state.slots()
                .forEach((tp, slot) -> assertTrue(
                        slot.owner() == null || delivered.contains(tp),
                        tp + " owned by " + slot.owner() + " but not delivered"));
    }
}
