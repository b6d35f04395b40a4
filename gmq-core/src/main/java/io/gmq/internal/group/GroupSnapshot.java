package io.gmq.internal.group;

import io.gmq.TopicPartition;
import java.util.SortedMap;

/**
 * Everything of a group that is persisted, as immutable sorted maps: two snapshots are equal
 * exactly when the group's durable state is. Session deadlines are not part of it (they live in
 * memory only, on the monotonic clock).
 */
record GroupSnapshot(
        String group,
        int generation,
        SortedMap<String, GroupMember> members,
        SortedMap<TopicPartition, PartitionSlot> slots,
        SortedMap<TopicPartition, Long> offsets) {}
