package io.gmq.internal.log;

import io.gmq.TopicPartition;
import io.gmq.storage.BatchFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recovery of the commit journal ({@link CommitJournal}, whose class comment has the format and
 * the crash argument): at open, before the partitions recover, every intact entry's runs are
 * compared with their segments and rewritten where they differ; {@code gmq verify} walks the same
 * entries read-only. Replay stops at the first torn or failing entry.
 */
final class JournalReplay {
    private static final Logger LOG = LoggerFactory.getLogger(CommitJournal.class);

    private JournalReplay() {}

    /** What {@link #recover} did. */
    record Replay(long nextSequence, int entries, int runsRewritten, int runsIntact, int runsSkipped) {}

    /**
     * Brings back every acknowledged journaled byte into its segment, before the partitions are
     * recovered (see the class comment), then deletes the journal files.
     *
     * @param dir     the journal directory (created if absent)
     * @param logsDir the directory of the partition logs
     */
    static Replay recover(Path dir, Path logsDir, LogFileIO io) throws IOException {
        Files.createDirectories(dir);
        TreeMap<Long, Path> files = listFiles(dir);
        if (files.isEmpty()) {
            return new Replay(0, 0, 0, 0, 0);
        }
        Replayer replayer = new Replayer(logsDir, io);
        Walk walk;
        try {
            walk = walk(files, io, replayer::apply);
            replayer.forceRewritten();
        } finally {
            replayer.closeQuietly();
        }
        for (Path path : files.values()) {
            io.delete(path);
        }
        io.syncDirectory(dir);
        Replay replay =
                new Replay(walk.nextSequence(), walk.entries(), replayer.rewritten, replayer.intact, replayer.skipped);
        LOG.info(
                "commit journal: replayed {} entries from {} file(s): {} run(s) rewritten, {} intact, {} skipped"
                        + " (their topic or segment was deleted)",
                replay.entries(),
                files.size(),
                replay.runsRewritten(),
                replay.runsIntact(),
                replay.runsSkipped());
        return replay;
    }

    /** Receives the runs of the intact journal entries, in order. */
    interface RunSink {
        /** {@code run}'s bytes are in {@code entry}, valid only during the call. */
        void accept(Run run, ByteBuffer entry) throws IOException;
    }

    /** What {@link #walk} read: intact entries, and the sequence number after the last of them. */
    record Walk(int entries, long nextSequence) {}

    /**
     * Reads the entries of {@code files} (by sequence number) in order and gives each run to {@code
     * sink}, up to the first entry that is short, fails its CRC or breaks the sequence: nothing
     * from there on, in that file or a later one, was acknowledged.
     */
    static Walk walk(TreeMap<Long, Path> files, LogFileIO io, RunSink sink) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(CommitJournal.HEADER_LENGTH).order(BatchFormat.ORDER);
        ByteBuffer entry = ByteBuffer.allocate(64 * 1024).order(BatchFormat.ORDER);
        int entries = 0;
        long next = 0;
        for (Map.Entry<Long, Path> f : files.entrySet()) {
            long sequence = f.getKey();
            next = Math.max(next, sequence);
            try (LogFileIO.LogFile file = io.open(f.getValue())) {
                long size = file.size();
                long pos = 0;
                while (pos < size) {
                    head.clear();
                    if (size - pos < CommitJournal.HEADER_LENGTH
                            || file.read(head, pos) < CommitJournal.HEADER_LENGTH) {
                        break;
                    }
                    int length = head.getInt(CommitJournal.LENGTH_OFFSET);
                    if (head.getInt(CommitJournal.MAGIC_OFFSET) != CommitJournal.MAGIC
                            || length < CommitJournal.HEADER_LENGTH
                            || length > size - pos) {
                        break;
                    }
                    if (entry.capacity() < length) {
                        entry = ByteBuffer.allocate(Math.max(length, entry.capacity() * 2))
                                .order(BatchFormat.ORDER);
                    }
                    entry.clear().limit(length);
                    if (file.read(entry, pos) < length) {
                        break;
                    }
                    entry.flip();
                    List<Run> runs = decode(entry, sequence);
                    if (runs == null) {
                        break;
                    }
                    for (Run run : runs) {
                        sink.accept(run, entry);
                    }
                    entries++;
                    sequence++;
                    next = sequence;
                    pos += length;
                }
                if (pos < size) {
                    LOG.warn(
                            "commit journal {}: the {} bytes from byte {} are torn or damaged; they and any later"
                                    + " journal file were never acknowledged, replay stops there",
                            f.getValue().getFileName(),
                            size - pos,
                            pos);
                    break;
                }
            }
        }
        return new Walk(entries, next);
    }

    /** The segment file a run belongs in. */
    static Path segmentPath(Path logsDir, Run run) {
        return partitionDir(logsDir, run).resolve(Segment.fileName(run.segmentBase(), Segment.LOG_SUFFIX));
    }

    private static Path partitionDir(Path logsDir, Run run) {
        return logsDir.resolve(run.partition().topic())
                .resolve(Integer.toString(run.partition().partition()));
    }

    /** The journal files in {@code dir} by sequence number. */
    static TreeMap<Long, Path> listFiles(Path dir) throws IOException {
        TreeMap<Long, Path> files = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return files;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*" + CommitJournal.SUFFIX)) {
            for (Path p : stream) {
                long sequence = Segment.parseFileNumber(p.getFileName().toString(), CommitJournal.SUFFIX);
                if (sequence >= 0) {
                    files.put(sequence, p);
                }
            }
        }
        return files;
    }

    /** One decoded run of an entry: its bytes are {@code entry[dataOffset, dataOffset + length)}. */
    record Run(TopicPartition partition, long segmentBase, int position, int length, int dataOffset) {}

    /**
     * Decodes the entry at the start of {@code entry} (its whole length read) into runs; null if it
     * is not a well-formed entry with that sequence number.
     */
    static List<Run> decode(ByteBuffer entry, long expectedSequence) {
        int length = entry.remaining();
        if (length < CommitJournal.HEADER_LENGTH
                || entry.getInt(CommitJournal.MAGIC_OFFSET) != CommitJournal.MAGIC
                || entry.getInt(CommitJournal.LENGTH_OFFSET) != length) {
            return null;
        }
        CRC32C check = new CRC32C();
        check.update(entry.duplicate().position(CommitJournal.SEQUENCE_OFFSET));
        if ((int) check.getValue() != entry.getInt(CommitJournal.CRC_OFFSET)
                || entry.getLong(CommitJournal.SEQUENCE_OFFSET) != expectedSequence) {
            return null;
        }
        int runCount = entry.getInt(CommitJournal.RUN_COUNT_OFFSET);
        if (runCount < 1 || runCount > (length - CommitJournal.HEADER_LENGTH) / CommitJournal.DESCRIPTOR_FIXED_LENGTH) {
            return null;
        }
        TopicPartition[] partitions = new TopicPartition[runCount];
        long[] bases = new long[runCount];
        int[] positions = new int[runCount];
        int[] lengths = new int[runCount];
        int pos = CommitJournal.HEADER_LENGTH;
        long data = 0;
        for (int i = 0; i < runCount; i++) {
            if (pos + CommitJournal.DESCRIPTOR_FIXED_LENGTH > length) {
                return null;
            }
            int topicLength = entry.getShort(pos + CommitJournal.DESCRIPTOR_TOPIC_LENGTH_OFFSET) & 0xFFFF;
            if (topicLength == 0 || pos + CommitJournal.DESCRIPTOR_FIXED_LENGTH + topicLength > length) {
                return null;
            }
            byte[] topicBytes = new byte[topicLength];
            entry.get(pos + CommitJournal.DESCRIPTOR_TOPIC_OFFSET, topicBytes);
            String topic = new String(topicBytes, StandardCharsets.UTF_8);
            pos += CommitJournal.DESCRIPTOR_TOPIC_OFFSET + topicLength;
            int partition = entry.getInt(pos + CommitJournal.DESCRIPTOR_PARTITION_OFFSET);
            bases[i] = entry.getLong(pos + CommitJournal.DESCRIPTOR_SEGMENT_BASE_OFFSET);
            positions[i] = entry.getInt(pos + CommitJournal.DESCRIPTOR_POSITION_OFFSET);
            lengths[i] = entry.getInt(pos + CommitJournal.DESCRIPTOR_RUN_LENGTH_OFFSET);
            pos += CommitJournal.DESCRIPTOR_TAIL_LENGTH;
            if (partition < 0 || bases[i] < 0 || positions[i] < 0 || lengths[i] <= 0 || !isPathElement(topic)) {
                return null;
            }
            partitions[i] = new TopicPartition(topic, partition);
            data += lengths[i];
        }
        if (pos + data != length) {
            return null;
        }
        List<Run> runs = new ArrayList<>(runCount);
        int dataOffset = pos;
        for (int i = 0; i < runCount; i++) {
            runs.add(new Run(partitions[i], bases[i], positions[i], lengths[i], dataOffset));
            dataOffset += lengths[i];
        }
        return runs;
    }

    /** A topic name that names one directory under the logs directory and nothing else. */
    private static boolean isPathElement(String topic) {
        return !topic.isEmpty()
                && !topic.equals(".")
                && !topic.equals("..")
                && topic.indexOf('/') < 0
                && topic.indexOf('\\') < 0
                && topic.indexOf('\0') < 0;
    }

    /** Copies runs back into their segment files, keeping the files it opened until the end. */
    private static final class Replayer {
        private final Path logsDir;
        private final LogFileIO io;
        private final Map<Path, LogFileIO.LogFile> open = new HashMap<>();
        private final Set<LogFileIO.LogFile> rewrittenFiles = new LinkedHashSet<>();
        private final Set<Path> createdIn = new LinkedHashSet<>();
        private ByteBuffer existing = ByteBuffer.allocate(64 * 1024);
        int rewritten;
        int intact;
        int skipped;

        Replayer(Path logsDir, LogFileIO io) {
            this.logsDir = logsDir;
            this.io = io;
        }

        void apply(Run run, ByteBuffer entry) throws IOException {
            Path partitionDir = partitionDir(logsDir, run);
            if (!Files.isDirectory(partitionDir)) {
                skipped++;
                return;
            }
            Path logPath = segmentPath(logsDir, run);
            LogFileIO.LogFile file = open.get(logPath);
            if (file == null) {
                if (!Files.exists(logPath)) {
                    if (hasLaterSegment(partitionDir, run.segmentBase())) {
                        skipped++; // deleted by retention: its records were meant to go
                        return;
                    }
                    createdIn.add(partitionDir);
                }
                file = io.open(logPath);
                open.put(logPath, file);
            }
            ByteBuffer wanted = entry.duplicate().position(run.dataOffset()).limit(run.dataOffset() + run.length());
            if (existing.capacity() < run.length()) {
                existing = ByteBuffer.allocate(Math.max(run.length(), existing.capacity() * 2));
            }
            existing.clear().limit(run.length());
            int read = file.read(existing, run.position());
            existing.flip();
            if (read == run.length() && existing.equals(wanted)) {
                intact++;
                return;
            }
            file.write(wanted, run.position());
            rewrittenFiles.add(file);
            rewritten++;
        }

        private static boolean hasLaterSegment(Path partitionDir, long base) throws IOException {
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(partitionDir, "*" + Segment.LOG_SUFFIX)) {
                for (Path p : stream) {
                    if (Segment.parseBaseOffset(p.getFileName().toString()) > base) {
                        return true;
                    }
                }
            }
            return false;
        }

        void forceRewritten() throws IOException {
            for (LogFileIO.LogFile f : rewrittenFiles) {
                f.force();
            }
            for (Path d : createdIn) {
                io.syncDirectory(d);
            }
        }

        void closeQuietly() {
            for (LogFileIO.LogFile f : open.values()) {
                try {
                    f.close();
                } catch (IOException e) {
                    LOG.warn("commit journal replay: could not close a segment file ({})", e.toString());
                }
            }
            open.clear();
        }
    }
}
