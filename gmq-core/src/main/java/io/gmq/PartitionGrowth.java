package io.gmq;

import java.util.List;
import java.util.Objects;

/**
 * One growth of a topic's partition count, from {@code fromPartitions} to {@code toPartitions},
 * with the boundary of every partition that existed before it: {@code boundaries.get(p)} is the
 * first offset of partition {@code p} written after the change. Keyed records below a boundary
 * were routed with {@code murmur2(key) % fromPartitions}, keyed records at or above it with the
 * new count (or a later one).
 *
 * <p>A consumer group delivers a record at or above a boundary of growth {@code e} (and every
 * record of a partition the growth created) only once the group's committed offsets of all
 * {@code fromPartitions} old partitions have reached their boundaries of growth {@code e}: a key
 * that moved is not delivered from its new partition before its older records are acknowledged.
 * docs/PROTOCOL.md, "Growing partitions", describes the whole mechanism.
 */
public record PartitionGrowth(int fromPartitions, int toPartitions, List<Long> boundaries) {
    public PartitionGrowth {
        boundaries = List.copyOf(Objects.requireNonNull(boundaries, "boundaries"));
        if (fromPartitions < 1 || toPartitions <= fromPartitions || boundaries.size() != fromPartitions) {
            throw GmqException.invalidArgument("a partition growth goes from at least 1 partition to more, with one "
                    + "boundary per old partition; was " + fromPartitions + " -> " + toPartitions + " with "
                    + boundaries.size() + " boundaries");
        }
        for (long b : boundaries) {
            if (b < 0) {
                throw GmqException.invalidArgument("a partition growth's boundaries are offsets, was " + b);
            }
        }
    }

    /** The boundary of old partition {@code partition} ({@code < fromPartitions}). */
    public long boundary(int partition) {
        return boundaries.get(partition);
    }
}
