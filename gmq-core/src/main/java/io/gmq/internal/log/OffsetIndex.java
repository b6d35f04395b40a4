package io.gmq.internal.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The sparse offset index of one segment: one entry per {@code indexIntervalBytes} of log, so a
 * read of offset N costs a binary search here plus a scan of at most about one interval of frame
 * headers. The entries live in memory (16 bytes per interval, 0.4% of the log at the default 4 KiB)
 * and are appended to the {@code .index} file, which only saves the scan at open.
 *
 * <p>Index file: a plain array of entries, little endian.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |              Relative offset (int32)                          |  0  frame base offset - segment base offset
 *  +---------------------------------------------------------------+
 *  |              Position (int32)                                 |  4  file position of that frame's first byte
 *  +---------------------------------------------------------------+
 *  |                                                               |  8  largest record timestamp of the segment up
 *  +              Max timestamp (int64)                            +     to and including that frame (a running max,
 *  |                                                               |     so entries are sorted by it too)
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <p>Invariants of a valid index: the first entry is (0, 0); relative offsets and positions strictly
 * increase; timestamps never decrease; every position is inside the log file. The entry of a
 * frame is written after the frame and forced with or after it (the active segment's index only
 * every so often: see {@link Segment#forceForAck}), so after a crash an index can only be ahead
 * of its log where recovery truncates it again, or behind, where recovery rebuilds the missing
 * entries by scanning.
 *
 * <p>Threading: one writer (the log writer thread, or recovery); any number of readers. The entry
 * arrays are published through the volatile {@link #entries} before the volatile {@link #count},
 * so a reader that reads {@code count} first always sees arrays holding that many entries.
 */
final class OffsetIndex {
    static final int RELATIVE_OFFSET_OFFSET = 0;
    static final int POSITION_OFFSET = 4;
    static final int MAX_TIMESTAMP_OFFSET = 8;
    static final int ENTRY_LENGTH = 16;
    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private static final int INITIAL_CAPACITY = 64;

    /** The three entry columns, replaced as a whole when they grow. */
    private static final class Entries {
        final int[] relativeOffsets;
        final int[] positions;
        final long[] maxTimestamps;

        Entries(int capacity) {
            relativeOffsets = new int[capacity];
            positions = new int[capacity];
            maxTimestamps = new long[capacity];
        }

        Entries grow(int count) {
            Entries bigger = new Entries(relativeOffsets.length * 2);
            System.arraycopy(relativeOffsets, 0, bigger.relativeOffsets, 0, count);
            System.arraycopy(positions, 0, bigger.positions, 0, count);
            System.arraycopy(maxTimestamps, 0, bigger.maxTimestamps, 0, count);
            return bigger;
        }
    }

    private volatile Entries entries = new Entries(INITIAL_CAPACITY);
    private volatile int count;
    /** Entries already written to the index file; [persisted, count) are pending. Writer-owned. */
    private int persisted;

    private ByteBuffer encodeBuffer = ByteBuffer.allocate(ENTRY_LENGTH * 8).order(ORDER);

    int count() {
        return count;
    }

    int relativeOffset(int i) {
        return entries.relativeOffsets[i];
    }

    int position(int i) {
        return entries.positions[i];
    }

    long maxTimestamp(int i) {
        return entries.maxTimestamps[i];
    }

    /** Position of the last entry, or -1 if none. Writer-side. */
    int lastPosition() {
        int n = count;
        return n == 0 ? -1 : entries.positions[n - 1];
    }

    void add(int relativeOffset, int position, long maxTimestamp) {
        int n = count;
        Entries e = entries;
        if (n == e.positions.length) {
            e = e.grow(n);
            entries = e;
        }
        e.relativeOffsets[n] = relativeOffset;
        e.positions[n] = position;
        e.maxTimestamps[n] = maxTimestamp;
        count = n + 1;
    }

    /**
     * Index of the last entry whose relative offset is <= {@code relativeOffset}, or -1 if none
     * (only when the index is empty: entry 0 is relative offset 0).
     */
    int floorByOffset(int relativeOffset) {
        int n = count;
        Entries e = entries;
        int lo = 0;
        int hi = n - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (e.relativeOffsets[mid] <= relativeOffset) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    /**
     * Index of the last entry whose running max timestamp is < {@code timestamp}: every record up
     * to and including that entry's frame is older, so a search for the first record at or after
     * {@code timestamp} can start at that frame. -1 if none.
     */
    int lastBeforeTimestamp(long timestamp) {
        int n = count;
        Entries e = entries;
        int lo = 0;
        int hi = n - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (e.maxTimestamps[mid] < timestamp) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    /** Drops entries from {@code newCount} on, in memory and in the file if they were written. */
    void truncateTo(int newCount, LogFileIO.LogFile file) throws IOException {
        if (newCount >= count) {
            return;
        }
        count = newCount;
        if (persisted > newCount) {
            persisted = newCount;
            file.truncate((long) newCount * ENTRY_LENGTH);
        }
    }

    /** Appends the entries not yet in the file to it. */
    void writePending(LogFileIO.LogFile file) throws IOException {
        int n = count;
        if (persisted == n) {
            return;
        }
        int bytes = (n - persisted) * ENTRY_LENGTH;
        if (encodeBuffer.capacity() < bytes) {
            encodeBuffer = ByteBuffer.allocate(Math.max(bytes, encodeBuffer.capacity() * 2))
                    .order(ORDER);
        }
        ByteBuffer buf = encodeBuffer.clear();
        Entries e = entries;
        for (int i = persisted; i < n; i++) {
            buf.putInt(e.relativeOffsets[i]).putInt(e.positions[i]).putLong(e.maxTimestamps[i]);
        }
        buf.flip();
        file.write(buf, (long) persisted * ENTRY_LENGTH);
        persisted = n;
    }

    /** Replaces the file's content with the in-memory entries (after recovery changed them). */
    void rewrite(LogFileIO.LogFile file) throws IOException {
        file.truncate(0);
        persisted = 0;
        writePending(file);
    }

    /**
     * Loads the longest valid prefix of an index file for a log of {@code logSize} bytes (see the
     * class invariants): a torn last entry, entries past the end of the log, or garbage end the
     * prefix. Recovery then scans the log from the prefix's last entry to index the rest, so a
     * damaged index costs a scan of its damaged part only.
     */
    static OffsetIndex load(LogFileIO.LogFile file, long logSize) throws IOException {
        long size = file.size();
        int n = (int) Math.min(size / ENTRY_LENGTH, Integer.MAX_VALUE / ENTRY_LENGTH);
        ByteBuffer buf = ByteBuffer.allocate(n * ENTRY_LENGTH).order(ORDER);
        n = file.read(buf, 0) / ENTRY_LENGTH;
        OffsetIndex index = new OffsetIndex();
        int prevRelative = -1;
        int prevPosition = -1;
        long prevTimestamp = Long.MIN_VALUE;
        for (int i = 0; i < n; i++) {
            int base = i * ENTRY_LENGTH;
            int relative = buf.getInt(base + RELATIVE_OFFSET_OFFSET);
            int position = buf.getInt(base + POSITION_OFFSET);
            long timestamp = buf.getLong(base + MAX_TIMESTAMP_OFFSET);
            boolean ok = i == 0
                    ? relative == 0 && position == 0
                    : relative > prevRelative && position > prevPosition && timestamp >= prevTimestamp;
            if (!ok || position >= logSize) {
                break;
            }
            index.add(relative, position, timestamp);
            prevRelative = relative;
            prevPosition = position;
            prevTimestamp = timestamp;
        }
        index.persisted = index.count;
        return index;
    }

    /** True if the file holds exactly the in-memory entries (nothing pending, nothing extra). */
    boolean matchesFile(LogFileIO.LogFile file) throws IOException {
        return persisted == count && file.size() == (long) count * ENTRY_LENGTH;
    }

    @Override
    public String toString() {
        int n = count;
        Entries e = entries;
        return "OffsetIndex" + Arrays.toString(Arrays.copyOf(e.relativeOffsets, n));
    }
}
