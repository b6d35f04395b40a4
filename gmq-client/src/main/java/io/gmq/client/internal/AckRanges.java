package io.gmq.client.internal;

import io.gmq.proto.PartitionOffsets;
import java.util.Arrays;

/**
 * Acknowledged offsets of one partition since the last flush, kept as half-open ranges: an
 * in-order consumer extends the last range by one (a compare and an increment per record), and
 * one delivery of thousands of records goes back to the broker as one pair of offsets
 * ({@code PartitionOffsets.ranges}) instead of one varint per record.
 *
 * <p>Offsets acknowledged out of order open new ranges; nothing merges them (the broker ignores
 * what it has already seen, so overlap is harmless and a sort is not worth its cost here).
 * Not thread safe: the owning subscription guards it.
 */
final class AckRanges {
    private final String topic;
    private final int partition;
    /** Pairs: [from, to) = [ranges[2i], ranges[2i+1]). */
    private long[] ranges = new long[8];

    private int pairs;
    /** The lowest delivery generation among the pending ranges (0: none yet). */
    private int generation;

    AckRanges(String topic, int partition) {
        this.topic = topic;
        this.partition = partition;
    }

    void add(long offset, int deliveryGeneration) {
        addRange(offset, offset + 1, deliveryGeneration);
    }

    /**
     * Adds [from, to) of a delivery of {@code deliveryGeneration}, extending the last range when it
     * ends at {@code from}; nothing if empty. The ranges go out tagged with the lowest generation
     * among them: if that one is stale the broker drops them all and redelivers (at least once).
     */
    void addRange(long from, long to, int deliveryGeneration) {
        if (from >= to) {
            return;
        }
        if (generation == 0 || (deliveryGeneration != 0 && deliveryGeneration < generation)) {
            generation = deliveryGeneration;
        }
        if (pairs > 0 && ranges[2 * pairs - 1] == from) {
            ranges[2 * pairs - 1] = to;
            return;
        }
        if (2 * pairs + 2 > ranges.length) {
            ranges = Arrays.copyOf(ranges, ranges.length * 2);
        }
        ranges[2 * pairs] = from;
        ranges[2 * pairs + 1] = to;
        pairs++;
    }

    boolean isEmpty() {
        return pairs == 0;
    }

    /** The ranges in wire form; leaves this empty for reuse. */
    PartitionOffsets drainTo() {
        PartitionOffsets.Builder b = PartitionOffsets.newBuilder()
                .setTopic(topic)
                .setPartition(partition)
                .setGeneration(generation);
        for (int i = 0; i < 2 * pairs; i++) {
            b.addRanges(ranges[i]);
        }
        pairs = 0;
        generation = 0;
        return b.build();
    }
}
