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
 * again after stamping the base offset. A producer CRC of 0 means "not computed": storage then
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

    /** Attribute bit 0: the batch was published with QoS 1 (at least once). Other bits are reserved, 0. */
    public static final short ATTR_QOS_AT_LEAST_ONCE = 0x1;

    /** The attribute bits a frame may set; a frame with any other bit is refused. */
    public static final short ATTR_KNOWN = ATTR_QOS_AT_LEAST_ONCE;

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

    private BatchFormat() {}
}
