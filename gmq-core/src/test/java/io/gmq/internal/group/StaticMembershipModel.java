package io.gmq.internal.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
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
 * Clients of one {@link GroupState} with static members, as a model: which client processes run
 * (and what their last answer let them deliver), which static members' processes are gone
 * (detached: still members, delivering nothing), and which member ids a newer join with their
 * instance id fenced. Each transition checks what static membership promises at that step.
 */
final class StaticMembershipModel {
    static final List<String> INSTANCES = List.of("i0", "i1", "i2");
    static final Set<String> STATIC_TOPICS = Set.of("a", "b");
    static final long STATIC_TIMEOUT_MILLIS = 1_000;
    private static final long NANOS_PER_MILLI = 1_000_000L;

    final GroupState state = new GroupState("g");
    final Map<String, Integer> partitionCounts = Map.of("a", 4, "b", 5);
    /** Running client -> what its last answer assigned it (what it delivers). */
    final Map<String, Set<TopicPartition>> delivering = new TreeMap<>();
    /** Member id -> instance id, for static members whose process is gone but whose session runs. */
    final Map<String, String> detached = new TreeMap<>();
    /** Member id -> instance id of static members a newer join fenced. */
    final Map<String, String> fenced = new TreeMap<>();

    long nowNanos = 1_000_000_000L;
    private int nextMember;

    int partitionCount(String topic) {
        return partitionCounts.getOrDefault(topic, -1);
    }

    /** The member holding {@code instanceId} (running or detached), or null. */
    String holder(String instanceId) {
        for (GroupMember m : state.members().values()) {
            if (instanceId.equals(m.instanceId())) {
                return m.memberId();
            }
        }
        return null;
    }

    void joinDynamic(Set<String> topics) {
        String id = "d" + (nextMember++);
        GroupMembership m = state.join(id, "client", null, topics, 500, nowNanos, this::partitionCount);
        delivering.put(id, new TreeSet<>(m.assigned()));
    }

    /**
     * A process starts with {@code instanceId}. If a member holds it (detached, or still running: a
     * duplicate), the newcomer takes it over: same slots under the new id, same generation, no
     * other member's slot touched; the old id is fenced.
     */
    void joinStatic(String instanceId) {
        String previous = holder(instanceId);
        String id = "s" + (nextMember++);
        Map<TopicPartition, PartitionSlot> before = new TreeMap<>(state.slots());
        int generation = state.generation();
        GroupMembership m = state.join(
                id, "client", instanceId, STATIC_TOPICS, STATIC_TIMEOUT_MILLIS, nowNanos, this::partitionCount);
        if (previous != null) {
            assertEquals(generation, state.generation(), "a static takeover keeps the generation");
            Map<TopicPartition, PartitionSlot> expected = new TreeMap<>();
            before.forEach((tp, slot) -> {
                String owner = previous.equals(slot.owner()) ? id : slot.owner();
                String target = previous.equals(slot.target()) ? id : slot.target();
                // A revoking slot of the old member is released by the newcomer's empty "owned".
                if (id.equals(owner) && !id.equals(target)) {
                    owner = null;
                }
                PartitionSlot next = new PartitionSlot(owner, target, owner == null ? 0 : slot.ownerGeneration());
                if (!next.isEmpty()) {
                    expected.put(tp, next);
                }
            });
            // A partition targeted at the old member with no owner is acquired by the newcomer now.
            expected.replaceAll((tp, slot) ->
                    slot.owner() == null && id.equals(slot.target()) ? new PartitionSlot(id, id, generation) : slot);
            assertEquals(expected, state.slots(), "a static takeover moves no partition");
            delivering.remove(previous);
            detached.remove(previous);
            fenced.put(previous, instanceId);
        }
        delivering.put(id, new TreeSet<>(m.assigned()));
    }

    void heartbeat(String id) {
        GroupMembership m = state.heartbeat(id, delivering.get(id), nowNanos, this::partitionCount);
        delivering.put(id, new TreeSet<>(m.assigned()));
    }

    /** The process of static member {@code id} dies: no leave, the member stays until its timeout. */
    void detach(String id) {
        delivering.remove(id);
        detached.put(id, state.members().get(id).instanceId());
    }

    void leave(String id) {
        state.leave(id, this::partitionCount);
        delivering.remove(id);
    }

    void advanceAndExpire(long millis) {
        nowNanos += millis * NANOS_PER_MILLI;
        for (String id : state.expire(nowNanos, this::partitionCount)) {
            delivering.remove(id);
            detached.remove(id);
        }
    }

    /** A fenced member's heartbeat and commit are refused with ALREADY_EXISTS naming its instance id. */
    void fencedMemberCalls(String id) {
        String instance = fenced.get(id);
        GmqException e =
                assertThrows(GmqException.class, () -> state.heartbeat(id, Set.of(), nowNanos, this::partitionCount));
        assertEquals(ErrorCode.ALREADY_EXISTS, e.code());
        assertTrue(e.getMessage().contains("'" + instance + "'"), e.getMessage());
        GmqException c = assertThrows(
                GmqException.class, () -> state.commit(id, state.generation(), Map.of(new TopicPartition("a", 0), 1L)));
        assertEquals(ErrorCode.ALREADY_EXISTS, c.code());
    }

    /**
     * A running member commits its owned partitions, each once with a generation older than the
     * one it acquired the partition at (refused) and once with the current one (accepted).
     */
    void commitStaleAndCurrent(String id, long offset) {
        Map<TopicPartition, Long> committedBefore = new TreeMap<>(state.offsets());
        Map<TopicPartition, Long> stale = new HashMap<>();
        state.slots().forEach((tp, slot) -> {
            if (id.equals(slot.owner()) && slot.ownerGeneration() > 0) {
                stale.put(tp, offset);
            }
        });
        for (Map.Entry<TopicPartition, Long> e : stale.entrySet()) {
            int acquired = state.slots().get(e.getKey()).ownerGeneration();
            Set<TopicPartition> rejected = state.commit(id, acquired - 1, Map.of(e.getKey(), e.getValue()));
            assertEquals(Set.of(e.getKey()), rejected, "a commit older than the acquisition is refused");
        }
        assertEquals(committedBefore, state.offsets(), "refused commits change nothing");
        Map<TopicPartition, Long> current = new HashMap<>();
        delivering.get(id).forEach(tp -> current.put(tp, offset));
        assertEquals(Set.of(), state.commit(id, state.generation(), current), "current-generation commits apply");
    }

    // ---- invariants ---------------------------------------------------------------------------

    void checkInvariants() {
        Set<String> members = new TreeSet<>(delivering.keySet());
        members.addAll(detached.keySet());
        assertEquals(members, state.members().keySet(), "members = running clients + detached static members");
        fenced.keySet().forEach(id -> assertNull(state.members().get(id), "fenced member " + id + " is gone"));

        Map<TopicPartition, String> deliverer = new HashMap<>();
        delivering.forEach((id, partitions) -> {
            for (TopicPartition tp : partitions) {
                String other = deliverer.put(tp, id);
                assertNull(other, tp + " delivered by both " + other + " and " + id);
                PartitionSlot slot = state.slots().get(tp);
                assertNotNull(slot, tp + " delivered by " + id + " without a slot");
                assertEquals(id, slot.owner(), tp + " delivered by a member that does not own it");
            }
        });

        Map<String, String> instanceHolders = new HashMap<>();
        for (GroupMember m : state.members().values()) {
            if (m.instanceId() != null) {
                String other = instanceHolders.put(m.instanceId(), m.memberId());
                assertNull(other, "instance " + m.instanceId() + " held by " + other + " and " + m.memberId());
            }
        }
        state.slots().forEach((tp, slot) -> {
            assertTrue(slot.owner() != null || slot.ownerGeneration() == 0, tp + ": generation without owner");
            assertTrue(slot.ownerGeneration() <= state.generation(), tp + ": acquired in the future");
        });
    }

    List<String> staticRunning() {
        List<String> result = new ArrayList<>();
        delivering.keySet().forEach(id -> {
            if (state.members().get(id).instanceId() != null) {
                result.add(id);
            }
        });
        return result;
    }
}
