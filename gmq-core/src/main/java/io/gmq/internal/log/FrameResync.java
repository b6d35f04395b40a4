package io.gmq.internal.log;

import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchFrame;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Finds the first intact frame after a damaged one in a segment, so that the records after a
 * flipped bit stay readable even when the flip hit the damaged frame's length field (which is what
 * normally leads from one frame to the next).
 *
 * <p>How. Let the damaged frame start at {@code damagedAt} and should have held offset {@code E}.
 * An <em>anchor</em> is a place known to be a frame boundary: an index entry after
 * {@code damagedAt} whose frame checks out with the entry's own base offset, or the end of the
 * segment (whose next offset is known for a sealed segment: the next segment's base offset). The
 * bytes between the damaged frame and the first anchor are searched position by position for a
 * frame header with a plausible length, the magic, a positive record count and a base offset in
 * {@code (E, anchor offset]}; such a candidate is accepted only if its whole frame passes CRC32C
 * <em>and</em> the chain of frames that follows it, each intact and continuing the offsets, lands
 * exactly on the anchor's position with exactly the anchor's offset. If no candidate qualifies the
 * anchor itself is the resync point (at most one index interval, 4 KiB by default, is given up).
 *
 * <p>Why a false resync cannot happen by accident. A candidate must pass a 32-bit CRC over its
 * whole frame, with a base offset inside a window of a few offsets, and then every frame up to
 * the anchor must pass its own CRC and offset checks and end at a byte position the writer
 * recorded independently (in the index, or as the file's end). Random bytes (the payload of the
 * damaged frame, or a flipped length pointing into the middle of one) pass the first CRC with
 * probability 2^-32 per position, and the chain condition multiplies that by 2^-32 again for every
 * further frame and requires an exact position and offset match: far below the rate of undetected
 * disk errors. The one non-random source is a producer that stores a copy of a sealed GMQ frame
 * inside a record value: it would also need to carry the very base offset the log later assigns,
 * sit where the flip leads, and end exactly at the next real frame; a resync to it would in any
 * case only ever serve bytes that passed a CRC with continuing offsets.
 */
final class FrameResync {
    /** The offset after a segment's last frame is not known (the active segment). */
    static final long UNKNOWN = -1;

    /**
     * Where reading can continue: the intact frame at {@code position} starting at
     * {@code baseOffset}. When nothing intact follows the damage, {@code position} is the segment
     * end and {@code baseOffset} the offset after the segment, or {@link #UNKNOWN}.
     */
    record Point(long position, long baseOffset) {}

    private static final int WINDOW = 64 * 1024;

    private final FrameCheck check = new FrameCheck();
    private final FrameCheck chainCheck = new FrameCheck();
    /** Reads candidate headers in the search window, position by position. */
    private final BatchFrame candidate = new BatchFrame();

    /**
     * The first intact frame after the damaged frame at {@code damagedAt} (which should have
     * started at {@code expectedOffset}), searching up to {@code end}.
     *
     * @param index the segment's index (entries are tried as anchors; entries at or before
     *     {@code damagedAt} are ignored)
     * @param endOffset the offset following the last frame that ends at {@code end}, or
     *     {@link #UNKNOWN}
     */
    Point next(
            FrameCheck.Source file,
            long segmentBase,
            OffsetIndex index,
            long damagedAt,
            long expectedOffset,
            long end,
            long endOffset)
            throws IOException {
        long from = damagedAt + 1;
        int n = index.count();
        for (int i = 0; i < n; i++) {
            long anchorPosition = index.position(i);
            long anchorOffset = segmentBase + index.relativeOffset(i);
            if (anchorPosition <= damagedAt || anchorPosition >= end || anchorOffset <= expectedOffset) {
                continue;
            }
            if (check.check(file, anchorPosition, end, anchorOffset) < 0) {
                continue; // the index entry is damaged, or points into damage: not an anchor
            }
            Point found = search(file, from, anchorPosition, expectedOffset, anchorOffset, end);
            return found != null ? found : new Point(anchorPosition, anchorOffset);
        }
        Point found = search(file, from, end, expectedOffset, endOffset, end);
        return found != null ? found : new Point(end, endOffset);
    }

    /**
     * The first position in {@code [from, anchorPosition)} holding an intact frame whose chain
     * reaches the anchor exactly, or null.
     */
    private Point search(
            FrameCheck.Source file, long from, long anchorPosition, long expectedOffset, long anchorOffset, long end)
            throws IOException {
        ByteBuffer window =
                ByteBuffer.allocate(WINDOW + BatchFormat.HEADER_LENGTH).order(BatchFormat.ORDER);
        for (long start = from; start + BatchFormat.HEADER_LENGTH <= anchorPosition; start += WINDOW) {
            window.clear();
            int got = file.read(window, start);
            for (int i = 0; i < WINDOW && i + BatchFormat.HEADER_LENGTH <= got; i++) {
                long position = start + i;
                if (position >= anchorPosition) {
                    return null;
                }
                candidate.wrap(window, i);
                long base = candidate.baseOffset();
                int length = candidate.frameLength();
                if (base <= expectedOffset
                        || (anchorOffset != UNKNOWN && base >= anchorOffset)
                        || length < BatchFormat.HEADER_LENGTH
                        || length > anchorPosition - position
                        || candidate.recordCount() <= 0
                        || candidate.magic() != BatchFormat.MAGIC) {
                    continue;
                }
                if (check.check(file, position, end, base) > 0
                        && chainReaches(file, position, base, anchorPosition, anchorOffset, end)) {
                    return new Point(position, base);
                }
            }
        }
        return null;
    }

    /** True if intact frames, offsets continuing, lead from the frame at {@code position} exactly to the anchor. */
    private boolean chainReaches(
            FrameCheck.Source file, long position, long base, long anchorPosition, long anchorOffset, long end)
            throws IOException {
        long p = position;
        long expected = base;
        while (p < anchorPosition) {
            int length = chainCheck.check(file, p, end, expected);
            if (length < 0) {
                return false;
            }
            expected += chainCheck.frame().recordCount();
            p += length;
        }
        return p == anchorPosition && (anchorOffset == UNKNOWN || expected == anchorOffset);
    }
}
