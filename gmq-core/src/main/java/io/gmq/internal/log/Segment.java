package io.gmq.internal.log;

import java.io.IOException;
import java.nio.file.Path;

/**
 * One segment of a partition log: a {@code .log} file of sealed batch frames, back to back from
 * position 0, and its sparse {@link OffsetIndex} in a {@code .index} file. Both files are named by
 * the segment's base offset (the offset of its first record) as 20 zero-padded decimal digits, so
 * a directory listing sorts in offset order.
 *
 * <p>The segment owns both file handles: {@link #close()} closes them, {@link #delete(LogFileIO)}
 * closes and removes them. Only the partition's active (last) segment is ever written, and only by
 * the log writer thread; the fields marked writer-owned are touched by that thread alone (or by
 * recovery before the log is published).
 */
final class Segment {
    static final String LOG_SUFFIX = ".log";
    static final String INDEX_SUFFIX = ".index";
    static final int FILE_NAME_DIGITS = 20;

    final long baseOffset;
    final Path logPath;
    final Path indexPath;
    final LogFileIO.LogFile log;
    final LogFileIO.LogFile indexFile;
    final OffsetIndex index;

    /** Next write position. Writer-owned. */
    int writePosition;
    /**
     * End of the bytes fully written to the file (never includes a half-written frame). Readers
     * bound their reads by it; which of those frames they may serve is decided by the high
     * watermark.
     */
    volatile int writtenPosition;
    /** Largest record timestamp in the segment, -1 if empty; retention by age reads it. */
    volatile long maxTimestamp = -1;
    /** Wall time of the first append (for a recovered segment, its first frame's timestamp); -1 if empty. */
    long firstAppendMillis = -1;

    Segment(
            long baseOffset,
            Path logPath,
            Path indexPath,
            LogFileIO.LogFile log,
            LogFileIO.LogFile indexFile,
            OffsetIndex index) {
        this.baseOffset = baseOffset;
        this.logPath = logPath;
        this.indexPath = indexPath;
        this.log = log;
        this.indexFile = indexFile;
        this.index = index;
    }

    static String fileName(long baseOffset, String suffix) {
        StringBuilder sb = new StringBuilder(FILE_NAME_DIGITS + suffix.length());
        String digits = Long.toString(baseOffset);
        for (int i = digits.length(); i < FILE_NAME_DIGITS; i++) {
            sb.append('0');
        }
        return sb.append(digits).append(suffix).toString();
    }

    /** Parses the base offset of a {@code .log} file name, or -1 if it is not one. */
    static long parseBaseOffset(String fileName) {
        if (!fileName.endsWith(LOG_SUFFIX) || fileName.length() != FILE_NAME_DIGITS + LOG_SUFFIX.length()) {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < FILE_NAME_DIGITS; i++) {
            char c = fileName.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
            if (value < 0) {
                return -1;
            }
        }
        return value;
    }

    /** Creates the empty files of a new segment (the caller syncs the directory). */
    static Segment create(Path dir, long baseOffset, LogFileIO io) throws IOException {
        Path logPath = dir.resolve(fileName(baseOffset, LOG_SUFFIX));
        Path indexPath = dir.resolve(fileName(baseOffset, INDEX_SUFFIX));
        LogFileIO.LogFile log = io.open(logPath);
        LogFileIO.LogFile indexFile;
        try {
            indexFile = io.open(indexPath);
        } catch (IOException e) {
            closeQuietly(log, e);
            throw e;
        }
        return new Segment(baseOffset, logPath, indexPath, log, indexFile, new OffsetIndex());
    }

    /**
     * Adds an index entry for the frame at {@code position} if one interval of bytes has passed
     * since the last entry (the first frame always gets one). Deterministic in the positions, so
     * rebuilding by a scan yields the same entries.
     */
    void maybeIndex(long frameBaseOffset, int position, long runningMaxTimestamp, int indexIntervalBytes) {
        int last = index.lastPosition();
        if (last < 0 || position - last >= indexIntervalBytes) {
            index.add((int) (frameBaseOffset - baseOffset), position, runningMaxTimestamp);
        }
    }

    /** Forces the log, then the index: an index entry is never durable before its frame. */
    void force() throws IOException {
        log.force();
        indexFile.force();
    }

    void close() throws IOException {
        try {
            log.close();
        } finally {
            indexFile.close();
        }
    }

    void delete(LogFileIO io) throws IOException {
        close();
        io.delete(logPath);
        io.delete(indexPath);
    }

    private static void closeQuietly(LogFileIO.LogFile file, Exception cause) {
        try {
            file.close();
        } catch (IOException suppressed) {
            cause.addSuppressed(suppressed);
        }
    }

    @Override
    public String toString() {
        return logPath.toString();
    }
}
