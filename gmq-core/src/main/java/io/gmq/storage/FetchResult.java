package io.gmq.storage;

import java.nio.ByteBuffer;

/**
 * Whole, CRC-checked batch frames read from one partition. The first frame may start before the
 * requested offset (a read lands inside a batch); readers skip records below it.
 *
 * <p>{@code records} belongs to the caller: storage never writes it again (every read returns a
 * fresh buffer or a view of bytes nothing modifies), so brokers hand it to the network without
 * copying.
 *
 * @param records        frames in {@link BatchFormat}, position..limit; empty if nothing new
 * @param highWatermark  one past the last readable offset at the time of the read
 * @param logStartOffset first readable offset; a request below it returns no records and
 *                       {@code outOfRange} true, so the caller restarts from here
 * @param topicPartitions the topic's partition count read after the records (0: not known); a
 *                       reader that knows fewer partitions has missed a growth, and records in
 *                       {@code records} may lie past its boundaries ({@link io.gmq.PartitionGrowth})
 */
public record FetchResult(
        ByteBuffer records, long highWatermark, long logStartOffset, boolean outOfRange, int topicPartitions) {
    public static final ByteBuffer EMPTY = ByteBuffer.allocate(0).order(BatchFormat.ORDER);

    /** A result that does not say the topic's partition count. */
    public FetchResult(ByteBuffer records, long highWatermark, long logStartOffset, boolean outOfRange) {
        this(records, highWatermark, logStartOffset, outOfRange, 0);
    }

    /** This result saying the topic has {@code partitions} partitions. */
    public FetchResult withTopicPartitions(int partitions) {
        return partitions == topicPartitions
                ? this
                : new FetchResult(records, highWatermark, logStartOffset, outOfRange, partitions);
    }

    public boolean isEmpty() {
        return !records.hasRemaining();
    }
}
