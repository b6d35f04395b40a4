package io.gmq.storage;

import io.gmq.TopicInfo;
import io.gmq.TopicPartition;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * The storage one replica of a replicated storage group applies its committed entries to. It is
 * a {@link Storage} whose every change is a pure function of the calls made on it and of its
 * configured {@link io.gmq.TimeSource}, so replicas that apply the same calls in the same order
 * with the same times hold the same state:
 *
 * <ul>
 *   <li>nothing changes by itself: members whose session ran out are removed only by
 *       {@link #expireMembers()} (a local {@link Storage} runs that on a timer);
 *   <li>a joining member's id is chosen by the caller ({@link #joinGroup(String, String, String,
 *       Set, long)}), not drawn at random;
 *   <li>topics are created only by {@link #createTopic}: {@link #topic(String, boolean)} ignores
 *       {@code autoCreate} (NOT_FOUND for a missing topic), since it would create one on a read.
 * </ul>
 *
 * Retention by age deletes old segments at each replica's own pace; it never changes an offset.
 */
public interface ReplicaStorage extends Storage {

    /** Adds a member with the id {@code memberId}, which the caller chose unique. */
    GroupMembership joinGroup(
            String group, String memberId, String clientId, Set<String> topics, long sessionTimeoutMillis);

    /**
     * Adds a member with the id {@code memberId}, which the caller chose unique, static when
     * {@code groupInstanceId} is not null (see {@link Storage#joinGroup(String, String, Set, long,
     * String)}).
     */
    GroupMembership joinGroup(
            String group,
            String memberId,
            String clientId,
            Set<String> topics,
            long sessionTimeoutMillis,
            String groupInstanceId);

    /**
     * Sets {@code group}'s committed offsets of {@code topic} (only {@code partition}, or every
     * partition when it is -1) to {@code offsets}, which the caller resolved elsewhere (a storage
     * cluster's data groups hold the partitions): as {@link #resetOffsets(String, String,
     * io.gmq.OffsetSpec)}, same checks, without reading this replica's logs. INVALID_ARGUMENT when
     * a partition to reset has no offset in {@code offsets}.
     */
    void resetOffsetsTo(String group, String topic, int partition, Map<TopicPartition, Long> offsets);

    /** Removes the members whose session has run out at the configured clock's now; returns how many. */
    /**
     * Grows the topic to {@code partitions} with the boundaries {@code boundaries} decided
     * elsewhere (a replica holding no partition data, such as a cluster's metadata group); the
     * same count again returns the topic unchanged, so a repeated command changes nothing.
     */
    TopicInfo growPartitions(String topic, int partitions, java.util.List<Long> boundaries);

    /**
     * As {@link Storage#createPartitions}, except that a topic that has {@code partitions} already
     * is returned unchanged (a repeated command changes nothing).
     */
    TopicInfo createPartitionsOnce(String topic, int partitions);

    int expireMembers();

    /**
     * Writes a checkpoint of this replica into {@code dir} (created here; it must not exist): every
     * partition forced and its segments copied up to their durable ends, the SQLite state copied
     * consistently, and the members' last heartbeats returned (see {@link ReplicaCheckpoint}).
     * Every file and directory is forced before it returns. Call it with no change in flight (a
     * replica applies its commands on one thread, which calls this between two of them). A
     * replica opened with {@link io.gmq.broker.Storages#openReplica(io.gmq.GmqConfig, Path,
     * ReplicaCheckpoint)} from it holds the same state as this one now.
     *
     * @param previous the checkpoint this replica wrote last, or null: the segment bytes it holds
     *                 are hard-linked from {@code previousDir} rather than copied again
     * @throws io.gmq.GmqException DATA_LOSS if a frame to copy fails its check, INTERNAL on an I/O error
     */
    ReplicaCheckpoint checkpoint(Path dir, ReplicaCheckpoint previous, Path previousDir);
}
