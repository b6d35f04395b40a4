package io.gmq.internal.log;

import io.gmq.storage.BatchFormat;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Reads one stored frame into a reusable buffer and says whether it is intact: complete within
 * the bytes that may be read, a sane length and record count, the known magic, the expected base
 * offset, and a matching CRC32C. Not thread-safe: one per scanning thread or per read.
 */
final class FrameCheck {
    /** {@link #check} result: fewer bytes left than the frame needs (a torn write). */
    static final int TORN = -1;
    /** {@link #check} result: the frame is complete but wrong (CRC, length, magic, offsets). */
    static final int CORRUPT = -2;

    /** Positional reads of one file (a {@link LogFileIO.LogFile} or a read-only channel). */
    @FunctionalInterface
    interface Source {
        /** Reads into {@code dst} from {@code position} until it is full or the file ends; returns the bytes read. */
        int read(ByteBuffer dst, long position) throws IOException;
    }

    private ByteBuffer scratch = ByteBuffer.allocate(64 * 1024).order(BatchFormat.ORDER);

    /**
     * Checks the frame at {@code position}, reading nothing at or past {@code end}. Returns its
     * length (the frame is then in {@link #frame()} at 0), or {@link #TORN} / {@link #CORRUPT}.
     */
    int check(Source file, long position, long end, long expectedBaseOffset) throws IOException {
        if (end - position < BatchFormat.HEADER_LENGTH) {
            return TORN;
        }
        ByteBuffer header = scratch.clear().limit(BatchFormat.HEADER_LENGTH);
        if (file.read(header, position) < BatchFormat.HEADER_LENGTH) {
            return TORN;
        }
        int length = BatchFormat.frameLength(scratch, 0);
        if (length < BatchFormat.HEADER_LENGTH) {
            return CORRUPT;
        }
        if (length > end - position) {
            return TORN;
        }
        if (BatchFormat.baseOffset(scratch, 0) != expectedBaseOffset
                || BatchFormat.recordCount(scratch, 0) <= 0
                || scratch.getShort(BatchFormat.MAGIC_OFFSET) != BatchFormat.MAGIC) {
            return CORRUPT;
        }
        if (scratch.capacity() < length) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(length, scratch.capacity() * 2))
                    .order(BatchFormat.ORDER);
            bigger.put(scratch.flip());
            scratch = bigger;
        }
        ByteBuffer rest = scratch.limit(length).position(BatchFormat.HEADER_LENGTH);
        if (file.read(rest, position + BatchFormat.HEADER_LENGTH) < length - BatchFormat.HEADER_LENGTH) {
            return TORN;
        }
        return BatchFormat.crcMatches(scratch, 0, length) ? length : CORRUPT;
    }

    /** The frame of the last successful {@link #check}, at index 0 of the buffer. */
    ByteBuffer frame() {
        return scratch;
    }
}
