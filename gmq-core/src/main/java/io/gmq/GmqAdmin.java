package io.gmq;

import java.util.List;

/** Topics and groups of an engine: create, list, describe, delete, reset offsets. */
public interface GmqAdmin {
    /** Creates a topic; creating it again with the same count is a no-op, with another count ALREADY_EXISTS. */
    TopicInfo createTopic(String name, int partitions);

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
