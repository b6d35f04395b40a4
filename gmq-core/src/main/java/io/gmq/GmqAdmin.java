package io.gmq;

import java.util.List;
import java.util.Map;

/** Topics and groups of an engine: create, list, describe, delete, reset offsets. */
public interface GmqAdmin {
    /** Creates a topic; creating it again with the same count is a no-op, with another count ALREADY_EXISTS. */
    TopicInfo createTopic(String name, int partitions);

    /**
     * Creates a topic with its own settings ({@link TopicConfig}: key -> value, for example
     * {@code retention-age=1d}); the settings it does not name are the engine's. Creating it again
     * with the same count and settings is a no-op; INVALID_ARGUMENT names a bad key or value.
     */
    TopicInfo createTopic(String name, int partitions, Map<String, String> config);

    /**
     * Changes a topic's settings while it is in use: a key with a value sets it, a key with an
     * empty value goes back to the engine's value; returns the topic as it now is. Storage applies
     * retention and segment settings from its next check or roll, brokers the delivery settings
     * from their next delivery (another broker within a few seconds). NOT_FOUND if the topic does
     * not exist, INVALID_ARGUMENT naming a bad key or value (nothing changes).
     */
    TopicInfo alterTopicConfig(String name, Map<String, String> changes);

    /**
     * Grows a topic to {@code partitions} partitions (Kafka's {@code createPartitions}); returns the
     * topic as it now is. Keyed records are routed with the new count from then on, and consumer
     * groups rebalance over the new partitions. Key order holds across the change: a key that
     * moves to another partition is not delivered from there before the group acknowledged its
     * records in the old one ({@link PartitionGrowth}). NOT_FOUND if the topic does not exist;
     * INVALID_ARGUMENT for a count that is not above the current one or over the limit (nothing
     * changes).
     */
    TopicInfo createPartitions(String name, int partitions);

    List<TopicInfo> listTopics();

    /** NOT_FOUND if the topic does not exist (describe never creates). */
    TopicDescription describeTopic(String name);

    void deleteTopic(String name);

    List<String> listGroups();

    GroupDescription describeGroup(String group);

    /**
     * Deletes a group's committed offsets; it is listed no more. FAILED_PRECONDITION while it has
     * members, NOT_FOUND if it has neither members nor offsets.
     */
    void deleteGroup(String group);

    /** Moves the group's offsets for every partition of {@code topic}; only while the group has no members. */
    void resetOffsets(String group, String topic, OffsetSpec spec);

    /**
     * Moves the group's offset for one partition, e.g. past a damaged batch (the DATA_LOSS error
     * names the offset to move to); only while the group has no members.
     */
    void resetOffsets(String group, TopicPartition partition, OffsetSpec spec);
}
