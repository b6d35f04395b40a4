package io.gmq.storage;

import java.nio.ByteOrder;

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
 *  |         Magic (int16)         |      Attributes (int16)       | 20  magic = 1; attributes: bit 0 = QoS 1,
 *  +-------------------------------+-------------------------------+     bit 1 = producer fields present
 *  |                                                               | 24  largest record timestamp, epoch millis
 *  +                    Max timestamp (int64)                      +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                          Records ...                          | 32  (without producer fields)
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * With attribute bit 1 ({@link #ATTR_PRODUCER}) the header is {@link #PRODUCER_HEADER_LENGTH} bytes:
 * the producer fields of an idempotent publish follow the fixed header and the records start
 * after them.
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |                                                               | 32  the producer's id (random 64-bit per producer)
 *  +                      Producer id (int64)                      +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                    Producer epoch (int32)                     | 40  0 or more; a newer epoch fences older ones
 *  +---------------------------------------------------------------+
 *  |                     Base sequence (int32)                     | 44  sequence of the first record, per partition;
 *  +---------------------------------------------------------------+     record i has base sequence + i
 *  |                                                               | 48  storage's clock when it appended the batch
 *  +                   Append time (int64)                         +     (0 from the producer; stamped on seal)
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                          Records ...                          | 56
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Storage keeps, per partition and producer, the last few batches' sequences and offsets, and
 * rebuilds them on recovery from these fields alone (with the append time, a producer idle too
 * long is forgotten the same way live and after a restart, and on every replica). A frame without
 * the bit is laid out exactly as before the fields existed, so old logs read unchanged.
 *
 * Each record, one after another, offsets implicit (base offset + index); offsets relative to
 * the record's start:
 *
 * <pre>
 *  0   int32  body length       bytes that follow this field for this record
 *  4   int64  timestamp         epoch millis
 *  12  int32  key length        -1 for no key ({@link #NULL_KEY_LENGTH}); no other negative length
 *  16  bytes  key
 *      int32  value length      0 or more
 *      bytes  value
 *      int32  header count      0 or more
 *      per header:  int32 name length, bytes name (UTF-8), int32 value length, bytes value
 * </pre>
 *
 * <p>The CRC covers the base offset too, so a flipped bit anywhere in a stored frame, offset
 * included, fails the check. A producer that computes the CRC (the GMQ client does) computes it
 * over the frame as sent, base offset 0; storage verifies it before appending and seals the frame
 * again after stamping the base offset (and the append time of a frame with producer fields). The
 * producer fields lie in {@code [8,length)}, so the CRC covers them. A producer CRC of 0 means "not computed": storage then
 * computes the CRC only when sealing. {@link BatchFrame} reads and checks these fields; this class
 * only names them.
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

    /** Where the producer fields start; with {@link #ATTR_PRODUCER} only. */
    public static final int PRODUCER_ID_OFFSET = 32;

    public static final int PRODUCER_EPOCH_OFFSET = 40;
    public static final int BASE_SEQUENCE_OFFSET = 44;
    public static final int APPEND_TIME_OFFSET = 48;

    /** Bytes of the producer fields. */
    public static final int PRODUCER_FIELDS_LENGTH = 24;

    /** The header of a frame with producer fields: where its records start. */
    public static final int PRODUCER_HEADER_LENGTH = HEADER_LENGTH + PRODUCER_FIELDS_LENGTH;

    /** Attribute bit 0: the batch was published with QoS 1 (at least once). */
    public static final short ATTR_QOS_AT_LEAST_ONCE = 0x1;

    /**
     * Attribute bit 1: the producer fields (id, epoch, base sequence, append time) follow the fixed
     * header, and storage stores the batch at most once per (producer, epoch, sequence).
     */
    public static final short ATTR_PRODUCER = 0x2;

    /** The attribute bits a frame may set; a frame with any other bit is refused. Other bits are reserved, 0. */
    public static final short ATTR_KNOWN = ATTR_QOS_AT_LEAST_ONCE | ATTR_PRODUCER;

    /** A producer CRC of 0: not computed by the producer; storage verifies nothing and computes it. */
    public static final int CRC_NOT_COMPUTED = 0;

    public static final int RECORD_BODY_LENGTH_OFFSET = 0;
    public static final int RECORD_TIMESTAMP_OFFSET = 4;
    public static final int RECORD_KEY_LENGTH_OFFSET = 12;
    public static final int RECORD_KEY_OFFSET = 16;

    /** Bytes of the record's body length field, which the body length does not count. */
    public static final int RECORD_BODY_LENGTH_FIELD = 4;

    /** Bytes of a length or count field inside a record (key, value, header count, header name and value). */
    public static final int LENGTH_FIELD = 4;

    /** The key length of a record without a key. */
    public static final int NULL_KEY_LENGTH = -1;

    /** Per record: body length + timestamp + key length + value length + header count. */
    public static final int RECORD_OVERHEAD = 4 + 8 + 4 + 4 + 4;

    public static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    /** Where the records of a frame with {@code attributes} start, from the frame's start. */
    public static int recordsOffset(short attributes) {
        return (attributes & ATTR_PRODUCER) != 0 ? PRODUCER_HEADER_LENGTH : HEADER_LENGTH;
    }

    private BatchFormat() {}
}
