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

    /**
     * {@code committedOffset} is -1 when the group has committed nothing for the partition.
     * {@code scheduled}: delayed messages waiting in storage's schedule for this partition (not in
     * {@code lag}, which counts appended records; each joins the log and the lag when it is due).
     */
    public record PartitionProgress(
            TopicPartition topicPartition,
            String ownerMemberId,
            long committedOffset,
            long highWatermark,
            long lag,
            long scheduled) {
        /** Progress of a partition with nothing scheduled. */
        public PartitionProgress(
                TopicPartition topicPartition,
                String ownerMemberId,
                long committedOffset,
                long highWatermark,
                long lag) {
            this(topicPartition, ownerMemberId, committedOffset, highWatermark, lag, 0);
        }

        /** This progress with {@code count} scheduled messages. */
        public PartitionProgress withScheduled(long count) {
            return new PartitionProgress(topicPartition, ownerMemberId, committedOffset, highWatermark, lag, count);
        }
    }
}
