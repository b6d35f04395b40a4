package io.gmq.internal.log;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The only way the log touches its files. Every segment and index operation (open, positional
 * gather write, positional read, force, truncate, size, close, delete) goes through here, so tests
 * can swap in a layer that fails a chosen write (disk full) or forgets everything not forced when
 * the test "cuts the power". {@link #DEFAULT} is plain {@link java.nio.channels.FileChannel}.
 */
public interface LogFileIO {
    /** FileChannel-backed files; what production uses. */
    LogFileIO DEFAULT = new FileChannelLogFileIO();

    /** Opens {@code path} for reading and writing, creating an empty file if absent. */
    LogFile open(Path path) throws IOException;

    /** Deletes {@code path} if it exists (the file must be closed). */
    void delete(Path path) throws IOException;

    /** Makes creations and deletions of directory entries under {@code dir} durable. */
    void syncDirectory(Path dir) throws IOException;

    /**
     * One open file. Writes come from one thread at a time (the log writer, or recovery before the
     * log is published); reads and {@link #size()} may run concurrently from any thread.
     */
    interface LogFile extends Closeable {
        /** Writes all remaining bytes of {@code srcs[offset..offset+length)} at {@code position}, in order. */
        void write(ByteBuffer[] srcs, int offset, int length, long position) throws IOException;

        /** Writes all remaining bytes of {@code src} at {@code position}. */
        void write(ByteBuffer src, long position) throws IOException;

        /**
         * Reads into {@code dst} from {@code position} until {@code dst} is full or the file ends;
         * returns the bytes read.
         */
        int read(ByteBuffer dst, long position) throws IOException;

        /** Forces written data (not necessarily metadata other than the size) to the device. */
        void force() throws IOException;

        /** Cuts the file to {@code size} bytes (no-op if already shorter). */
        void truncate(long size) throws IOException;

        long size() throws IOException;

        @Override
        void close() throws IOException;
    }
}
