package io.gmq.storage;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The record batch frame: the unit that producers build, the broker forwards, storage appends and
 * fsyncs, the log stores, and fetches return. It is the same bytes on every hop and on disk, so
 * no hop re-encodes a message.
 *
 * <p>All fields are little endian.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                     Frame length (int32)                      |  0  bytes of the whole frame, header included
 *  +---------------------------------------------------------------+
 *  |                        CRC32C (int32)                         |  4  over [0,4) and [8,length): all but itself
 *  +---------------------------------------------------------------+
 *  |                                                               |  8  offset of the first record; assigned by
 *  +                      Base offset (int64)                      +     storage on append
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                     Record count (int32)                      | 16
 *  +-------------------------------+-------------------------------+
 *  |         Magic (int16)         |      Attributes (int16)       | 20  magic = 1; attributes: bit 0 = QoS 1
 *  +-------------------------------+-------------------------------+
 *  |                                                               | 24  largest record timestamp, epoch millis
 *  +                    Max timestamp (int64)                      +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                          Records ...                          | 32
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Each record, one after another, offsets implicit (base offset + index):
 *
 * <pre>
 *  int32  body length       bytes that follow this field for this record
 *  int64  timestamp         epoch millis
 *  int32  key length        -1 for no key
 *  bytes  key
 *  int32  value length
 *  bytes  value
 *  int32  header count
 *  per header:  int32 name length, bytes name (UTF-8), int32 value length, bytes value
 * </pre>
 *
 * <p>The CRC covers the base offset too, so a flipped bit anywhere in a stored frame, offset
 * included, fails the check. Storage computes it after stamping the base offset; producers leave
 * it zero.
 */
public final class BatchFormat {
    public static final int LENGTH_OFFSET = 0;
    public static final int CRC_OFFSET = 4;
    public static final int BASE_OFFSET_OFFSET = 8;
    public static final int RECORD_COUNT_OFFSET = 16;
    public static final int MAGIC_OFFSET = 20;
    public static final int ATTRIBUTES_OFFSET = 22;
    public static final int MAX_TIMESTAMP_OFFSET = 24;
    public static final int HEADER_LENGTH = 32;

    public static final short MAGIC = 1;

    /** Attribute bit 0: the batch was published with QoS 1 (at least once). Other bits are reserved, 0. */
    public static final short ATTR_QOS_AT_LEAST_ONCE = 0x1;

    /** Per record: body length + timestamp + key length + value length + header count. */
    public static final int RECORD_OVERHEAD = 4 + 8 + 4 + 4 + 4;

    public static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private BatchFormat() {}

    public static int frameLength(ByteBuffer buf, int frameStart) {
        return buf.getInt(frameStart + LENGTH_OFFSET);
    }

    public static long baseOffset(ByteBuffer buf, int frameStart) {
        return buf.getLong(frameStart + BASE_OFFSET_OFFSET);
    }

    public static int recordCount(ByteBuffer buf, int frameStart) {
        return buf.getInt(frameStart + RECORD_COUNT_OFFSET);
    }

    public static short attributes(ByteBuffer buf, int frameStart) {
        return buf.getShort(frameStart + ATTRIBUTES_OFFSET);
    }

    public static long maxTimestamp(ByteBuffer buf, int frameStart) {
        return buf.getLong(frameStart + MAX_TIMESTAMP_OFFSET);
    }

    /** Offset one past the last record of the frame. */
    public static long nextOffset(ByteBuffer buf, int frameStart) {
        return baseOffset(buf, frameStart) + recordCount(buf, frameStart);
    }

    /** CRC32C of the frame at {@code frameStart} (of {@code length} bytes), skipping the CRC field. */
    public static int computeCrc(ByteBuffer buf, int frameStart, int length) {
        CRC32C crc = new CRC32C();
        ByteBuffer view = buf.duplicate();
        view.limit(frameStart + CRC_OFFSET).position(frameStart + LENGTH_OFFSET);
        crc.update(view);
        view.limit(frameStart + length).position(frameStart + BASE_OFFSET_OFFSET);
        crc.update(view);
        return (int) crc.getValue();
    }

    /** Stamps the base offset and then the CRC; the frame is then final and ready for disk. */
    public static void seal(ByteBuffer buf, int frameStart, long baseOffset) {
        int length = frameLength(buf, frameStart);
        buf.putLong(frameStart + BASE_OFFSET_OFFSET, baseOffset);
        buf.putInt(frameStart + CRC_OFFSET, computeCrc(buf, frameStart, length));
    }

    /** True if the frame's stored CRC matches its bytes. */
    public static boolean crcMatches(ByteBuffer buf, int frameStart, int length) {
        return buf.getInt(frameStart + CRC_OFFSET) == computeCrc(buf, frameStart, length);
    }

    /**
     * Checks the structure of an unsealed frame received from a producer: lengths consistent,
     * magic known, records inside the frame. Returns null when valid, else what is wrong. Does
     * not look at the CRC (producers leave it zero).
     */
    public static String validateStructure(ByteBuffer buf, int frameStart, int available) {
        if (available < HEADER_LENGTH) {
            return "batch of " + available + " bytes is shorter than the " + HEADER_LENGTH + "-byte header";
        }
        int length = frameLength(buf, frameStart);
        if (length < HEADER_LENGTH || length > available) {
            return "batch length " + length + " does not fit the " + available + " bytes received";
        }
        short magic = buf.getShort(frameStart + MAGIC_OFFSET);
        if (magic != MAGIC) {
            return "batch magic " + magic + " is not " + MAGIC;
        }
        int count = recordCount(buf, frameStart);
        if (count <= 0) {
            return "batch record count " + count + " must be positive";
        }
        int pos = frameStart + HEADER_LENGTH;
        int end = frameStart + length;
        for (int i = 0; i < count; i++) {
            if (end - pos < 4) {
                return "record " + i + " is cut off";
            }
            int body = buf.getInt(pos);
            if (body < RECORD_OVERHEAD - 4 || body > end - pos - 4) {
                return "record " + i + " body length " + body + " does not fit the batch";
            }
            String bad = validateRecordBody(buf, pos + 4, body);
            if (bad != null) {
                return "record " + i + ": " + bad;
            }
            pos += 4 + body;
        }
        if (pos != end) {
            return "batch has " + (end - pos) + " bytes after its last record";
        }
        return null;
    }

    private static String validateRecordBody(ByteBuffer buf, int start, int body) {
        int pos = start + 8;
        int end = start + body;
        int keyLength = buf.getInt(pos);
        pos += 4;
        if (keyLength < -1 || keyLength > end - pos) {
            return "key length " + keyLength + " out of range";
        }
        pos += Math.max(keyLength, 0);
        if (end - pos < 4) {
            return "value length cut off";
        }
        int valueLength = buf.getInt(pos);
        pos += 4;
        if (valueLength < 0 || valueLength > end - pos) {
            return "value length " + valueLength + " out of range";
        }
        pos += valueLength;
        if (end - pos < 4) {
            return "header count cut off";
        }
        int headers = buf.getInt(pos);
        pos += 4;
        if (headers < 0) {
            return "header count " + headers + " is negative";
        }
        for (int h = 0; h < headers; h++) {
            for (int part = 0; part < 2; part++) {
                if (end - pos < 4) {
                    return "header " + h + " cut off";
                }
                int len = buf.getInt(pos);
                pos += 4;
                if (len < 0 || len > end - pos) {
                    return "header " + h + " length " + len + " out of range";
                }
                pos += len;
            }
        }
        return pos == end ? null : "record has " + (end - pos) + " bytes after its headers";
    }
}
