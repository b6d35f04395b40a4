package io.gmq;

import java.util.List;
import java.util.Set;

/**
 * Members, ownership, committed offsets and lag of one consumer group. For a share group
 * ({@link GroupType#SHARE}) {@code share} holds its share state; then the generation is 0, members
 * own no partitions and a partition's committed offset is its share start offset.
 */
public record GroupDescription(
        String group,
        int generation,
        List<Member> members,
        List<PartitionProgress> partitions,
        ShareGroupDescription share) {

    /** An ordered group. */
    public GroupDescription(String group, int generation, List<Member> members, List<PartitionProgress> partitions) {
        this(group, generation, members, partitions, null);
    }

    /** Ordered or share. */
    public GroupType type() {
        return share == null ? GroupType.ORDERED : GroupType.SHARE;
    }

    public record Member(
            String memberId,
            String clientId,
            Set<String> topics,
            Set<TopicPartition> assigned,
            long lastHeartbeatAgeMillis) {}

    /** {@code committedOffset} is -1 when the group has committed nothing for the partition. */
    public record PartitionProgress(
            TopicPartition topicPartition, String ownerMemberId, long committedOffset, long highWatermark, long lag) {}
}
