package io.gmq;

import java.util.List;

/** A topic with the offsets of each of its partitions. */
public record TopicDescription(String name, int partitionCount, List<PartitionInfo> partitions) {
    /** Records currently readable across all partitions. */
    public long messageCount() {
        long n = 0;
        for (PartitionInfo p : partitions) {
            n += p.highWatermark() - p.logStartOffset();
        }
        return n;
    }
}
