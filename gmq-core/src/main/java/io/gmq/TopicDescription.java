package io.gmq;

import java.util.List;
import java.util.Map;

/**
 * A topic with the offsets of each of its partitions and its settings.
 *
 * @param config every topic setting ({@link TopicConfig#KEYS}) with its value for this topic
 * @param own    the settings the topic sets itself (the others are the engine's)
 */
public record TopicDescription(
        String name, int partitionCount, List<PartitionInfo> partitions, Map<String, String> config, TopicConfig own) {

    /** A topic with the engine's settings, not listed. */
    public TopicDescription(String name, int partitionCount, List<PartitionInfo> partitions) {
        this(name, partitionCount, partitions, Map.of(), TopicConfig.empty());
    }

    /** Records currently readable across all partitions. */
    public long messageCount() {
        long n = 0;
        for (PartitionInfo p : partitions) {
            n += p.highWatermark() - p.logStartOffset();
        }
        return n;
    }
}
