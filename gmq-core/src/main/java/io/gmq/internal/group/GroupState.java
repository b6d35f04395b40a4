package io.gmq.internal.group;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.TopicPartition;
import io.gmq.storage.GroupMembership;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;

/**
 * One consumer group as a pure state machine: every transition is a method that takes the time
 * ({@code nowNanos}, monotonic) and a partition-count lookup as arguments, changes memory only,
 * and records which keys it touched ({@link #drainChanges()}), for the caller to persist. No
 * clock reads, no I/O. Not thread-safe; {@link GroupCoordinator} serialises access.
 *
 * <h2>Protocol (cooperative, sticky)</h2>
 * <ul>
 *   <li>Each partition has a {@link PartitionSlot}: an owner (may deliver and commit it) and a
 *       target (where the assignor wants it). The target assignment is recomputed by
 *       {@link StickyAssignor} on every membership change and whenever a subscribed topic's
 *       partition count differs from the one last seen; the generation increments exactly when
 *       some target changed.</li>
 *   <li>A heartbeat first releases every partition the member owns but did not report in
 *       {@code owned}, then acquires every partition targeted at it that has no owner, and answers
 *       with the partitions it both owns and is targeted for. A partition moving from A to B thus
 *       leaves A's answer at once, stays owned by A until A's next heartbeat leaves it out (or A
 *       leaves or expires), and only then can B acquire it.</li>
 *   <li>Leave and expiry drop the member and release everything it owned.</li>
 *   <li>Static members (a group instance id) survive a broken session: the member stays, owning
 *       its partitions, until it leaves or its session timeout runs out. A join with the instance
 *       id of a present member with the same topics takes that member over: the new member id
 *       replaces the old one in every slot, targets and generation stay, so no other member's
 *       assignment changes. The old member id is fenced (its heartbeats and commits are refused
 *       with ALREADY_EXISTS naming the instance id): the newer join wins, because a process
 *       restarted after an unclean death must not wait for the old session to run out.</li>
 *   <li>A commit carrying a generation older than the one at which the member acquired the
 *       partition ({@link PartitionSlot#ownerGeneration()}) is refused.</li>
 * </ul>
 *
 * <h2>Invariants (checked by GroupStatePropertiesTest)</h2>
 * <ul>
 *   <li>A member's last answer lists only partitions it owns, so no two members that follow the
 *       protocol deliver the same partition at the same time.</li>
 *   <li>Every owner and every target is a live member subscribed to the partition's topic, and
 *       the partition exists (is below the topic's last seen partition count).</li>
 *   <li>The generation never decreases; a committed offset only moves forward, except through
 *       {@link #resetOffsets}, which requires an empty group.</li>
 *   <li>Once every member has heartbeated three times without a change in between, every
 *       partition of every subscribed existing topic is owned by its target and each topic's
 *       subscribers hold counts that differ by at most one.</li>
 * </ul>
 */
final class GroupState {
    private static final long NANOS_PER_MILLI = 1_000_000L;

    private final String name;
    private int generation;
    private final TreeMap<String, GroupMember> members = new TreeMap<>();
    /** member id -> monotonic time of its last join or heartbeat. Memory only. */
    private final Map<String, Long> lastHeartbeatNanos = new HashMap<>();

    private final TreeMap<TopicPartition, PartitionSlot> slots = new TreeMap<>();
    private final TreeMap<TopicPartition, Long> offsets = new TreeMap<>();
    /** Subscribed topic -> partition count when the targets were last computed (-1: absent). */
    private final Map<String, Integer> seenPartitionCounts = new HashMap<>();

    private final StaticInstances instances = new StaticInstances();

    private boolean groupRowDirty;
    private final Set<String> dirtyMembers = new LinkedHashSet<>();
    private final Set<TopicPartition> dirtySlots = new LinkedHashSet<>();
    private final Set<TopicPartition> dirtyOffsets = new LinkedHashSet<>();

    /** A new, empty group (its row still has to be written). */
    GroupState(String name) {
        this.name = GroupNames.check("group", name);
        this.groupRowDirty = true;
    }

    /**
     * A group as persisted. Every member starts a fresh session ({@code nowNanos} + its timeout):
     * monotonic times from before a restart mean nothing now. Partition counts count as unseen,
     * so the first transition that looks at them recomputes the targets; that leaves them (and the
     * generation) unchanged unless a topic changed while the group was not loaded.
     */
    static GroupState restore(GroupSnapshot snapshot, long nowNanos) {
        GroupState state = new GroupState(snapshot.group());
        state.groupRowDirty = false;
        state.generation = snapshot.generation();
        state.members.putAll(snapshot.members());
        snapshot.members().values().forEach(state.instances::added);
        for (String id : snapshot.members().keySet()) {
            state.lastHeartbeatNanos.put(id, nowNanos);
        }
        state.slots.putAll(snapshot.slots());
        state.offsets.putAll(snapshot.offsets());
        return state;
    }

    // ---- transitions --------------------------------------------------------------------------

    /** Adds a dynamic member under the id the caller chose (unique), recomputes the targets, acquires free ones. */
    GroupMembership join(
            String memberId,
            String clientId,
            Set<String> topics,
            long sessionTimeoutMillis,
            long nowNanos,
            ToIntFunction<String> partitionCount) {
        return join(memberId, clientId, null, topics, sessionTimeoutMillis, nowNanos, partitionCount);
    }

    /**
     * Adds a member under the id the caller chose (unique). With an {@code instanceId} held by a
     * present member subscribed to the same topics, the new member takes that one over without a
     * rebalance (see the class comment); held by one with other topics, that one is fenced and
     * removed and the group rebalances. Otherwise recomputes the targets and acquires free ones.
     */
    GroupMembership join(
            String memberId,
            String clientId,
            String instanceId,
            Set<String> topics,
            long sessionTimeoutMillis,
            long nowNanos,
            ToIntFunction<String> partitionCount) {
        if (members.containsKey(memberId)) {
            throw new GmqException(ErrorCode.ALREADY_EXISTS, "member " + memberId + " is already in group " + name);
        }
        GroupMember member =
                new GroupMember(memberId, clientId, new TreeSet<>(topics), sessionTimeoutMillis, instanceId);
        String previous = instances.holder(instanceId);
        if (previous != null && members.get(previous).topics().equals(member.topics())) {
            takeOver(previous, member, nowNanos);
            if (refreshPartitionCounts(partitionCount)) {
                rebalance();
            }
            return answer(memberId, Set.of());
        }
        if (previous != null) {
            removeMember(previous);
            instances.fenced(previous, instanceId, memberId);
        }
        members.put(memberId, member);
        instances.added(member);
        lastHeartbeatNanos.put(memberId, nowNanos);
        dirtyMembers.add(memberId);
        refreshPartitionCounts(partitionCount);
        rebalance();
        return answer(memberId, Set.of());
    }

    /**
     * Keeps the member alive, releases what it no longer reports, acquires what became free for it
     * and answers with its current assignment and the current generation.
     */
    GroupMembership heartbeat(
            String memberId, Set<TopicPartition> owned, long nowNanos, ToIntFunction<String> partitionCount) {
        requireMember(memberId);
        lastHeartbeatNanos.put(memberId, nowNanos);
        if (refreshPartitionCounts(partitionCount)) {
            rebalance();
        }
        return answer(memberId, owned);
    }

    /** Removes the member and releases its partitions. Unknown members are ignored (leave is idempotent). */
    void leave(String memberId, ToIntFunction<String> partitionCount) {
        if (members.containsKey(memberId)) {
            removeMember(memberId);
            refreshPartitionCounts(partitionCount);
            rebalance();
        }
    }

    /** Removes every member whose last heartbeat is more than its session timeout before {@code nowNanos}. */
    List<String> expire(long nowNanos, ToIntFunction<String> partitionCount) {
        List<String> expired = new ArrayList<>();
        for (GroupMember member : members.values()) {
            long silentNanos = nowNanos - lastHeartbeatNanos.get(member.memberId());
            if (silentNanos > member.sessionTimeoutMillis() * NANOS_PER_MILLI) {
                expired.add(member.memberId());
            }
        }
        if (!expired.isEmpty()) {
            expired.forEach(this::removeMember);
            refreshPartitionCounts(partitionCount);
            rebalance();
        }
        return expired;
    }

    /**
     * Commits the entries for partitions {@code memberId} owns (revoking ones included: the member
     * may commit their final offsets until it confirms release) and acquired at or before
     * {@code generation}, and returns the rejected rest: a commit carrying an older generation is
     * from before the partition last came to this member (a stale one) and is refused. An
     * offset lower than the committed one is accepted but ignored: the higher one stays, because a
     * late commit from before a redelivery must not rewind the group.
     */
    Set<TopicPartition> commit(String memberId, int generation, Map<TopicPartition, Long> entries) {
        requireMember(memberId);
        entries.forEach((tp, offset) -> {
            if (offset == null || offset < 0) {
                throw GmqException.invalidArgument("offset for " + tp + " must be >= 0, was " + offset);
            }
        });
        Set<TopicPartition> rejected = new TreeSet<>();
        entries.forEach((tp, offset) -> {
            PartitionSlot slot = slots.get(tp);
            if (slot == null || !memberId.equals(slot.owner()) || generation < slot.ownerGeneration()) {
                rejected.add(tp);
            } else {
                Long committed = offsets.get(tp);
                if (committed == null || offset > committed) {
                    offsets.put(tp, offset);
                    dirtyOffsets.add(tp);
                }
            }
        });
        return rejected;
    }

    /**
     * Sets every partition of {@code topic} (only partition {@code only} if it is >= 0) to
     * {@code resolvedOffset}; refused while the group has members.
     */
    void resetOffsets(String topic, int partitions, int only, ToLongFunction<TopicPartition> resolvedOffset) {
        if (!members.isEmpty()) {
            throw new GmqException(
                    ErrorCode.FAILED_PRECONDITION,
                    "group " + name + " has " + members.size() + " members; stop them before resetting offsets");
        }
        Map<TopicPartition, Long> resolved = new TreeMap<>();
        for (int p = 0; p < partitions; p++) {
            if (only >= 0 && p != only) {
                continue;
            }
            TopicPartition tp = new TopicPartition(topic, p);
            long offset = resolvedOffset.applyAsLong(tp);
            if (offset < 0) {
                throw GmqException.invalidArgument("resolved offset for " + tp + " must be >= 0, was " + offset);
            }
            resolved.put(tp, offset);
        }
        offsets.putAll(resolved); // all or nothing: validated before the first change
        dirtyOffsets.addAll(resolved.keySet());
    }

    /**
     * Forgets every committed offset and partition slot: the group is empty afterwards and no
     * longer listed. Refused while the group has members. The generation stays (a group that
     * forms again under this name continues from it).
     */
    void delete() {
        if (!members.isEmpty()) {
            throw new GmqException(
                    ErrorCode.FAILED_PRECONDITION,
                    "group " + name + " has " + members.size() + " members; stop them before deleting the group");
        }
        dirtySlots.addAll(slots.keySet());
        slots.clear();
        dirtyOffsets.addAll(offsets.keySet());
        offsets.clear();
    }

    /** Forgets ownership, targets and offsets of a deleted topic and recomputes the targets. */
    void topicDeleted(String topic, ToIntFunction<String> partitionCount) {
        boolean targetsDropped = topicRange(slots, topic).values().stream().anyMatch(s -> s.target() != null);
        removeTopicKeys(slots, dirtySlots, topic);
        removeTopicKeys(offsets, dirtyOffsets, topic);
        if (seenPartitionCounts.containsKey(topic)) {
            seenPartitionCounts.put(topic, -1);
        }
        refreshPartitionCounts(partitionCount);
        if (!rebalance() && targetsDropped) {
            bumpGeneration(); // the target assignment lost the topic's partitions: that is a change
        }
    }

    /** Re-reads the partition counts of subscribed topics; recomputes the targets if one changed. */
    void refresh(ToIntFunction<String> partitionCount) {
        if (refreshPartitionCounts(partitionCount)) {
            rebalance();
        }
    }

    // ---- reads --------------------------------------------------------------------------------

    String name() {
        return name;
    }

    int generation() {
        return generation;
    }

    boolean isEmpty() {
        return members.isEmpty() && offsets.isEmpty();
    }

    int memberCount() {
        return members.size();
    }

    SortedMap<String, GroupMember> members() {
        return Collections.unmodifiableSortedMap(members);
    }

    SortedMap<TopicPartition, PartitionSlot> slots() {
        return Collections.unmodifiableSortedMap(slots);
    }

    SortedMap<TopicPartition, Long> offsets() {
        return Collections.unmodifiableSortedMap(offsets);
    }

    long lastHeartbeatNanos(String memberId) {
        return lastHeartbeatNanos.get(memberId);
    }

    /** Every member's last heartbeat (a copy). */
    SortedMap<String, Long> lastHeartbeats() {
        return new TreeMap<>(lastHeartbeatNanos);
    }

    /** Sets a present member's last heartbeat (after a restore, which starts every session fresh); others are ignored. */
    void restoreLastHeartbeat(String memberId, long nanos) {
        if (lastHeartbeatNanos.containsKey(memberId)) {
            lastHeartbeatNanos.put(memberId, nanos);
        }
    }

    /** Partitions of subscribed topics as last seen (topics that do not exist contribute none). */
    SortedSet<TopicPartition> subscribedPartitions() {
        SortedSet<TopicPartition> result = new TreeSet<>();
        seenPartitionCounts.forEach((topic, count) -> {
            for (int p = 0; p < count; p++) {
                result.add(new TopicPartition(topic, p));
            }
        });
        return result;
    }

    GroupSnapshot snapshot() {
        return new GroupSnapshot(
                name,
                generation,
                Collections.unmodifiableSortedMap(new TreeMap<>(members)),
                Collections.unmodifiableSortedMap(new TreeMap<>(slots)),
                Collections.unmodifiableSortedMap(new TreeMap<>(offsets)));
    }

    /** The keys changed since the last call; clears them. */
    GroupChanges drainChanges() {
        GroupChanges changes = new GroupChanges(
                groupRowDirty, Set.copyOf(dirtyMembers), Set.copyOf(dirtySlots), Set.copyOf(dirtyOffsets));
        groupRowDirty = false;
        dirtyMembers.clear();
        dirtySlots.clear();
        dirtyOffsets.clear();
        return changes;
    }

    // ---- internals ----------------------------------------------------------------------------

    private void requireMember(String memberId) {
        String fencedReason = members.containsKey(memberId) ? null : instances.fencedReason(memberId);
        if (fencedReason != null) {
            throw new GmqException(
                    ErrorCode.ALREADY_EXISTS,
                    "member " + memberId + " of group " + name + " is fenced: its " + fencedReason
                            + " (a newer consumer joined with the same instance id; give each consumer its own)");
        }
        if (!members.containsKey(memberId)) {
            throw new GmqException(
                    ErrorCode.FAILED_PRECONDITION,
                    "member " + memberId + " is not in group " + name + " (session expired or left); rejoin");
        }
    }

    /** Release what the member did not report, acquire free targets, answer owned-and-targeted. */
    private GroupMembership answer(String memberId, Set<TopicPartition> reportedOwned) {
        Set<TopicPartition> assigned = new TreeSet<>();
        for (Map.Entry<TopicPartition, PartitionSlot> e : new ArrayList<>(slots.entrySet())) {
            TopicPartition tp = e.getKey();
            PartitionSlot slot = e.getValue();
            String owner = slot.owner();
            if (memberId.equals(owner) && !reportedOwned.contains(tp)) {
                owner = null;
            }
            if (owner == null && memberId.equals(slot.target())) {
                owner = memberId;
            }
            setSlot(tp, owner, slot.target());
            if (memberId.equals(owner) && memberId.equals(slot.target())) {
                assigned.add(tp);
            }
        }
        GroupMember member = members.get(memberId);
        return new GroupMembership(
                name, memberId, generation, Collections.unmodifiableSet(assigned), member.sessionTimeoutMillis());
    }

    /**
     * {@code member} replaces the present {@code previous} holder of its instance id: every slot
     * owned or targeted by the old id now names the new one, with its owner generation, so no
     * partition moves and the generation stays. The old id is fenced.
     */
    private void takeOver(String previous, GroupMember member, long nowNanos) {
        String memberId = member.memberId();
        instances.removed(members.remove(previous));
        lastHeartbeatNanos.remove(previous);
        dirtyMembers.add(previous);
        members.put(memberId, member);
        instances.added(member);
        instances.fenced(previous, member.instanceId(), memberId);
        lastHeartbeatNanos.put(memberId, nowNanos);
        dirtyMembers.add(memberId);
        for (Map.Entry<TopicPartition, PartitionSlot> e : new ArrayList<>(slots.entrySet())) {
            PartitionSlot slot = e.getValue();
            String owner = previous.equals(slot.owner()) ? memberId : slot.owner();
            String target = previous.equals(slot.target()) ? memberId : slot.target();
            putSlot(e.getKey(), new PartitionSlot(owner, target, slot.ownerGeneration()));
        }
    }

    private void removeMember(String memberId) {
        GroupMember removed = members.remove(memberId);
        if (removed != null) {
            instances.removed(removed);
        }
        lastHeartbeatNanos.remove(memberId);
        dirtyMembers.add(memberId);
        for (Map.Entry<TopicPartition, PartitionSlot> e : new ArrayList<>(slots.entrySet())) {
            PartitionSlot slot = e.getValue();
            if (memberId.equals(slot.owner())) {
                setSlot(e.getKey(), null, slot.target());
            }
        }
    }

    /** @return whether a subscribed topic's count differs from the last seen (or the topic set changed) */
    private boolean refreshPartitionCounts(ToIntFunction<String> partitionCount) {
        Set<String> subscribed = new HashSet<>();
        members.values().forEach(m -> subscribed.addAll(m.topics()));
        boolean changed = seenPartitionCounts.keySet().retainAll(subscribed);
        for (String topic : subscribed) {
            int count = Math.max(-1, partitionCount.applyAsInt(topic));
            Integer previous = seenPartitionCounts.put(topic, count);
            changed |= previous == null || previous != count;
        }
        return changed;
    }

    /**
     * Recomputes every target from the members and the seen counts, keeping current holders where
     * balance allows. Drops slots of partitions that no longer exist or whose topic nobody
     * subscribes to any more. Bumps the generation if any target changed.
     *
     * @return whether any target changed
     */
    private boolean rebalance() {
        Map<TopicPartition, String> holders = new HashMap<>();
        slots.forEach((tp, slot) -> holders.put(tp, slot.target() != null ? slot.target() : slot.owner()));
        SortedMap<String, Set<String>> subscriptions = new TreeMap<>();
        members.forEach((id, m) -> subscriptions.put(id, m.topics()));
        SortedMap<TopicPartition, String> targets = StickyAssignor.assign(subscriptions, seenPartitionCounts, holders);

        boolean targetsChanged = false;
        Set<TopicPartition> keys = new TreeSet<>(slots.keySet());
        keys.addAll(targets.keySet());
        for (TopicPartition tp : keys) {
            PartitionSlot slot = slots.getOrDefault(tp, PartitionSlot.EMPTY);
            String target = targets.get(tp);
            String owner = partitionExists(tp) ? slot.owner() : null;
            targetsChanged |= !java.util.Objects.equals(slot.target(), target);
            setSlot(tp, owner, target);
        }
        if (targetsChanged) {
            bumpGeneration();
        }
        return targetsChanged;
    }

    private void bumpGeneration() {
        generation++;
        groupRowDirty = true;
    }

    private boolean partitionExists(TopicPartition tp) {
        return tp.partition() < seenPartitionCounts.getOrDefault(tp.topic(), -1);
    }

    /** Sets the slot; an owner that differs from the previous one acquires it at the current generation. */
    private void setSlot(TopicPartition tp, String owner, String target) {
        PartitionSlot previous = slots.getOrDefault(tp, PartitionSlot.EMPTY);
        int ownerGeneration =
                owner == null ? 0 : owner.equals(previous.owner()) ? previous.ownerGeneration() : generation;
        putSlot(tp, new PartitionSlot(owner, target, ownerGeneration));
    }

    private void putSlot(TopicPartition tp, PartitionSlot next) {
        PartitionSlot previous = slots.getOrDefault(tp, PartitionSlot.EMPTY);
        if (previous.equals(next)) {
            return;
        }
        if (next.isEmpty()) {
            slots.remove(tp);
        } else {
            slots.put(tp, next);
        }
        dirtySlots.add(tp);
    }

    private static <V> SortedMap<TopicPartition, V> topicRange(TreeMap<TopicPartition, V> map, String topic) {
        return map.subMap(
                new TopicPartition(topic, Integer.MIN_VALUE), true, new TopicPartition(topic, Integer.MAX_VALUE), true);
    }

    private static <V> void removeTopicKeys(TreeMap<TopicPartition, V> map, Set<TopicPartition> dirty, String topic) {
        SortedMap<TopicPartition, V> range = topicRange(map, topic);
        dirty.addAll(range.keySet());
        range.clear();
    }
}
