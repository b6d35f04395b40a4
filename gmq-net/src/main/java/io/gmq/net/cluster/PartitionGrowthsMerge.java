package io.gmq.net.cluster;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.PartitionGrowth;
import io.gmq.TopicInfo;
import io.gmq.TopicPartition;
import io.gmq.net.storage.StorageShards;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The boundaries of one partition growth in a storage cluster: each data group answers the growth
 * with the boundaries its replicas took from their own logs, and only those of the partitions the
 * group holds ({@link StorageShards#dataGroupOf}) mean anything; this collects them into the one
 * list the metadata group stores.
 */
final class PartitionGrowthsMerge {
    private final TopicInfo before;
    private final int partitions;
    private final long[] boundaries;
    private final boolean[] known;

    PartitionGrowthsMerge(TopicInfo before, int partitions) {
        this.before = before;
        this.partitions = partitions;
        this.boundaries = new long[before.partitions()];
        this.known = new boolean[before.partitions()];
    }

    /** INVALID_ARGUMENT, as a single storage says it, unless {@code partitions} grows {@code t} within {@code max}. */
    static void check(TopicInfo t, int partitions, int max) {
        if (partitions <= t.partitions()) {
            throw GmqException.invalidArgument("topic '" + t.name() + "' has " + t.partitions()
                    + " partitions; its count can only grow, so " + partitions + " is refused (allowed: "
                    + (t.partitions() + 1) + ".." + max + ")");
        }
        if (partitions > max) {
            throw GmqException.invalidArgument("topic '" + t.name() + "' cannot have " + partitions
                    + " partitions; allowed: " + (t.partitions() + 1) + ".." + max + " (maxPartitionsPerTopic)");
        }
    }

    /** Data group {@code group} grew the topic and answered {@code grown}. */
    void add(int group, TopicInfo grown) {
        List<PartitionGrowth> growth = grown.growth();
        PartitionGrowth last = growth.isEmpty() ? null : growth.get(growth.size() - 1);
        if (last == null
                || last.toPartitions() != partitions
                || last.fromPartitions() != before.partitions()
                || grown.partitions() != partitions) {
            throw new GmqException(
                    ErrorCode.FAILED_PRECONDITION,
                    "storage group data-" + group + " has topic '" + before.name() + "' with " + grown.partitions()
                            + " partitions, not grown from " + before.partitions() + " to " + partitions
                            + " (another growth ran at the same time?); describe the topic and retry");
        }
        for (int p = 0; p < boundaries.length; p++) {
            if (StorageShards.dataGroupOf(new TopicPartition(before.name(), p)) == group) {
                boundaries[p] = last.boundary(p);
                known[p] = true;
            }
        }
    }

    /** One boundary per old partition, each from the data group that holds the partition. */
    List<Long> boundaries() {
        List<Long> out = new ArrayList<>(boundaries.length);
        for (int p = 0; p < boundaries.length; p++) {
            if (!known[p]) {
                throw new GmqException(
                        ErrorCode.INTERNAL,
                        "no data group answered the boundary of partition " + p + " of " + before.name() + " ("
                                + Arrays.toString(known) + ")");
            }
            out.add(boundaries[p]);
        }
        return out;
    }
}
