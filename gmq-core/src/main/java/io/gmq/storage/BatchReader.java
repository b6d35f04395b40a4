package io.gmq.storage;

import io.gmq.Header;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A cursor over the records of a run of {@link BatchFormat} frames (a fetch result or a slice of
 * a segment). A flyweight: one instance walks any number of records, and its accessors read
 * straight from the buffer; {@link #key()}, {@link #value()} and {@link #headers()} copy.
 *
 * <p>Frames are trusted to be structurally valid (storage checked them on append and checks their
 * CRC on read).
 */
public final class BatchReader {
    private ByteBuffer buf;
    private final BatchFrame frame = new BatchFrame();
    private int frameStart;
    private int frameEnd;
    private int end;
    private int recordPos;
    private int recordIndex;
    private int recordCount;
    private long baseOffset;
    private short attributes;

    // current record
    private long offset;
    private long timestamp;
    private int keyPos;
    private int keyLength;
    private int valuePos;
    private int valueLength;
    private int headersPos;
    private int headerCount;

    public BatchReader() {}

    public BatchReader(ByteBuffer frames) {
        wrap(frames);
    }

    /** Reads the frames in {@code frames} from its position to its limit. */
    public BatchReader wrap(ByteBuffer frames) {
        this.buf = frames.duplicate().order(BatchFormat.ORDER);
        this.frameStart = frames.position();
        this.end = frames.limit();
        this.frameEnd = frameStart;
        this.recordIndex = 0;
        this.recordCount = 0;
        return this;
    }

    /** Moves to the next record; false when none is left. */
    public boolean next() {
        while (recordIndex >= recordCount) {
            frameStart = frameEnd;
            frame.wrap(buf, frameStart);
            if (!frame.fitsIn(end)) {
                return false;
            }
            frameEnd = frame.end();
            recordCount = frame.recordCount();
            baseOffset = frame.baseOffset();
            attributes = frame.attributes();
            recordIndex = 0;
            recordPos = frame.recordsStart();
        }
        int body = buf.getInt(recordPos + BatchFormat.RECORD_BODY_LENGTH_OFFSET);
        offset = baseOffset + recordIndex;
        timestamp = buf.getLong(recordPos + BatchFormat.RECORD_TIMESTAMP_OFFSET);
        keyLength = buf.getInt(recordPos + BatchFormat.RECORD_KEY_LENGTH_OFFSET);
        keyPos = recordPos + BatchFormat.RECORD_KEY_OFFSET;
        int pos = keyPos + Math.max(keyLength, 0);
        valueLength = buf.getInt(pos);
        pos += BatchFormat.LENGTH_FIELD;
        valuePos = pos;
        pos += valueLength;
        headerCount = buf.getInt(pos);
        headersPos = pos + BatchFormat.LENGTH_FIELD;
        recordPos += BatchFormat.RECORD_BODY_LENGTH_FIELD + body;
        recordIndex++;
        return true;
    }

    public long offset() {
        return offset;
    }

    public long timestamp() {
        return timestamp;
    }

    /** Whether the current record's batch was published at least once (QoS 1). */
    public boolean atLeastOnce() {
        return (attributes & BatchFormat.ATTR_QOS_AT_LEAST_ONCE) != 0;
    }

    /**
     * The buffer the accessors read (a duplicate private to this reader, its positions unused): a
     * record view may keep it with the positions below and read the record later, since only
     * absolute gets touch it.
     */
    public ByteBuffer buffer() {
        return buf;
    }

    /** Where the current record's key bytes start in {@link #buffer()} (meaningless without a key). */
    public int keyPosition() {
        return keyPos;
    }

    /** The current record's key length, -1 for no key. */
    public int keyLength() {
        return keyLength;
    }

    /** Where the current record's value bytes start in {@link #buffer()}. */
    public int valuePosition() {
        return valuePos;
    }

    /** Where the current record's first header starts in {@link #buffer()}. */
    public int headersPosition() {
        return headersPos;
    }

    public boolean hasKey() {
        return keyLength >= 0;
    }

    public byte[] key() {
        return keyLength < 0 ? null : copy(buf, keyPos, keyLength);
    }

    public int valueLength() {
        return valueLength;
    }

    public byte[] value() {
        return copy(buf, valuePos, valueLength);
    }

    /** The value as a read-only view (no copy), valid while the underlying buffer is. */
    public ByteBuffer valueView() {
        return buf.slice(valuePos, valueLength).asReadOnlyBuffer();
    }

    public int headerCount() {
        return headerCount;
    }

    public List<Header> headers() {
        return headers(buf, headersPos, headerCount);
    }

    /** Copies {@code bytes} bytes at {@code pos} of {@code buf} (absolute: the buffer's position is untouched). */
    public static byte[] copy(ByteBuffer buf, int pos, int bytes) {
        byte[] out = new byte[bytes];
        buf.get(pos, out);
        return out;
    }

    /** Decodes {@code headerCount} headers starting at {@code headersPos} of {@code buf} (absolute reads). */
    public static List<Header> headers(ByteBuffer buf, int headersPos, int headerCount) {
        if (headerCount == 0) {
            return Collections.emptyList();
        }
        List<Header> out = new ArrayList<>(headerCount);
        int pos = headersPos;
        for (int i = 0; i < headerCount; i++) {
            int nameLength = buf.getInt(pos);
            pos += 4;
            byte[] name = new byte[nameLength];
            buf.get(pos, name);
            pos += nameLength;
            int valueLen = buf.getInt(pos);
            pos += 4;
            byte[] value = new byte[valueLen];
            buf.get(pos, value);
            pos += valueLen;
            out.add(new Header(new String(name, StandardCharsets.UTF_8), value));
        }
        return out;
    }
}
