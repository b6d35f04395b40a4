package io.gmq;

import java.util.List;
import java.util.Set;

/** Members, ownership, committed offsets and lag of one consumer group. */
public record GroupDescription(String group, int generation, List<Member> members, List<PartitionProgress> partitions) {

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
