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

    AckRanges(String topic, int partition) {
        this.topic = topic;
        this.partition = partition;
    }

    void add(long offset) {
        addRange(offset, offset + 1);
    }

    /** Adds [from, to), extending the last range when it ends at {@code from}; nothing if empty. */
    void addRange(long from, long to) {
        if (from >= to) {
            return;
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
        PartitionOffsets.Builder b =
                PartitionOffsets.newBuilder().setTopic(topic).setPartition(partition);
        for (int i = 0; i < 2 * pairs; i++) {
            b.addRanges(ranges[i]);
        }
        pairs = 0;
        return b.build();
    }
}
