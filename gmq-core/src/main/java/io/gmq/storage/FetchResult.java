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
 */
public record FetchResult(ByteBuffer records, long highWatermark, long logStartOffset, boolean outOfRange) {
    public static final ByteBuffer EMPTY = ByteBuffer.allocate(0).order(BatchFormat.ORDER);

    public boolean isEmpty() {
        return !records.hasRemaining();
    }
}
