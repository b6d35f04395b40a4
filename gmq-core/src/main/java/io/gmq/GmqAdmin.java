package io.gmq;

import io.gmq.internal.broker.BrokerEngine;
import io.gmq.storage.GroupDescription;
import io.gmq.storage.Storage;
import java.util.ArrayList;
import java.util.List;

/** Topics and groups of an engine: create, list, describe, delete, reset offsets. */
public final class GmqAdmin {
    private final Storage storage;
    private final BrokerEngine engine;

    GmqAdmin(Storage storage, BrokerEngine engine) {
        this.storage = storage;
        this.engine = engine;
    }

    /** Creates a topic; creating it again with the same count is a no-op, with another count ALREADY_EXISTS. */
    public TopicInfo createTopic(String name, int partitions) {
        TopicInfo t = storage.createTopic(name, partitions);
        engine.invalidateTopic(name);
        return t;
    }

    public List<TopicInfo> listTopics() {
        return storage.listTopics();
    }

    /** NOT_FOUND if the topic does not exist (describe never creates). */
    public TopicDescription describeTopic(String name) {
        TopicInfo t = storage.topic(name, false);
        List<PartitionInfo> parts = new ArrayList<>(t.partitions());
        for (int p = 0; p < t.partitions(); p++) {
            parts.add(storage.partitionInfo(new TopicPartition(name, p)));
        }
        return new TopicDescription(name, t.partitions(), parts);
    }

    public void deleteTopic(String name) {
        storage.deleteTopic(name);
        engine.invalidateTopic(name);
    }

    public List<String> listGroups() {
        return storage.listGroups();
    }

    public GroupDescription describeGroup(String group) {
        return storage.describeGroup(group);
    }

    /** Moves the group's offsets for every partition of {@code topic}; only while the group has no members. */
    public void resetOffsets(String group, String topic, OffsetSpec spec) {
        storage.resetOffsets(group, topic, spec);
    }

    /**
     * Moves the group's offset for one partition, e.g. past a damaged batch (the DATA_LOSS error
     * names the offset to move to); only while the group has no members.
     */
    public void resetOffsets(String group, TopicPartition partition, OffsetSpec spec) {
        storage.resetOffsets(group, partition, spec);
    }
}
