package io.gmq;

import java.util.List;
import java.util.Objects;

/**
 * A topic: its partition count, its own settings ({@link TopicConfig}; empty when every setting is
 * the engine's), and the growths of its partition count in order ({@link PartitionGrowth}; empty
 * for a topic that kept the count it was created with).
 */
public record TopicInfo(String name, int partitions, TopicConfig config, List<PartitionGrowth> growth) {
    public TopicInfo {
        Objects.requireNonNull(config, "config");
        growth = List.copyOf(Objects.requireNonNull(growth, "growth"));
    }

    /** A topic whose partition count never grew. */
    public TopicInfo(String name, int partitions, TopicConfig config) {
        this(name, partitions, config, List.of());
    }

    /** A topic with the engine's settings. */
    public TopicInfo(String name, int partitions) {
        this(name, partitions, TopicConfig.empty());
    }

    /** This topic with other settings (its partitions and growths as they are). */
    public TopicInfo withConfig(TopicConfig config) {
        return new TopicInfo(name, partitions, config, growth);
    }
}
