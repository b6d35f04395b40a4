package io.gmq.internal.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Which oldest segments retention deletes; no files: the choice is a function of the segments' numbers. */
class SegmentRetentionTest {
    private static final long NOW = 10_000_000L;
    private static final long HOUR = 3_600_000L;
    private static final long OFF = -1;

    /** A segment of {@code bytes} bytes starting at {@code baseOffset}, newest record at {@code maxTimestamp}. */
    private static Segment segment(long baseOffset, int bytes, long maxTimestamp) {
        Segment s = new Segment(
                baseOffset, Path.of(baseOffset + ".log"), Path.of(baseOffset + ".index"), new OffsetIndex());
        s.writtenPosition = bytes;
        s.maxTimestamp = maxTimestamp;
        return s;
    }

    @Test
    void expiredOldestSegmentsGoUpToTheFirstThatIsNot() {
        Segment[] segs = {
            segment(0, 100, NOW - 3 * HOUR),
            segment(10, 100, NOW - 2 * HOUR),
            segment(20, 100, NOW - 10),
            segment(30, 100, NOW - 5 * HOUR),
            segment(40, 100, NOW)
        };
        // The fourth is expired too, but deletion stops at the first segment that is kept.
        assertEquals(2, SegmentRetention.segmentsToDrop(segs, 50, NOW, HOUR, OFF));
    }

    @Test
    void theActiveSegmentIsNeverDeletedHoweverOld() {
        Segment[] segs = {segment(0, 100, 0), segment(10, 100, 0)};
        assertEquals(1, SegmentRetention.segmentsToDrop(segs, 20, NOW, HOUR, OFF));
        assertEquals(0, SegmentRetention.segmentsToDrop(new Segment[] {segment(0, 100, 0)}, 10, NOW, HOUR, OFF));
    }

    @Test
    void aSegmentWithRecordsAtOrPastTheHighWatermarkIsKept() {
        Segment[] segs = {segment(0, 100, 0), segment(10, 100, 0), segment(20, 100, 0)};
        // Segment 10..19 ends past the high watermark 15: only the first segment is wholly committed.
        assertEquals(1, SegmentRetention.segmentsToDrop(segs, 15, NOW, HOUR, OFF));
        assertEquals(2, SegmentRetention.segmentsToDrop(segs, 20, NOW, HOUR, OFF));
    }

    @Test
    void sizeRetentionDeletesOldestUntilThePartitionFits() {
        Segment[] segs = {segment(0, 1000, NOW), segment(10, 1000, NOW), segment(20, 1000, NOW), segment(30, 500, NOW)};
        assertEquals(2, SegmentRetention.segmentsToDrop(segs, 40, NOW, OFF, 1500));
        assertEquals(0, SegmentRetention.segmentsToDrop(segs, 40, NOW, OFF, 3500));
    }

    @Test
    void withBothLimitsOffNothingIsDeleted() {
        Segment[] segs = {segment(0, 1000, 0), segment(10, 1000, 0)};
        assertEquals(0, SegmentRetention.segmentsToDrop(segs, 20, NOW, OFF, 0));
    }
}
