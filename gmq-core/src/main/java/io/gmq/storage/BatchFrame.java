package io.gmq.storage;

import static io.gmq.storage.BatchFormat.APPEND_TIME_OFFSET;
import static io.gmq.storage.BatchFormat.ATTRIBUTES_OFFSET;
import static io.gmq.storage.BatchFormat.ATTR_KNOWN;
import static io.gmq.storage.BatchFormat.ATTR_PRODUCER;
import static io.gmq.storage.BatchFormat.ATTR_QOS_AT_LEAST_ONCE;
import static io.gmq.storage.BatchFormat.BASE_OFFSET_OFFSET;
import static io.gmq.storage.BatchFormat.BASE_SEQUENCE_OFFSET;
import static io.gmq.storage.BatchFormat.CRC_NOT_COMPUTED;
import static io.gmq.storage.BatchFormat.CRC_OFFSET;
import static io.gmq.storage.BatchFormat.HEADER_LENGTH;
import static io.gmq.storage.BatchFormat.LENGTH_FIELD;
import static io.gmq.storage.BatchFormat.LENGTH_OFFSET;
import static io.gmq.storage.BatchFormat.MAGIC;
import static io.gmq.storage.BatchFormat.MAGIC_OFFSET;
import static io.gmq.storage.BatchFormat.MAX_TIMESTAMP_OFFSET;
import static io.gmq.storage.BatchFormat.NULL_KEY_LENGTH;
import static io.gmq.storage.BatchFormat.PRODUCER_EPOCH_OFFSET;
import static io.gmq.storage.BatchFormat.PRODUCER_HEADER_LENGTH;
import static io.gmq.storage.BatchFormat.PRODUCER_ID_OFFSET;
import static io.gmq.storage.BatchFormat.RECORD_BODY_LENGTH_FIELD;
import static io.gmq.storage.BatchFormat.RECORD_COUNT_OFFSET;
import static io.gmq.storage.BatchFormat.RECORD_KEY_LENGTH_OFFSET;
import static io.gmq.storage.BatchFormat.RECORD_KEY_OFFSET;
import static io.gmq.storage.BatchFormat.RECORD_OVERHEAD;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * A flyweight over one {@link BatchFormat} frame header in a buffer: the one place that reads,
 * checks and seals frame headers. Every class that walks frames (the log's appends, reads,
 * recovery and verification, delivery planning, the broker's publish path) does it through one
 * of these, so the layout is known here and in {@link BatchFormat} only.
 *
 * <p>{@link #wrap} points it at a frame; the accessors read straight from the buffer with absolute
 * gets (the buffer's position and limit are untouched); {@link #next} steps to the frame that
 * follows. Nothing is allocated after the first CRC over a given buffer, so an owner (a log writer,
 * a subscription, a session, a scanning thread) keeps one and reuses it.
 *
 * <p>The accessors trust the frame's header to lie within the buffer; a caller walking bytes it
 * has not checked asks {@link #hasHeader} and {@link #fitsIn} first. Not thread-safe.
 */
public final class BatchFrame {
    private ByteBuffer buffer;
    private int offset;

    /** Created on the first CRC: cursors that only read headers stay one small object. */
    private CRC32C crc;
    /** A private view of {@link #crcViewOf} for CRCs over buffers without an accessible array. */
    private ByteBuffer crcView;

    private ByteBuffer crcViewOf;

    /**
     * Points this cursor at the frame starting at {@code offset} of {@code buffer} (an absolute
     * index). A buffer not in {@link BatchFormat#ORDER} is read through a little-endian view.
     */
    public BatchFrame wrap(ByteBuffer buffer, int offset) {
        this.buffer = buffer.order() == BatchFormat.ORDER
                ? buffer
                : buffer.duplicate().order(BatchFormat.ORDER);
        this.offset = offset;
        return this;
    }

    /** Steps to the frame right after this one (trusting this frame's length field). */
    public BatchFrame next() {
        offset += frameLength();
        return this;
    }

    /** The buffer this cursor reads (little endian). */
    public ByteBuffer buffer() {
        return buffer;
    }

    /** Where this frame starts in {@link #buffer()}. */
    public int offset() {
        return offset;
    }

    /** Where this frame ends in {@link #buffer()} (its start plus its length field). */
    public int end() {
        return offset + frameLength();
    }

    /** True if a whole header lies before {@code limit}. */
    public boolean hasHeader(int limit) {
        return limit - offset >= HEADER_LENGTH;
    }

    /** True if a whole header lies before {@code limit} and its length is sane and ends by {@code limit}. */
    public boolean fitsIn(int limit) {
        if (!hasHeader(limit)) {
            return false;
        }
        int length = frameLength();
        return length >= HEADER_LENGTH && length <= limit - offset;
    }

    // ---- header fields ------------------------------------------------------------------------

    public int frameLength() {
        return buffer.getInt(offset + LENGTH_OFFSET);
    }

    public int crc() {
        return buffer.getInt(offset + CRC_OFFSET);
    }

    public long baseOffset() {
        return buffer.getLong(offset + BASE_OFFSET_OFFSET);
    }

    public int recordCount() {
        return buffer.getInt(offset + RECORD_COUNT_OFFSET);
    }

    public short magic() {
        return buffer.getShort(offset + MAGIC_OFFSET);
    }

    public short attributes() {
        return buffer.getShort(offset + ATTRIBUTES_OFFSET);
    }

    /** Whether the batch was published at least once (QoS 1): its records need acknowledgements. */
    public boolean atLeastOnce() {
        return (attributes() & ATTR_QOS_AT_LEAST_ONCE) != 0;
    }

    public long maxTimestamp() {
        return buffer.getLong(offset + MAX_TIMESTAMP_OFFSET);
    }

    /** Whether the frame carries producer fields ({@link BatchFormat#ATTR_PRODUCER}): an idempotent publish. */
    public boolean hasProducer() {
        return (attributes() & ATTR_PRODUCER) != 0;
    }

    /** The producer id; only for a frame that {@link #hasProducer()}. */
    public long producerId() {
        return buffer.getLong(offset + PRODUCER_ID_OFFSET);
    }

    /** The producer epoch; only for a frame that {@link #hasProducer()}. */
    public int producerEpoch() {
        return buffer.getInt(offset + PRODUCER_EPOCH_OFFSET);
    }

    /** The sequence of the first record; only for a frame that {@link #hasProducer()}. */
    public int baseSequence() {
        return buffer.getInt(offset + BASE_SEQUENCE_OFFSET);
    }

    /** The sequence of the last record; only for a frame that {@link #hasProducer()}. */
    public int lastSequence() {
        return baseSequence() + recordCount() - 1;
    }

    /** Storage's clock when it appended the frame (0 before); only for a frame that {@link #hasProducer()}. */
    public long appendTimeMillis() {
        return buffer.getLong(offset + APPEND_TIME_OFFSET);
    }

    /** Where the first record starts in {@link #buffer()}: after the header, and the producer fields if any. */
    public int recordsStart() {
        return offset + BatchFormat.recordsOffset(attributes());
    }

    /** The offset one past the frame's last record. */
    public long nextOffset() {
        return baseOffset() + recordCount();
    }

    /**
     * True if the header is plausible for a stored frame that should start at {@code expectedBase}:
     * a sane length within {@code limit}, that base offset, a positive record count and the magic.
     * The CRC is not checked.
     */
    public boolean isPlausibleAt(long expectedBase, int limit) {
        return fitsIn(limit) && baseOffset() == expectedBase && recordCount() > 0 && magic() == MAGIC;
    }

    // ---- CRC and sealing ----------------------------------------------------------------------

    /** CRC32C of the whole frame (its length field says how long) but its own CRC field. */
    public int computeCrc() {
        int length = frameLength();
        CRC32C crc = this.crc;
        if (crc == null) {
            crc = this.crc = new CRC32C();
        }
        crc.reset();
        if (buffer.hasArray()) {
            byte[] array = buffer.array();
            int start = buffer.arrayOffset() + offset;
            crc.update(array, start + LENGTH_OFFSET, CRC_OFFSET - LENGTH_OFFSET);
            crc.update(array, start + BASE_OFFSET_OFFSET, length - BASE_OFFSET_OFFSET);
        } else {
            if (crcViewOf != buffer) {
                crcView = buffer.duplicate();
                crcViewOf = buffer;
            }
            crcView.clear();
            crcView.limit(offset + CRC_OFFSET).position(offset + LENGTH_OFFSET);
            crc.update(crcView);
            crcView.limit(offset + length).position(offset + BASE_OFFSET_OFFSET);
            crc.update(crcView);
        }
        return (int) crc.getValue();
    }

    /** True if the CRC field matches the frame's bytes. */
    public boolean crcMatches() {
        return crc() == computeCrc();
    }

    /**
     * For a frame from a producer: true if its CRC is {@link BatchFormat#CRC_NOT_COMPUTED} or
     * matches its bytes as they are (before storage stamps the base offset).
     */
    public boolean producerCrcHolds() {
        return crc() == CRC_NOT_COMPUTED || crcMatches();
    }

    /** Writes the CRC of the frame as it is into its CRC field (a producer, before sending). */
    public BatchFrame stampCrc() {
        buffer.putInt(offset + CRC_OFFSET, computeCrc());
        return this;
    }

    /** Stamps the base offset and then the CRC; the frame is then final and ready for disk. */
    public BatchFrame seal(long baseOffset) {
        buffer.putLong(offset + BASE_OFFSET_OFFSET, baseOffset);
        return stampCrc();
    }

    /**
     * Stamps the base offset, the append time if the frame {@link #hasProducer()}, and then the
     * CRC; the frame is then final and ready for disk.
     */
    public BatchFrame seal(long baseOffset, long appendTimeMillis) {
        if (hasProducer()) {
            buffer.putLong(offset + APPEND_TIME_OFFSET, appendTimeMillis);
        }
        return seal(baseOffset);
    }

    // ---- validation of frames from producers --------------------------------------------------

    /**
     * Checks the structure of a frame received from a producer, {@code available} bytes from its
     * start: lengths consistent, magic known, no reserved attribute bit, a positive record count,
     * records that exactly fill the frame. Returns null when valid, else what is wrong. Does not
     * look at the CRC (see {@link #producerCrcHolds}).
     */
    public String validateStructure(int available) {
        String bad = lengthProblem(available);
        return bad != null ? bad : recordsProblem();
    }

    /** Null if a header and the whole frame its length names lie in {@code available} bytes, else why not. */
    public String lengthProblem(int available) {
        if (available < HEADER_LENGTH) {
            return "batch of " + available + " bytes is shorter than the " + HEADER_LENGTH + "-byte header";
        }
        int length = frameLength();
        if (length < HEADER_LENGTH || length > available) {
            return "batch length " + length + " does not fit the " + available + " bytes received";
        }
        return null;
    }

    /** Null if magic, attributes, record count and records are valid (the length must fit, see {@link #lengthProblem}). */
    public String recordsProblem() {
        short magic = magic();
        if (magic != MAGIC) {
            return "batch magic " + magic + " is not " + MAGIC;
        }
        short attributes = attributes();
        if ((attributes & ~ATTR_KNOWN) != 0) {
            return "batch attributes 0x" + Integer.toHexString(attributes & 0xFFFF)
                    + " set a reserved bit; only 0x1 (QoS 1) and 0x2 (producer fields) are defined";
        }
        int count = recordCount();
        if (count <= 0) {
            return "batch record count " + count + " must be positive";
        }
        if ((attributes & ATTR_PRODUCER) != 0) {
            String bad = producerProblem(count);
            if (bad != null) {
                return bad;
            }
        }
        int pos = recordsStart();
        int end = offset + frameLength();
        for (int i = 0; i < count; i++) {
            if (end - pos < RECORD_BODY_LENGTH_FIELD) {
                return "record " + i + " is cut off";
            }
            int body = buffer.getInt(pos);
            if (body < RECORD_OVERHEAD - RECORD_BODY_LENGTH_FIELD || body > end - pos - RECORD_BODY_LENGTH_FIELD) {
                return "record " + i + " body length " + body + " does not fit the batch";
            }
            String bad = recordBodyProblem(pos, body);
            if (bad != null) {
                return "record " + i + ": " + bad;
            }
            pos += RECORD_BODY_LENGTH_FIELD + body;
        }
        if (pos != end) {
            return "batch has " + (end - pos) + " bytes after its last record";
        }
        return null;
    }

    private String producerProblem(int count) {
        if (frameLength() < PRODUCER_HEADER_LENGTH) {
            return "batch of " + frameLength() + " bytes sets the producer-fields bit but is shorter than the "
                    + PRODUCER_HEADER_LENGTH + "-byte header with producer fields";
        }
        int epoch = producerEpoch();
        if (epoch < 0) {
            return "producer epoch " + epoch + " is negative";
        }
        int base = baseSequence();
        if (base < 0 || (long) base + count - 1 > Integer.MAX_VALUE) {
            return "base sequence " + base + " with " + count + " records is outside 0.." + Integer.MAX_VALUE
                    + "; start a new epoch at sequence 0 before the sequence wraps";
        }
        return null;
    }

    /** The largest record of a valid frame, in bytes with its body length field. */
    public int largestRecordBytes() {
        int largest = 0;
        int pos = recordsStart();
        for (int i = recordCount(); i > 0; i--) {
            int recordBytes = RECORD_BODY_LENGTH_FIELD + buffer.getInt(pos);
            largest = Math.max(largest, recordBytes);
            pos += recordBytes;
        }
        return largest;
    }

    private String recordBodyProblem(int recordStart, int body) {
        int pos = recordStart + RECORD_KEY_LENGTH_OFFSET;
        int end = recordStart + RECORD_BODY_LENGTH_FIELD + body;
        int keyLength = buffer.getInt(pos);
        pos = recordStart + RECORD_KEY_OFFSET;
        if (keyLength < NULL_KEY_LENGTH || keyLength > end - pos) {
            return "key length " + keyLength + " out of range";
        }
        pos += Math.max(keyLength, 0);
        if (end - pos < LENGTH_FIELD) {
            return "value length cut off";
        }
        int valueLength = buffer.getInt(pos);
        pos += LENGTH_FIELD;
        if (valueLength < 0 || valueLength > end - pos) {
            return "value length " + valueLength + " out of range";
        }
        pos += valueLength;
        if (end - pos < LENGTH_FIELD) {
            return "header count cut off";
        }
        int headers = buffer.getInt(pos);
        pos += LENGTH_FIELD;
        if (headers < 0) {
            return "header count " + headers + " is negative";
        }
        for (int h = 0; h < headers; h++) {
            for (int part = 0; part < 2; part++) {
                if (end - pos < LENGTH_FIELD) {
                    return "header " + h + " cut off";
                }
                int len = buffer.getInt(pos);
                pos += LENGTH_FIELD;
                if (len < 0 || len > end - pos) {
                    return "header " + h + " length " + len + " out of range";
                }
                pos += len;
            }
        }
        return pos == end ? null : "record has " + (end - pos) + " bytes after its headers";
    }
}
