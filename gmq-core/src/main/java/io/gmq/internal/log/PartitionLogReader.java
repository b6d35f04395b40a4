package io.gmq.internal.log;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.TopicPartition;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchFrame;
import io.gmq.storage.BatchReader;
import io.gmq.storage.FetchResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;

/**
 * The read side of one {@link PartitionLog}: finds the frame that holds an offset (segment by
 * base offset, then the sparse index, then a short scan of frame headers), reads whole frames up
 * to the high watermark, checks each one's CRC, and turns damage into DATA_LOSS or a resync to the
 * next intact frame. Also looks offsets up by timestamp.
 *
 * <p>Threads. Any thread, concurrently with each other and with the writer; no lock and no state
 * of its own. A read takes the log's volatile high watermark, log start offset and segment array
 * once, bounds itself by the segment's volatile written position, and reads with positional
 * reads while it pins the segment's files, so it never blocks the writer. Every frame a read
 * returns is complete, below the high watermark, and has just passed its CRC check. The one
 * closed-file error a read can meet is the segment being deleted by retention or the log
 * closing; it then looks the log up again.
 */
final class PartitionLogReader {
    private final PartitionLog log;
    private final TopicPartition tp;

    PartitionLogReader(PartitionLog log) {
        this.log = log;
        this.tp = log.topicPartition();
    }

    /**
     * Whole frames from the one containing {@code offset}, up to about {@code maxBytes} (at least
     * one whole frame), never past the high watermark and never across a segment end. Below the
     * log start: an empty result with {@code outOfRange}. At the high watermark: empty. Past it:
     * INVALID_ARGUMENT. A frame that fails its CRC or does not continue the offsets: DATA_LOSS.
     */
    public FetchResult read(long offset, int maxBytes) {
        log.ensureOpen();
        for (int attempt = 0; ; attempt++) {
            try {
                return readOnce(offset, maxBytes);
            } catch (ClosedChannelException e) {
                // Retention deleted the segment under us (or the log closed): look again.
                log.ensureOpen();
                if (attempt >= 3) {
                    throw new GmqException(ErrorCode.UNAVAILABLE, tp + ": segment closed during read; retry", e);
                }
            } catch (IOException e) {
                GmqException classified = log.classify(e, "read offset " + offset + " from");
                throw classified.code() == ErrorCode.INTERNAL
                        ? new GmqException(ErrorCode.INTERNAL, tp + ": read at offset " + offset + " failed: " + e, e)
                        : classified;
            }
        }
    }

    private FetchResult readOnce(long offset, int maxBytes) throws IOException {
        long hw = log.highWatermark;
        long start = log.logStartOffset;
        if (offset < start) {
            return new FetchResult(FetchResult.EMPTY, hw, start, true);
        }
        if (offset > hw) {
            throw GmqException.invalidArgument(
                    tp + ": offset " + offset + " is past the end of the log (high watermark " + hw + ")");
        }
        if (offset == hw) {
            return new FetchResult(FetchResult.EMPTY, hw, start, false);
        }
        Segment seg = segmentFor(log.segments, offset);
        if (seg == null) {
            long now = log.logStartOffset;
            return new FetchResult(FetchResult.EMPTY, hw, now, true);
        }
        SegmentFiles files = seg.pin();
        try {
            return readPinned(seg, files, offset, maxBytes, hw);
        } finally {
            files.unpin();
        }
    }

    private FetchResult readPinned(Segment seg, SegmentFiles files, long offset, int maxBytes, long hw)
            throws IOException {
        int limit = seg.writtenPosition;
        // 1. index: the last entry at or before the offset
        int entry = seg.index.floorByOffset((int) (offset - seg.baseOffset));
        long position = entry < 0 ? 0 : seg.index.position(entry);
        long expected = entry < 0 ? seg.baseOffset : seg.baseOffset + seg.index.relativeOffset(entry);
        // A frame boundary known to be right (an index entry, or a resync point): damage is looked
        // for from here, since the header scan follows length fields it has not checked.
        long trustedPosition = position;
        long trustedOffset = expected;
        ByteBuffer header = ByteBuffer.allocate(BatchFormat.HEADER_LENGTH).order(BatchFormat.ORDER);
        BatchFrame frame = PartitionLog.CALLER_CURSOR.get();
        while (true) {
            // 2. short scan of frame headers to the frame that contains the offset
            int firstLength;
            while (true) {
                header.clear();
                boolean headerRead = limit - position >= BatchFormat.HEADER_LENGTH;
                if (headerRead) {
                    files.log.read(header, position);
                }
                frame.wrap(header, 0);
                if (!headerRead
                        || frame.frameLength() < BatchFormat.HEADER_LENGTH
                        || frame.frameLength() > limit - position
                        || frame.baseOffset() != expected
                        || frame.recordCount() <= 0) {
                    FrameResync.Point next = skipDamage(seg, files, trustedPosition, trustedOffset, offset, limit, hw);
                    position = next.position();
                    expected = next.baseOffset();
                    trustedPosition = position;
                    trustedOffset = expected;
                    continue;
                }
                if (frame.nextOffset() > offset) {
                    firstLength = frame.frameLength();
                    break;
                }
                position += frame.frameLength();
                expected = frame.nextOffset();
            }
            // 3. one read of whole frames, each CRC-checked, stopping at the high watermark and
            // before the first damaged frame (a later read reports that one)
            int want = (int) Math.min(limit - position, Math.max(firstLength, (long) maxBytes));
            ByteBuffer buf = ByteBuffer.allocate(want).order(BatchFormat.ORDER);
            int got = files.log.read(buf, position);
            long next = expected;
            for (frame.wrap(buf, 0); frame.hasHeader(got); frame.next()) {
                if (frame.baseOffset() >= hw) {
                    break;
                }
                if (!frame.fitsIn(got) || frame.baseOffset() != next || !frame.crcMatches()) {
                    break;
                }
                next = frame.nextOffset();
            }
            int p = frame.offset();
            if (p > 0) {
                buf.limit(p).position(0);
                return new FetchResult(buf, hw, log.logStartOffset, false);
            }
            FrameResync.Point resync = skipDamage(seg, files, trustedPosition, trustedOffset, offset, limit, hw);
            position = resync.position();
            expected = resync.baseOffset();
            trustedPosition = position;
            trustedOffset = expected;
        }
    }

    /**
     * A read met damage after the frame boundary ({@code trustedPosition}, {@code trustedOffset}):
     * finds the first frame from there that fails its checks, then the next intact frame after it,
     * and returns that if {@code offset} lies at or after it, else throws DATA_LOSS naming the
     * damaged offsets. Never returns a record of the damaged range: reading resumes only at a
     * frame that passed {@link FrameResync}'s checks.
     */
    private FrameResync.Point skipDamage(
            Segment seg, SegmentFiles files, long trustedPosition, long trustedOffset, long offset, int limit, long hw)
            throws IOException {
        FrameCheck check = new FrameCheck();
        long position = trustedPosition;
        long expected = trustedOffset;
        int length;
        while ((length = check.check(files.log::read, position, limit, expected)) > 0) {
            expected += check.frame().recordCount();
            position += length;
        }
        String what =
                length == FrameCheck.TORN ? "the frame is cut short" : "the frame fails its CRC32C or header check";
        Segment[] segs = log.segments;
        long endOffset = FrameResync.UNKNOWN;
        for (int i = 0; i < segs.length - 1; i++) {
            if (segs[i] == seg) {
                endOffset = segs[i + 1].baseOffset;
            }
        }
        FrameResync.Point next = new FrameResync()
                .next(files.log::read, seg.baseOffset, seg.index, position, expected, limit, endOffset);
        if (offset < expected) {
            // Raced with nothing: the frames up to the offset are intact after all (cannot happen
            // for a sealed segment); report it at the offset rather than loop.
            throw dataLoss(seg, position, offset, -1, hw, "frames re-read differently");
        }
        if (next.position() < limit && offset >= next.baseOffset()) {
            return next;
        }
        throw dataLoss(seg, position, expected, next.baseOffset(), hw, what);
    }

    /**
     * DATA_LOSS for damaged offsets {@code [from, to)} ({@code to} < 0: up to the end of the
     * written log, so skipping means moving to the high watermark).
     */
    private GmqException dataLoss(Segment seg, long position, long from, long to, long hw, String what) {
        long resume = to < 0 ? hw : to;
        String range =
                to < 0 ? "offsets from " + from + " to the end of the log" : "offsets " + from + " to " + (to - 1);
        return new GmqException(
                ErrorCode.DATA_LOSS,
                tp + ": " + range + " are damaged on disk and cannot be served (" + seg.logPath.getFileName()
                        + ", position " + position + ": " + what + "). Records after them are still readable. To"
                        + " skip the damaged records, stop the group's consumers and run: java -jar gmq.jar groups"
                        + " reset --group <group> --topic " + tp.topic() + " --partition " + tp.partition()
                        + " --to-offset " + resume
                        + " --execute (java -jar gmq.jar verify --data-dir <dir> lists all damage;"
                        + " docs/OPERATIONS.md, \"A damaged segment\")");
    }

    private static Segment segmentFor(Segment[] segs, long offset) {
        int lo = 0;
        int hi = segs.length - 1;
        Segment found = null;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (segs[mid].baseOffset <= offset) {
                found = segs[mid];
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    /**
     * The first offset whose record timestamp is at or after {@code epochMillis}, or the high
     * watermark if there is none. Uses each segment's newest timestamp to pick the segment and the
     * index's running max timestamps to skip to the right place in it.
     */
    public long offsetForTimestamp(long epochMillis) {
        log.ensureOpen();
        long hw = log.highWatermark;
        for (Segment seg : log.segments) {
            if (seg.maxTimestamp < epochMillis) {
                continue;
            }
            int entry = seg.index.lastBeforeTimestamp(epochMillis);
            long offset = entry < 0 ? seg.baseOffset : seg.baseOffset + seg.index.relativeOffset(entry);
            BatchReader reader = new BatchReader();
            while (offset < hw) {
                FetchResult r = read(offset, 64 * 1024);
                if (r.outOfRange()) {
                    offset = r.logStartOffset();
                    continue;
                }
                if (r.isEmpty()) {
                    break;
                }
                reader.wrap(r.records());
                long last = offset;
                while (reader.next()) {
                    if (reader.offset() >= offset && reader.timestamp() >= epochMillis) {
                        return reader.offset();
                    }
                    last = reader.offset();
                }
                offset = last + 1;
            }
            return hw;
        }
        return hw;
    }
}
