package io.gmq.net.storage;

import io.gmq.TopicPartition;

/**
 * How a replicated storage cluster spreads its state over Raft groups (docs/CLUSTER.md): one
 * metadata group (topics, consumer-group state, the nodes' storage addresses) and
 * {@link #DATA_GROUPS} data groups holding the partitions. Partition P of topic T lives in data
 * group {@code (hash(T) + P) mod DATA_GROUPS}, so a topic's partitions go to different groups and
 * every node (storage and broker) computes the same place without asking. The count is fixed for
 * the life of a cluster: changing it would move partitions.
 */
public final class StorageShards {
    /** The name of the metadata group in cluster describe. */
    public static final String METADATA = "metadata";
    /** Data groups per cluster. */
    public static final int DATA_GROUPS = 3;

    private StorageShards() {}

    /** The data group of {@code tp}, 0 to {@link #DATA_GROUPS} - 1. */
    public static int dataGroupOf(TopicPartition tp) {
        // String.hashCode is fixed by the Java language specification: the same on every node.
        return Math.floorMod(tp.topic().hashCode() + tp.partition(), DATA_GROUPS);
    }

    /** The name of data group {@code i} in cluster describe: {@code data-0}, {@code data-1}, ... */
    public static String dataGroupName(int i) {
        return "data-" + i;
    }
}
