package io.gmq.client;

import io.gmq.PartitionInfo;
import io.gmq.TopicInfo;
import java.util.List;

/** A topic with the offsets of each of its partitions. */
public record TopicDescription(TopicInfo topic, List<PartitionInfo> partitions) {
}
