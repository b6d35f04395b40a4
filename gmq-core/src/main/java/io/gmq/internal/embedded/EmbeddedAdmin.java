package io.gmq.internal.embedded;

import io.gmq.GmqAdmin;
import io.gmq.GroupDescription;
import io.gmq.OffsetSpec;
import io.gmq.PartitionInfo;
import io.gmq.TopicConfig;
import io.gmq.TopicDescription;
import io.gmq.TopicInfo;
import io.gmq.TopicPartition;
import io.gmq.broker.BrokerEngine;
import io.gmq.storage.Storage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The embedded engine's admin: storage calls, plus telling the broker logic of topic changes. */
final class EmbeddedAdmin implements GmqAdmin {
    private final Storage storage;
    private final BrokerEngine engine;

    EmbeddedAdmin(Storage storage, BrokerEngine engine) {
        this.storage = storage;
        this.engine = engine;
    }

    @Override
    public TopicInfo createTopic(String name, int partitions) {
        TopicInfo t = storage.createTopic(name, partitions);
        engine.invalidateTopic(name);
        return t;
    }

    @Override
    public TopicInfo createTopic(String name, int partitions, Map<String, String> config) {
        TopicInfo t = storage.createTopic(name, partitions, TopicConfig.of(config));
        engine.invalidateTopic(name);
        return t;
    }

    @Override
    public TopicInfo alterTopicConfig(String name, Map<String, String> changes) {
        return engine.alterTopicConfig(name, changes);
    }

    @Override
    public TopicInfo createPartitions(String name, int partitions) {
        return engine.createPartitions(name, partitions);
    }

    @Override
    public List<TopicInfo> listTopics() {
        return storage.listTopics();
    }

    @Override
    public TopicDescription describeTopic(String name) {
        TopicInfo t = storage.topic(name, false);
        List<PartitionInfo> parts = new ArrayList<>(t.partitions());
        for (int p = 0; p < t.partitions(); p++) {
            parts.add(storage.partitionInfo(new TopicPartition(name, p)));
        }
        return new TopicDescription(name, t.partitions(), parts, t.config().effective(engine.config()), t.config());
    }

    @Override
    public void deleteTopic(String name) {
        storage.deleteTopic(name);
        engine.invalidateTopic(name);
    }

    @Override
    public List<String> listGroups() {
        return storage.listGroups();
    }

    @Override
    public GroupDescription describeGroup(String group) {
        return storage.describeGroup(group);
    }

    @Override
    public void deleteGroup(String group) {
        storage.deleteGroup(group);
    }

    @Override
    public void resetOffsets(String group, String topic, OffsetSpec spec) {
        storage.resetOffsets(group, topic, spec);
    }

    @Override
    public void resetOffsets(String group, TopicPartition partition, OffsetSpec spec) {
        storage.resetOffsets(group, partition, spec);
    }
}
