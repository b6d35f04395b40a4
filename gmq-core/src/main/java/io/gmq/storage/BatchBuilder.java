package io.gmq.storage;

import io.gmq.Header;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.agrona.ExpandableArrayBuffer;

/**
 * Encodes records into one {@link BatchFormat} frame. Reusable: {@link #reset()} and build again;
 * the backing array grows to the largest batch seen and is then kept, so a producer that reuses
 * one builder allocates nothing per batch (Agrona's expandable buffer gives bounds-checked
 * little-endian puts on a plain array without ByteBuffer position juggling).
 *
 * <p>Not thread safe.
 */
public final class BatchBuilder {
    private static final ByteOrder LE = BatchFormat.ORDER;

    private final ExpandableArrayBuffer buffer;
    private int position;
    private int count;
    private long maxTimestamp;
    private short attributes;
    /** Where records start: {@link BatchFormat#HEADER_LENGTH}, or after reserved producer fields. */
    private int recordsStart;

    private boolean producerSet;
    private long producerId;
    private int producerEpoch;
    private int baseSequence;

    public BatchBuilder() {
        this(4096);
    }

    public BatchBuilder(int initialCapacity) {
        this.buffer = new ExpandableArrayBuffer(Math.max(initialCapacity, BatchFormat.HEADER_LENGTH));
        reset();
    }

    /** Empties the builder for a frame without producer fields. */
    public BatchBuilder reset() {
        return reset(false);
    }

    /**
     * Empties the builder; with {@code withProducerFields} room for the producer fields is kept
     * before the records, and {@link #producer} must be called before {@link #build()}.
     */
    public BatchBuilder reset(boolean withProducerFields) {
        recordsStart = withProducerFields ? BatchFormat.PRODUCER_HEADER_LENGTH : BatchFormat.HEADER_LENGTH;
        position = recordsStart;
        count = 0;
        maxTimestamp = -1;
        attributes = 0;
        producerSet = false;
        return this;
    }

    /** Whether this builder keeps room for producer fields ({@link #reset(boolean)}). */
    public boolean hasProducerFields() {
        return recordsStart == BatchFormat.PRODUCER_HEADER_LENGTH;
    }

    /**
     * The producer fields {@link #build()} writes (and with them the {@link BatchFormat#ATTR_PRODUCER}
     * bit): the builder must have been reset with room for them.
     */
    public BatchBuilder producer(long producerId, int producerEpoch, int baseSequence) {
        if (!hasProducerFields()) {
            throw new IllegalStateException("reset(true) keeps room for producer fields; this builder has none");
        }
        this.producerId = producerId;
        this.producerEpoch = producerEpoch;
        this.baseSequence = baseSequence;
        this.producerSet = true;
        return this;
    }

    /**
     * Attribute bits written by {@link #build()}, e.g. {@link BatchFormat#ATTR_QOS_AT_LEAST_ONCE};
     * reset clears them. {@link BatchFormat#ATTR_PRODUCER} follows {@link #producer} instead.
     */
    public BatchBuilder attributes(short attributes) {
        this.attributes = attributes;
        return this;
    }

    public int recordCount() {
        return count;
    }

    /** Bytes the frame would have if built now. */
    public int sizeInBytes() {
        return position;
    }

    public boolean isEmpty() {
        return count == 0;
    }

    /** Appends one record; key and headers may be null. */
    public BatchBuilder add(long timestamp, byte[] key, byte[] value, List<Header> headers) {
        return add(timestamp, key, value, 0, value == null ? 0 : value.length, headers);
    }

    public BatchBuilder add(
            long timestamp, byte[] key, byte[] value, int valueOffset, int valueLength, List<Header> headers) {
        int bodyStart = position + 4;
        int pos = bodyStart;
        buffer.putLong(pos, timestamp, LE);
        pos += 8;
        if (key == null) {
            buffer.putInt(pos, -1, LE);
            pos += 4;
        } else {
            buffer.putInt(pos, key.length, LE);
            pos += 4;
            buffer.putBytes(pos, key);
            pos += key.length;
        }
        buffer.putInt(pos, valueLength, LE);
        pos += 4;
        if (valueLength > 0) {
            buffer.putBytes(pos, value, valueOffset, valueLength);
            pos += valueLength;
        }
        int headerCount = headers == null ? 0 : headers.size();
        buffer.putInt(pos, headerCount, LE);
        pos += 4;
        for (int i = 0; i < headerCount; i++) {
            Header h = headers.get(i);
            byte[] name = h.name().getBytes(StandardCharsets.UTF_8);
            buffer.putInt(pos, name.length, LE);
            pos += 4;
            buffer.putBytes(pos, name);
            pos += name.length;
            buffer.putInt(pos, h.value().length, LE);
            pos += 4;
            buffer.putBytes(pos, h.value());
            pos += h.value().length;
        }
        buffer.putInt(position, pos - bodyStart, LE);
        position = pos;
        count++;
        if (timestamp > maxTimestamp) {
            maxTimestamp = timestamp;
        }
        return this;
    }

    /** Writes the header. The returned buffer views this builder's array: use it before the next reset. */
    public ByteBuffer build() {
        if (count == 0) {
            throw new IllegalStateException("a batch needs at least one record");
        }
        buffer.putInt(BatchFormat.LENGTH_OFFSET, position, LE);
        buffer.putInt(BatchFormat.CRC_OFFSET, 0, LE);
        buffer.putLong(BatchFormat.BASE_OFFSET_OFFSET, 0L, LE);
        buffer.putInt(BatchFormat.RECORD_COUNT_OFFSET, count, LE);
        buffer.putShort(BatchFormat.MAGIC_OFFSET, BatchFormat.MAGIC, LE);
        short attrs = attributes;
        if (hasProducerFields()) {
            if (!producerSet) {
                throw new IllegalStateException(
                        "a batch with room for producer fields needs producer(...) before build");
            }
            attrs |= BatchFormat.ATTR_PRODUCER;
            buffer.putLong(BatchFormat.PRODUCER_ID_OFFSET, producerId, LE);
            buffer.putInt(BatchFormat.PRODUCER_EPOCH_OFFSET, producerEpoch, LE);
            buffer.putInt(BatchFormat.BASE_SEQUENCE_OFFSET, baseSequence, LE);
            buffer.putLong(BatchFormat.APPEND_TIME_OFFSET, 0L, LE);
        } else {
            attrs &= ~BatchFormat.ATTR_PRODUCER;
        }
        buffer.putShort(BatchFormat.ATTRIBUTES_OFFSET, attrs, LE);
        buffer.putLong(BatchFormat.MAX_TIMESTAMP_OFFSET, maxTimestamp, LE);
        return ByteBuffer.wrap(buffer.byteArray(), 0, position).slice().order(LE);
    }

    /** Like {@link #build()} but into a fresh array the caller owns. */
    public ByteBuffer buildCopy() {
        ByteBuffer view = build();
        ByteBuffer copy = ByteBuffer.allocate(view.remaining()).order(LE);
        copy.put(view).flip();
        return copy;
    }

    /** Bytes one record adds to a batch. */
    public static int recordSize(byte[] key, int valueLength, List<Header> headers) {
        int size = BatchFormat.RECORD_OVERHEAD + (key == null ? 0 : key.length) + valueLength;
        if (headers != null) {
            for (Header h : headers) {
                size += 8 + h.name().getBytes(StandardCharsets.UTF_8).length + h.value().length;
            }
        }
        return size;
    }
}
