package io.gmq.internal.log;

import io.gmq.TopicPartition;
import io.gmq.storage.BatchFrame;
import java.io.IOException;
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

    /**
     * The recovered segments, oldest first (never empty; their files closed, to be opened through
     * the log's cache), and the next offset to assign.
     */
    record Recovered(List<Segment> segments, long nextOffset) {}

    private final TopicPartition tp;
    private final Path dir;
    private final LogFileIO io;
    private final int indexIntervalBytes;
    /** Checks each frame; the last intact one is in {@code check.frame()}. */
    private final FrameCheck check = new FrameCheck();

    LogRecovery(TopicPartition tp, Path dir, LogFileIO io, int indexIntervalBytes) {
        this.tp = tp;
        this.dir = dir;
        this.io = io;
        this.indexIntervalBytes = indexIntervalBytes;
    }

    /**
     * Recovers every segment, oldest first. Each segment's files are open only while it is checked
     * (at most one segment's at a time, however many the partition has); the log reopens them
     * through its cache of open files when they are next used.
     */
    Recovered recover() throws IOException {
        Files.createDirectories(dir);
        List<Long> bases = listSegmentBases();
        List<Segment> segments = new ArrayList<>(Math.max(1, bases.size()));
        if (bases.isEmpty()) {
            segments.add(Segment.create(dir, 0, io));
            io.syncDirectory(dir);
            return new Recovered(segments, 0);
        }
        for (int i = 0; i < bases.size() - 1; i++) {
            segments.add(recoverSegment(bases.get(i), bases.get(i + 1), null));
        }
        long[] next = new long[1];
        segments.add(recoverSegment(bases.get(bases.size() - 1), FrameResync.UNKNOWN, next));
        return new Recovered(segments, next[0]);
    }

    /**
     * Opens one segment's files, recovers it as sealed (ending before {@code sealedEndOffset}) or,
     * with {@link FrameResync#UNKNOWN}, as the last segment, and closes them.
     */
    private Segment recoverSegment(long base, long sealedEndOffset, long[] nextOffsetOut) throws IOException {
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
        SegmentFiles files = new SegmentFiles(null, log, indexFile);
        try {
            long size = log.size();
            OffsetIndex index = OffsetIndex.load(indexFile, size);
            Segment segment = new Segment(base, logPath, indexPath, index);
            if (size > 0 && !index.matchesFile(indexFile)) {
                LOG.warn(
                        "{}: index {} is missing or damaged after entry {}; re-indexing from there",
                        tp,
                        indexPath.getFileName(),
                        index.count());
            }
            if (sealedEndOffset != FrameResync.UNKNOWN) {
                recoverSealed(segment, files, sealedEndOffset);
            } else {
                nextOffsetOut[0] = recoverLast(segment, files);
            }
            files.close();
            return segment;
        } catch (IOException | RuntimeException e) {
            try {
                files.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
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

    /**
     * A sealed segment: complete by construction; rebuild its index if needed, find its newest
     * timestamp. If the scan meets a damaged frame, indexing continues at the next intact frame
     * ({@link FrameResync}), so reads past the damage stay one index interval away from an entry.
     */
    private void recoverSealed(Segment s, SegmentFiles f, long endOffset) throws IOException {
        long size = f.log.size();
        if (size > Integer.MAX_VALUE) {
            throw new IOException(s.logPath + " is larger than 2 GiB; it was not written by GMQ");
        }
        int startEntry = s.index.count() - 1;
        if (startEntry >= 0
                && check.check(
                                f.log::read,
                                s.index.position(startEntry),
                                size,
                                s.baseOffset + s.index.relativeOffset(startEntry))
                        < 0) {
            LOG.warn(
                    "{}: last entry of index {} does not point at a valid frame; rebuilding it",
                    tp,
                    s.indexPath.getFileName());
            s.index.truncateTo(0, f.indexFile);
            startEntry = -1;
        }
        long[] next = new long[1];
        long end = scanForward(s, f.log, startEntry, size, next);
        while (end < size) {
            FrameResync.Point resume =
                    new FrameResync().next(f.log::read, s.baseOffset, s.index, end, next[0], size, endOffset);
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
            end = scanFrom(s, f.log, resume.position(), resume.baseOffset(), s.maxTimestamp, size, next);
        }
        if (!s.index.matchesFile(f.indexFile)) {
            s.index.rewrite(f.indexFile);
            f.indexFile.force();
        }
        s.writePosition = (int) size;
        s.writtenPosition = (int) size;
    }

    /** Truncates the last segment after its last valid frame; returns the next offset. */
    private long recoverLast(Segment s, SegmentFiles f) throws IOException {
        long size = f.log.size();
        if (size > Integer.MAX_VALUE) {
            throw new IOException(s.logPath + " is larger than 2 GiB; it was not written by GMQ");
        }
        int countBefore = s.index.count();
        int startEntry = countBefore - 1;
        while (startEntry >= 0
                && check.check(
                                f.log::read,
                                s.index.position(startEntry),
                                size,
                                s.baseOffset + s.index.relativeOffset(startEntry))
                        < 0) {
            startEntry--;
        }
        s.index.truncateTo(startEntry + 1, f.indexFile);
        long[] next = new long[1];
        int end = scanForward(s, f.log, startEntry, size, next);
        if (end < size) {
            LOG.warn(
                    "{}: dropped {} bytes of torn or corrupt data at the end of {}, from offset {} (position {})",
                    tp,
                    size - end,
                    s.logPath.getFileName(),
                    next[0],
                    end);
            f.log.truncate(end);
            f.log.force();
        }
        if (!s.index.matchesFile(f.indexFile)) {
            s.index.rewrite(f.indexFile);
            f.indexFile.force();
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
    private int scanForward(Segment s, LogFileIO.LogFile log, int startEntry, long size, long[] nextOffsetOut)
            throws IOException {
        long position = startEntry < 0 ? 0 : s.index.position(startEntry);
        long expected = startEntry < 0 ? s.baseOffset : s.baseOffset + s.index.relativeOffset(startEntry);
        long runningMax = startEntry < 0 ? -1 : s.index.maxTimestamp(startEntry);
        return scanFrom(s, log, position, expected, runningMax, size, nextOffsetOut);
    }

    /** {@link #scanForward} from a known frame boundary. */
    private int scanFrom(
            Segment s,
            LogFileIO.LogFile log,
            long position,
            long expected,
            long runningMax,
            long size,
            long[] nextOffsetOut)
            throws IOException {
        while (position < size) {
            int length = check.check(log::read, position, size, expected);
            if (length < 0) {
                break;
            }
            BatchFrame frame = check.frame();
            runningMax = Math.max(runningMax, frame.maxTimestamp());
            s.maybeIndex(expected, (int) position, runningMax, indexIntervalBytes);
            if (s.firstAppendMillis < 0) {
                s.firstAppendMillis = frame.maxTimestamp();
            }
            expected += frame.recordCount();
            position += length;
        }
        if (s.firstAppendMillis < 0 && s.index.count() > 0) {
            s.firstAppendMillis = s.index.maxTimestamp(0);
        }
        s.maxTimestamp = runningMax;
        nextOffsetOut[0] = expected;
        return (int) position;
    }
}
