package io.gmq.internal.log;

import io.gmq.TopicPartition;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks every frame of segments: CRC32C, offsets continuing from the segment's base offset to
 * the next segment's, and (offline) that each index entry points at a frame boundary holding the
 * entry's offset. Each damaged stretch is reported once, with the byte range and the offsets it
 * makes unreadable; the scan then resumes at the next intact frame ({@link FrameResync}), exactly
 * where a read resumes, so what it reports is what reads refuse.
 *
 * <p>Two callers: startup (over the open segments, see {@link StartupVerification}) and the
 * offline {@code gmq verify} command ({@link #verify(Path, String)}), which opens every file
 * read-only and changes nothing. After an unclean stop the offline check reads the segments as the
 * next start will see them: with the acknowledged bytes the commit journal still holds copied in
 * (see {@link JournalReplay#recover}), without writing them.
 */
public final class LogVerifier {
    /**
     * One damaged stretch of a segment: bytes {@code [fromPosition, toPosition)} of {@code segment};
     * offsets {@code [fromOffset, toOffset)} cannot be served ({@code toOffset} -1 if not known:
     * up to the end of the partition). For index findings the offsets are -1 and nothing is lost:
     * the index is rebuilt from the log at the next start.
     */
    public record Damage(
            TopicPartition partition,
            Path segment,
            long fromPosition,
            long toPosition,
            long fromOffset,
            long toOffset,
            String what) {
        /** True for damage of the log itself (records lost), false for an index finding. */
        public boolean losesRecords() {
            return fromOffset >= 0;
        }

        /** One line for operators. */
        public String describe() {
            String file = segment.getFileName().toString();
            if (!losesRecords()) {
                return partition + " " + file + ": " + what
                        + " (no records lost; the index is rebuilt at the next start)";
            }
            String offsets = toOffset < 0
                    ? "offsets " + fromOffset + " to the end of the partition"
                    : "offsets " + fromOffset + " to " + (toOffset - 1) + " (" + (toOffset - fromOffset) + " records)";
            return partition + " " + file + " bytes " + fromPosition + ".." + toPosition + ": " + what + "; " + offsets
                    + " cannot be read" + (toOffset < 0 ? "" : ", reading resumes at offset " + toOffset);
        }
    }

    /**
     * The result of a scan: how much was read, every damaged stretch found, and how many commit
     * journal entries the segments were read with (left by an unclean stop; the next start copies
     * them into their segments).
     */
    public record Report(int segments, long bytes, List<Damage> damage, int journalEntries) {
        public boolean clean() {
            return damage.isEmpty();
        }
    }

    private final FrameCheck check = new FrameCheck();
    private final FrameResync resync = new FrameResync();

    LogVerifier() {}

    /**
     * Scans every segment under {@code <dataDir>/logs/} (only {@code topic}'s if not null), opening
     * files read-only. Findings are in log order: topic, partition, segment, position.
     */
    public static Report verify(Path dataDir, String topic) throws IOException {
        Path logs = dataDir.resolve(LogManager.LOGS_DIR);
        if (!Files.isDirectory(logs)) {
            throw new IOException(logs + " does not exist: not a GMQ data directory");
        }
        if (topic != null && !Files.isDirectory(logs.resolve(topic))) {
            throw new IOException("topic '" + topic + "' has no log in " + logs);
        }
        Map<Path, List<Patch>> pending = new HashMap<>();
        JournalReplay.Walk journal = JournalReplay.walk(
                JournalReplay.listFiles(dataDir.resolve(CommitJournal.DIR)), READ_ONLY, (run, entry) -> {
                    byte[] bytes = new byte[run.length()];
                    entry.get(run.dataOffset(), bytes);
                    pending.computeIfAbsent(JournalReplay.segmentPath(logs, run), k -> new ArrayList<>())
                            .add(new Patch(run.position(), bytes));
                });
        LogVerifier verifier = new LogVerifier();
        List<Damage> damage = new ArrayList<>();
        int segments = 0;
        long bytes = 0;
        for (Path topicDir : sortedChildren(logs)) {
            String name = topicDir.getFileName().toString();
            if (!Files.isDirectory(topicDir) || (topic != null && !topic.equals(name))) {
                continue;
            }
            for (Path partDir : sortedChildren(topicDir)) {
                String part = partDir.getFileName().toString();
                if (!Files.isDirectory(partDir) || !part.matches("\\d{1,9}")) {
                    continue;
                }
                TopicPartition tp = new TopicPartition(name, Integer.parseInt(part));
                List<Long> bases = segmentBases(partDir);
                for (int i = 0; i < bases.size(); i++) {
                    long endOffset = i + 1 < bases.size() ? bases.get(i + 1) : FrameResync.UNKNOWN;
                    bytes += verifier.verifyFile(tp, partDir, bases.get(i), endOffset, pending, damage);
                    segments++;
                }
            }
        }
        return new Report(segments, bytes, List.copyOf(damage), journal.entries());
    }

    /** Bytes a commit journal entry puts back at {@code position} of a segment's log. */
    private record Patch(long position, byte[] bytes) {
        long end() {
            return position + bytes.length;
        }

        /** Copies the part of this patch that falls in [from, from + length) into {@code dst} at {@code dstStart}. */
        void applyTo(ByteBuffer dst, int dstStart, long from, int length) {
            long start = Math.max(position, from);
            long stop = Math.min(end(), from + length);
            for (long p = start; p < stop; p++) {
                dst.put(dstStart + (int) (p - from), bytes[(int) (p - position)]);
            }
        }
    }

    /** Scans one segment's files read-only, with the journal's patches of it applied; returns the log's size. */
    private long verifyFile(
            TopicPartition tp, Path dir, long base, long endOffset, Map<Path, List<Patch>> pending, List<Damage> out)
            throws IOException {
        Path logPath = dir.resolve(Segment.fileName(base, Segment.LOG_SUFFIX));
        Path indexPath = dir.resolve(Segment.fileName(base, Segment.INDEX_SUFFIX));
        List<Patch> patches = pending.getOrDefault(logPath, List.of());
        try (FileChannel log = FileChannel.open(logPath, StandardOpenOption.READ)) { // closed here, not by the wrapper
            long size = log.size();
            for (Patch p : patches) {
                size = Math.max(size, p.end());
            }
            OffsetIndex index = new OffsetIndex();
            long indexEntriesInFile = 0;
            if (Files.exists(indexPath)) {
                try (FileChannel indexChannel = FileChannel.open(indexPath, StandardOpenOption.READ)) {
                    index = OffsetIndex.load(new ReadOnlyFile(indexChannel), size);
                    indexEntriesInFile = indexChannel.size() / OffsetIndex.ENTRY_LENGTH;
                }
            } else if (size > 0) {
                out.add(new Damage(tp, indexPath, 0, 0, -1, -1, "index file is missing"));
            }
            if (indexEntriesInFile > index.count()) {
                out.add(new Damage(
                        tp,
                        indexPath,
                        (long) index.count() * OffsetIndex.ENTRY_LENGTH,
                        indexEntriesInFile * OffsetIndex.ENTRY_LENGTH,
                        -1,
                        -1,
                        "index entries from " + index.count() + " are invalid"));
            }
            ReadOnlyFile file = new ReadOnlyFile(log);
            FrameCheck.Source source = patches.isEmpty()
                    ? file::read
                    : (dst, position) -> {
                        int start = dst.position();
                        int read = file.read(dst, position);
                        int wanted = dst.limit() - start;
                        for (int i = read; i < wanted; i++) {
                            dst.put(start + i, (byte) 0); // past the file's end it reads as a hole would
                        }
                        int covered = read;
                        for (Patch p : patches) {
                            if (p.position() < position + wanted && p.end() > position) {
                                p.applyTo(dst, start, position, wanted);
                                covered = (int) Math.max(covered, Math.min(wanted, p.end() - position));
                            }
                        }
                        dst.position(start + covered);
                        return covered;
                    };
            scan(tp, source, logPath, base, size, index, endOffset, true, indexPath, out);
            return size;
        }
    }

    /**
     * Scans the frames of one segment of {@code size} bytes and adds each damaged stretch to
     * {@code out}. {@code endOffset} is the next segment's base offset, or
     * {@link FrameResync#UNKNOWN} for the last segment. With {@code checkIndex}, index entries
     * that do not sit on a frame boundary with their offset are reported too.
     */
    void scan(
            TopicPartition tp,
            FrameCheck.Source file,
            Path logPath,
            long base,
            long size,
            OffsetIndex index,
            long endOffset,
            boolean checkIndex,
            Path indexPath,
            List<Damage> out)
            throws IOException {
        long position = 0;
        long expected = base;
        int entry = 0;
        int entries = index.count();
        int badEntries = 0;
        while (position < size) {
            int length = check.check(file, position, size, expected);
            if (length < 0) {
                FrameResync.Point next = resync.next(file, base, index, position, expected, size, endOffset);
                String what = length == FrameCheck.TORN && next.position() == size
                        ? "torn frame at the end (recovery drops it at the next start)"
                        : "damaged frame (fails its CRC32C, length or offset check)";
                out.add(new Damage(tp, logPath, position, next.position(), expected, next.baseOffset(), what));
                for (; entry < entries && index.position(entry) < next.position(); entry++) {
                    // entries inside the damage are not judged: the frames they point at are lost
                }
                position = next.position();
                expected = next.baseOffset();
                continue;
            }
            for (; entry < entries && index.position(entry) <= position; entry++) {
                if (index.position(entry) < position || base + index.relativeOffset(entry) != expected) {
                    badEntries++;
                }
            }
            expected += check.frame().recordCount();
            position += length;
        }
        if (position == size
                && endOffset != FrameResync.UNKNOWN
                && expected != FrameResync.UNKNOWN
                && expected != endOffset) {
            out.add(new Damage(
                    tp,
                    logPath,
                    size,
                    size,
                    expected,
                    endOffset,
                    "the segment ends at offset " + expected + " but the next segment starts at " + endOffset));
        }
        if (checkIndex && badEntries > 0) {
            out.add(new Damage(tp, indexPath, 0, 0, -1, -1, badEntries + " index entries do not point at their frame"));
        }
    }

    private static List<Path> sortedChildren(Path dir) throws IOException {
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            s.forEach(children::add);
        }
        Collections.sort(children);
        return children;
    }

    private static List<Long> segmentBases(Path dir) throws IOException {
        List<Long> bases = new ArrayList<>();
        for (Path f : sortedChildren(dir)) {
            long base = Segment.parseBaseOffset(f.getFileName().toString());
            if (base >= 0) {
                bases.add(base);
            }
        }
        Collections.sort(bases);
        return bases;
    }

    /** Opens files read-only ({@link ReadOnlyFile}); changes nothing. */
    private static final LogFileIO READ_ONLY = new LogFileIO() {
        @Override
        public LogFile open(Path path) throws IOException {
            return new ReadOnlyFile(FileChannel.open(path, StandardOpenOption.READ));
        }

        @Override
        public void delete(Path path) throws IOException {
            throw new IOException("read-only");
        }

        @Override
        public void syncDirectory(Path dir) throws IOException {
            throw new IOException("read-only");
        }
    };

    /** A file opened read-only (an index for {@link OffsetIndex#load}, a journal file); every write is refused. */
    private static final class ReadOnlyFile implements LogFileIO.LogFile {
        private final FileChannel channel;

        ReadOnlyFile(FileChannel channel) {
            this.channel = channel;
        }

        @Override
        public void write(ByteBuffer[] srcs, int offset, int length, long position) throws IOException {
            throw new IOException("read-only");
        }

        @Override
        public void write(ByteBuffer src, long position) throws IOException {
            throw new IOException("read-only");
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return FileChannelLogFileIO.readFully(channel, dst, position);
        }

        @Override
        public void force() throws IOException {
            throw new IOException("read-only");
        }

        @Override
        public void truncate(long size) throws IOException {
            throw new IOException("read-only");
        }

        @Override
        public long size() throws IOException {
            return channel.size();
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
