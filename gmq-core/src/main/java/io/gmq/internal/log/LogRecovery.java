package io.gmq.internal.log;

import io.gmq.TopicPartition;
import io.gmq.storage.BatchFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings one partition directory back to a consistent log at open, before anything reads it.
 *
 * <p>Crash-safety argument. The writer only ever appends to the last segment, writes a frame
 * before its index entry and forces the log before the index. So after any crash:
 * <ul>
 *   <li>sealed (non-last) segments were forced when they rolled and are complete; only their
 *       index may be missing or damaged (it is then rebuilt by a full scan that checks every CRC);
 *   <li>the last segment is a valid prefix followed by at most a torn or unforced tail, and its
 *       index may point past that prefix.
 * </ul>
 * Recovery of the last segment therefore validates the index (entries increasing, inside the
 * file), picks the last entry whose frame still checks out (CRC, expected base offset) and scans
 * forward from there, truncating the log and the index at the first frame that is torn, fails its
 * CRC, or does not continue the offsets. Everything before that entry was already covered by an
 * earlier successful force, so the scan is short (about one index interval plus the unforced tail),
 * never the whole segment.
 *
 * <p>Corruption in the middle of a sealed segment is not repaired here: it is found by the CRC
 * check on read, which fails that read with DATA_LOSS rather than serve a different history.
 */
final class LogRecovery {
    private static final Logger LOG = LoggerFactory.getLogger(LogRecovery.class);

    /** {@link #checkFrame} result: fewer bytes left than the frame needs (a torn write). */
    static final int TORN = -1;
    /** {@link #checkFrame} result: the frame is complete but wrong (CRC, length, offsets). */
    static final int CORRUPT = -2;

    /** The recovered segments, oldest first (never empty), and the next offset to assign. */
    record Recovered(List<Segment> segments, long nextOffset) {}

    private final TopicPartition tp;
    private final Path dir;
    private final LogFileIO io;
    private final int indexIntervalBytes;
    private ByteBuffer scratch = ByteBuffer.allocate(64 * 1024).order(BatchFormat.ORDER);

    LogRecovery(TopicPartition tp, Path dir, LogFileIO io, int indexIntervalBytes) {
        this.tp = tp;
        this.dir = dir;
        this.io = io;
        this.indexIntervalBytes = indexIntervalBytes;
    }

    Recovered recover() throws IOException {
        Files.createDirectories(dir);
        List<Long> bases = listSegmentBases();
        List<Segment> segments = new ArrayList<>(Math.max(1, bases.size()));
        try {
            if (bases.isEmpty()) {
                segments.add(Segment.create(dir, 0, io));
                io.syncDirectory(dir);
                return new Recovered(segments, 0);
            }
            for (int i = 0; i < bases.size() - 1; i++) {
                segments.add(openSealed(bases.get(i), bases.get(i + 1)));
            }
            Segment last = openSegmentFiles(bases.get(bases.size() - 1));
            segments.add(last);
            long nextOffset = recoverLast(last);
            return new Recovered(segments, nextOffset);
        } catch (IOException | RuntimeException e) {
            for (Segment s : segments) {
                try {
                    s.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    private List<Long> listSegmentBases() throws IOException {
        List<Long> bases = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                long base = Segment.parseBaseOffset(f.getFileName().toString());
                if (base >= 0) {
                    bases.add(base);
                }
            }
        }
        Collections.sort(bases);
        return bases;
    }

    private Segment openSegmentFiles(long base) throws IOException {
        Path logPath = dir.resolve(Segment.fileName(base, Segment.LOG_SUFFIX));
        Path indexPath = dir.resolve(Segment.fileName(base, Segment.INDEX_SUFFIX));
        LogFileIO.LogFile log = io.open(logPath);
        LogFileIO.LogFile indexFile;
        try {
            indexFile = io.open(indexPath);
        } catch (IOException e) {
            log.close();
            throw e;
        }
        long size = log.size();
        OffsetIndex index = OffsetIndex.load(indexFile, size);
        Segment segment = new Segment(base, logPath, indexPath, log, indexFile, index);
        if (size > 0 && !index.matchesFile(indexFile)) {
            LOG.warn(
                    "{}: index {} is missing or damaged after entry {}; re-indexing from there",
                    tp,
                    indexPath.getFileName(),
                    index.count());
        }
        return segment;
    }

    /**
     * A sealed segment: complete by construction; rebuild its index if needed, find its newest
     * timestamp. If the scan meets a damaged frame, indexing continues at the next intact frame
     * ({@link FrameResync}), so reads past the damage stay one index interval away from an entry.
     */
    private Segment openSealed(long base, long endOffset) throws IOException {
        Segment s = openSegmentFiles(base);
        long size = s.log.size();
        if (size > Integer.MAX_VALUE) {
            throw new IOException(s.logPath + " is larger than 2 GiB; it was not written by GMQ");
        }
        int startEntry = s.index.count() - 1;
        if (startEntry >= 0
                && checkFrame(s.log, s.index.position(startEntry), size, base + s.index.relativeOffset(startEntry))
                        < 0) {
            LOG.warn(
                    "{}: last entry of index {} does not point at a valid frame; rebuilding it",
                    tp,
                    s.indexPath.getFileName());
            s.index.truncateTo(0, s.indexFile);
            startEntry = -1;
        }
        long[] next = new long[1];
        long end = scanForward(s, startEntry, size, next);
        while (end < size) {
            FrameResync.Point resume =
                    new FrameResync().next(s.log::read, base, s.index, end, next[0], size, endOffset);
            LOG.error(
                    "{}: sealed segment {} is damaged at positions {}..{} of {}: offsets {} to {} cannot be read"
                            + " (reads fail with DATA_LOSS; `java -jar gmq.jar verify` lists all damage)",
                    tp,
                    s.logPath.getFileName(),
                    end,
                    resume.position(),
                    size,
                    next[0],
                    resume.baseOffset() - 1);
            if (resume.position() >= size) {
                break;
            }
            end = scanFrom(s, resume.position(), resume.baseOffset(), s.maxTimestamp, size, next);
        }
        if (!s.index.matchesFile(s.indexFile)) {
            s.index.rewrite(s.indexFile);
            s.indexFile.force();
        }
        s.writePosition = (int) size;
        s.writtenPosition = (int) size;
        return s;
    }

    /** Truncates the last segment after its last valid frame; returns the next offset. */
    private long recoverLast(Segment s) throws IOException {
        long size = s.log.size();
        if (size > Integer.MAX_VALUE) {
            throw new IOException(s.logPath + " is larger than 2 GiB; it was not written by GMQ");
        }
        int countBefore = s.index.count();
        int startEntry = countBefore - 1;
        while (startEntry >= 0
                && checkFrame(
                                s.log,
                                s.index.position(startEntry),
                                size,
                                s.baseOffset + s.index.relativeOffset(startEntry))
                        < 0) {
            startEntry--;
        }
        s.index.truncateTo(startEntry + 1, s.indexFile);
        long[] next = new long[1];
        int end = scanForward(s, startEntry, size, next);
        if (end < size) {
            LOG.warn(
                    "{}: dropped {} bytes of torn or corrupt data at the end of {}, from offset {} (position {})",
                    tp,
                    size - end,
                    s.logPath.getFileName(),
                    next[0],
                    end);
            s.log.truncate(end);
            s.log.force();
        }
        if (!s.index.matchesFile(s.indexFile)) {
            s.index.rewrite(s.indexFile);
            s.indexFile.force();
        }
        s.writePosition = end;
        s.writtenPosition = end;
        return next[0];
    }

    /**
     * Scans frames from the given index entry (or the file start), adding index entries and
     * tracking the newest timestamp, up to the first invalid frame; returns that frame's position
     * (or the size if all are valid) and stores the offset that follows the last valid frame.
     */
    private int scanForward(Segment s, int startEntry, long size, long[] nextOffsetOut) throws IOException {
        long position = startEntry < 0 ? 0 : s.index.position(startEntry);
        long expected = startEntry < 0 ? s.baseOffset : s.baseOffset + s.index.relativeOffset(startEntry);
        long runningMax = startEntry < 0 ? -1 : s.index.maxTimestamp(startEntry);
        return scanFrom(s, position, expected, runningMax, size, nextOffsetOut);
    }

    /** {@link #scanForward} from a known frame boundary. */
    private int scanFrom(Segment s, long position, long expected, long runningMax, long size, long[] nextOffsetOut)
            throws IOException {
        while (position < size) {
            int length = checkFrame(s.log, position, size, expected);
            if (length < 0) {
                break;
            }
            runningMax = Math.max(runningMax, BatchFormat.maxTimestamp(scratch, 0));
            s.maybeIndex(expected, (int) position, runningMax, indexIntervalBytes);
            if (s.firstAppendMillis < 0) {
                s.firstAppendMillis = BatchFormat.maxTimestamp(scratch, 0);
            }
            expected += BatchFormat.recordCount(scratch, 0);
            position += length;
        }
        if (s.firstAppendMillis < 0 && s.index.count() > 0) {
            s.firstAppendMillis = s.index.maxTimestamp(0);
        }
        s.maxTimestamp = runningMax;
        nextOffsetOut[0] = expected;
        return (int) position;
    }

    /**
     * Reads the frame at {@code position} into {@link #scratch} (at 0) and checks it: complete
     * within {@code size}, a sane length and record count, the expected base offset, and a matching
     * CRC. Returns its length, or {@link #TORN} / {@link #CORRUPT}.
     */
    int checkFrame(LogFileIO.LogFile file, long position, long size, long expectedBaseOffset) throws IOException {
        if (size - position < BatchFormat.HEADER_LENGTH) {
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
        if (length > size - position) {
            return TORN;
        }
        if (BatchFormat.baseOffset(scratch, 0) != expectedBaseOffset || BatchFormat.recordCount(scratch, 0) <= 0) {
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
}
