package io.gmq.internal.log;

import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchFrame;
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
    private final BatchFrame frame = new BatchFrame();

    /**
     * Checks the frame at {@code position}, reading nothing at or past {@code end}. Returns its
     * length (the frame is then in {@link #frame()}), or {@link #TORN} / {@link #CORRUPT}.
     */
    int check(Source file, long position, long end, long expectedBaseOffset) throws IOException {
        if (end - position < BatchFormat.HEADER_LENGTH) {
            return TORN;
        }
        ByteBuffer header = scratch.clear().limit(BatchFormat.HEADER_LENGTH);
        if (file.read(header, position) < BatchFormat.HEADER_LENGTH) {
            return TORN;
        }
        frame.wrap(scratch, 0);
        int length = frame.frameLength();
        if (length < BatchFormat.HEADER_LENGTH) {
            return CORRUPT;
        }
        if (length > end - position) {
            return TORN;
        }
        if (frame.baseOffset() != expectedBaseOffset
                || frame.recordCount() <= 0
                || frame.magic() != BatchFormat.MAGIC) {
            return CORRUPT;
        }
        if (scratch.capacity() < length) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(length, scratch.capacity() * 2))
                    .order(BatchFormat.ORDER);
            bigger.put(scratch.flip());
            scratch = bigger;
            frame.wrap(scratch, 0);
        }
        ByteBuffer rest = scratch.limit(length).position(BatchFormat.HEADER_LENGTH);
        if (file.read(rest, position + BatchFormat.HEADER_LENGTH) < length - BatchFormat.HEADER_LENGTH) {
            return TORN;
        }
        return frame.crcMatches() ? length : CORRUPT;
    }

    /** The bytes of the last successful {@link #check}'s frame ({@code length} as it returned), valid until the next check. */
    ByteBuffer frameBytes(int length) {
        return scratch.duplicate().position(0).limit(length);
    }

    /** The frame of the last successful {@link #check}: its header and bytes. */
    BatchFrame frame() {
        return frame;
    }
}
