package io.gmq;

import java.util.Objects;

/**
 * A topic: its partition count and its own settings ({@link TopicConfig}; empty when every
 * setting is the engine's).
 */
public record TopicInfo(String name, int partitions, TopicConfig config) {
    public TopicInfo {
        Objects.requireNonNull(config, "config");
    }

    /** A topic with the engine's settings. */
    public TopicInfo(String name, int partitions) {
        this(name, partitions, TopicConfig.empty());
    }
}
