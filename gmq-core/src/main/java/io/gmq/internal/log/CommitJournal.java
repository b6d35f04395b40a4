package io.gmq.internal.log;

import io.gmq.ErrorCode;
import io.gmq.FlushPolicy;
import io.gmq.GmqException;
import io.gmq.storage.BatchFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The commit journal: one fsync makes a group commit durable, however many segments it wrote.
 *
 * <p>Why. Under {@link FlushPolicy#SYNC} a group commit is acknowledged once its bytes are on
 * disk. Forcing each segment the cycle wrote costs one fdatasync, that is one device cache flush,
 * per segment, one after the other: a cycle that wrote to k partitions costs k flushes, and while
 * they run appends for more partitions queue up, so the next cycle costs more still. When a cycle
 * wrote to several segments but few bytes, the writer also appends a copy of those bytes to the
 * journal as one entry, and the syncer forces the journal file alone: one flush for the cycle. The
 * segments keep their bytes in the page cache and are forced later, when the journal file is
 * retired.
 *
 * <p>Which cycles. One that wrote to at least two segments and at most {@link
 * #BYTES_PER_SAVED_FORCE} (16 KiB) per force it saves. Copying bytes to the journal costs disk
 * bandwidth and a force costs a flush; a large cycle (throughput rather than latency) forces its
 * segments as before, and the journal costs it nothing.
 *
 * <p>Files. {@code <dataDir>/journal/<20-digit sequence>.journal}, named by the sequence number of
 * their first entry. The writer appends to one file until it holds {@code fileBytes}, then starts
 * the next. A full file is retired once the cycle after it is complete, so every entry in it is
 * durable: the checkpoint thread ({@code gmq-log-checkpoint}) forces every segment its entries
 * wrote to, then deletes it. A clean close forces every segment and deletes every journal file.
 *
 * <p>Entry layout (integers in {@link BatchFormat#ORDER}), offsets from the entry's start:
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                  Magic "GMQJ" (0x4A514D47)                    |  0
 *  +---------------------------------------------------------------+
 *  |                     Entry length (int32)                      |  4  the whole entry, this header included
 *  +---------------------------------------------------------------+
 *  |                        CRC32C (int32)                         |  8  over [12, entry length)
 *  +---------------------------------------------------------------+
 *  |                                                               | 12  the file name's number for its first
 *  +                       Sequence (int64)                        +     entry, one more for each next one
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                       Run count (int32)                       | 20
 *  +---------------------------------------------------------------+
 *  |               Run descriptors (one per run) ...               | 24
 *  +---------------------------------------------------------------+
 *  |        The runs' bytes in descriptor order, back to back      |     exactly the frames written to the
 *  +---------------------------------------------------------------+     segment at that position
 * </pre>
 *
 * A run descriptor, offsets from its start ({@code n} is the topic's length):
 *
 * <pre>
 *  +-------------------------------+-------------------------------+
 *  |    Topic length n (uint16)    |   Topic (n bytes, UTF-8) ...  |  0, 2
 *  +-------------------------------+-------------------------------+
 *  |                     Partition (int32)                         |  2 + n
 *  +---------------------------------------------------------------+
 *  |                                                               |  6 + n  the segment's base offset
 *  +                  Segment base offset (int64)                  +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 Position in the .log file (int32)             | 14 + n
 *  +---------------------------------------------------------------+
 *  |                      Run length (int32)                       | 18 + n
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <p>Crash safety. An acknowledged journaled cycle has its entry on disk; its bytes in the
 * segments may be anywhere between absent and complete, since the page cache writes back in any
 * order. At open, before any partition is recovered, {@link JournalReplay#recover} reads every journal file in
 * order and, for each run, compares the segment's bytes at the run's position with the run and
 * rewrites them where they differ, forces what it rewrote and deletes the journal files. Every
 * acknowledged byte is then back in its segment before {@link LogRecovery} looks at it, and
 * recovery works as without a journal (a torn tail past the last acknowledged byte is truncated).
 * Between two journaled runs of one segment lie only bytes forced with the segment (a cycle that
 * forced its segments, a roll, a checkpoint), so the rewritten runs never leave a gap. Replay stops
 * at the first entry that is short, fails its CRC or breaks the sequence: its fsync had not
 * returned, so neither it nor anything written after it was acknowledged. Rewriting bytes that are
 * already there changes nothing, so a crash during replay just means replaying again.
 *
 * <p>Runs name their segment by topic, partition and base offset, names a topic deleted and
 * created again would reuse; so deleting a topic first retires the current journal file ({@link
 * LogWriter#checkpoint}) and no entry naming the deleted topic is left.
 *
 * <p>Failures. A journal write that fails (a full disk) is cut back off the file and the cycle
 * forces its segments instead; so does a cycle whose journal force fails. Either way the journal
 * stays off until the next open: a file whose tail is in doubt gets no more entries.
 *
 * <p>Threads: {@link #journal} and {@link #retireCurrent} run on the log writer, {@link #force} on
 * the syncer, retirement on the checkpoint thread, {@link #close} and {@link JournalReplay#recover} with the
 * writer stopped.
 */
final class CommitJournal {
    private static final Logger LOG = LoggerFactory.getLogger(CommitJournal.class);

    static final String DIR = "journal";
    static final String SUFFIX = ".journal";
    static final int MAGIC = 0x4A514D47;
    static final int MAGIC_OFFSET = 0;
    static final int LENGTH_OFFSET = 4;
    static final int CRC_OFFSET = 8;
    static final int SEQUENCE_OFFSET = 12;
    static final int RUN_COUNT_OFFSET = 20;
    static final int HEADER_LENGTH = 24;
    /** Run descriptor: the topic's length, from the descriptor's start; the topic follows. */
    static final int DESCRIPTOR_TOPIC_LENGTH_OFFSET = 0;

    static final int DESCRIPTOR_TOPIC_OFFSET = 2;
    /** Run descriptor fields after the topic, from the end of the topic. */
    static final int DESCRIPTOR_PARTITION_OFFSET = 0;

    static final int DESCRIPTOR_SEGMENT_BASE_OFFSET = 4;
    static final int DESCRIPTOR_POSITION_OFFSET = 12;
    static final int DESCRIPTOR_RUN_LENGTH_OFFSET = 16;
    /** Bytes of a descriptor's fields after its topic. */
    static final int DESCRIPTOR_TAIL_LENGTH = 20;
    /** A run descriptor's bytes besides its topic: topic length, partition, base offset, position, length. */
    static final int DESCRIPTOR_FIXED_LENGTH = DESCRIPTOR_TOPIC_OFFSET + DESCRIPTOR_TAIL_LENGTH;
    /**
     * A cycle is journaled only if it copies at most this many bytes per segment force it saves. A
     * force costs a device flush (0.3-0.5 ms here, the time to write 45-75 KB); copying much less
     * than that keeps the journal to cycles bound by flushes, not by bandwidth. Measured: with 64
     * KiB, 3-partition produce throughput fell (median 497k against 537k records/s without the
     * journal); with 16 KiB it did not (582k), and cycles over many partitions are still journaled.
     */
    static final long BYTES_PER_SAVED_FORCE = 16 * 1024;
    /** The largest entry: bigger cycles force their segments. */
    static final int MAX_ENTRY_BYTES = 64 * 1024 * 1024;

    /** One journal file: written by the writer, forced by the syncer, retired by the checkpoint thread. */
    static final class JournalFile {
        final Path path;
        final LogFileIO.LogFile file;
        /** Bytes of whole entries. Writer-owned. */
        long size;
        /** Every segment an entry of this file wrote to. Writer-owned until the file is retired. */
        final List<Segment> segments = new ArrayList<>();
        /** A write or force failed: the file's tail is in doubt, its later entries count for nothing. */
        volatile boolean broken;

        JournalFile(Path path, LogFileIO.LogFile file) {
            this.path = path;
            this.file = file;
        }
    }

    private final Path dir;
    private final LogFileIO io;
    private final long fileBytes;
    private final LogMetrics metrics;
    private final ExecutorService checkpointer;

    // writer-owned
    private JournalFile current;
    private long nextSequence;
    private boolean off;
    private ByteBuffer header = ByteBuffer.allocate(1024).order(BatchFormat.ORDER);
    private ByteBuffer[] gather = new ByteBuffer[64];
    private final CRC32C crc = new CRC32C();

    /** Set by the syncer when a journal force fails; the writer then stops journaling. */
    private volatile boolean forceFailed;

    /**
     * A journal over {@code dir}, which {@link JournalReplay#recover} must have emptied before {@link
     * #startAt} and the first entry.
     *
     * @param fileBytes a file is retired once it holds this many bytes
     * @param metrics counts the bytes journaled
     */
    CommitJournal(Path dir, LogFileIO io, long fileBytes, LogMetrics metrics) {
        this.dir = dir;
        this.io = io;
        this.fileBytes = fileBytes;
        this.metrics = metrics;
        this.checkpointer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "gmq-log-checkpoint");
            t.setDaemon(true);
            return t;
        });
    }

    /** Before the writer starts: the sequence number of the first entry (from {@link JournalReplay#recover}). */
    void startAt(long sequence) {
        nextSequence = sequence;
    }

    // ---- the writer ---------------------------------------------------------------------------

    /**
     * Copies {@code cycle}'s runs into the journal as one entry if that saves forces (see the class
     * comment), and marks the cycle to be made durable through it. Retires the current file first
     * if it is full. A cycle that is not journaled forces its segments as before.
     */
    void journal(CommitCycle cycle) {
        JournalFile f = current;
        if (f != null && f.size >= fileBytes) {
            cycle.retired = f;
            current = f = null;
        }
        int segmentCount = cycle.segmentCount();
        long bytes = cycle.bytes();
        if (off || segmentCount < 2 || bytes > (segmentCount - 1) * BYTES_PER_SAVED_FORCE || bytes > MAX_ENTRY_BYTES) {
            return;
        }
        if (forceFailed) {
            turnOff("a journal force failed");
            return;
        }
        if (f == null) {
            f = openNext();
            if (f == null) {
                return;
            }
            current = f;
        }
        int buffers = encode(cycle);
        int length = header.limit() + (int) bytes;
        try {
            f.file.write(gather, 0, buffers, f.size);
        } catch (IOException e) {
            LOG.warn("commit journal {}: write failed ({})", f.path, e.toString());
            try {
                f.file.truncate(f.size);
            } catch (IOException truncate) {
                f.broken = true;
            }
            turnOff("a journal write failed");
            return;
        } finally {
            Arrays.fill(gather, 0, buffers, null);
        }
        f.size += length;
        nextSequence++;
        metrics.journaled(length);
        for (int i = 0; i < cycle.runCount(); i++) {
            Segment s = cycle.segment(i);
            if (s.journaledIn != f) {
                s.journaledIn = f;
                f.segments.add(s);
            }
        }
        cycle.journalFile = f;
    }

    /** Retires the current file now, for a checkpoint: the cycle that carries it must not journal. */
    JournalFile retireCurrent() {
        JournalFile f = current;
        current = null;
        return f;
    }

    private void turnOff(String why) {
        if (!off) {
            off = true;
            LOG.warn("commit journal off until the engine is reopened ({}): group commits force each segment", why);
        }
    }

    private JournalFile openNext() {
        Path path = dir.resolve(Segment.fileName(nextSequence, SUFFIX));
        try {
            LogFileIO.LogFile file = io.open(path);
            try {
                io.syncDirectory(dir);
                return new JournalFile(path, file);
            } catch (IOException e) {
                file.close();
                throw e;
            }
        } catch (IOException e) {
            LOG.warn("commit journal: cannot create {} ({})", path, e.toString());
            turnOff("a journal file could not be created");
            return null;
        }
    }

    /** Fills {@link #header} and {@link #gather} with the entry for {@code cycle}; returns the buffers used. */
    private int encode(CommitCycle cycle) {
        int runs = cycle.runCount();
        int headerLength = HEADER_LENGTH;
        for (int i = 0; i < runs; i++) {
            headerLength += DESCRIPTOR_FIXED_LENGTH + cycle.log(i).topicBytes().length;
        }
        if (header.capacity() < headerLength) {
            header = ByteBuffer.allocate(Math.max(headerLength, header.capacity() * 2))
                    .order(BatchFormat.ORDER);
        }
        ByteBuffer h = header;
        h.clear();
        h.putInt(MAGIC_OFFSET, MAGIC)
                .putInt(LENGTH_OFFSET, headerLength + (int) cycle.bytes())
                .putInt(CRC_OFFSET, 0)
                .putLong(SEQUENCE_OFFSET, nextSequence)
                .putInt(RUN_COUNT_OFFSET, runs);
        int pos = HEADER_LENGTH;
        for (int i = 0; i < runs; i++) {
            byte[] topic = cycle.log(i).topicBytes();
            h.putShort(pos + DESCRIPTOR_TOPIC_LENGTH_OFFSET, (short) topic.length)
                    .put(pos + DESCRIPTOR_TOPIC_OFFSET, topic);
            pos += DESCRIPTOR_TOPIC_OFFSET + topic.length;
            h.putInt(
                            pos + DESCRIPTOR_PARTITION_OFFSET,
                            cycle.log(i).topicPartition().partition())
                    .putLong(pos + DESCRIPTOR_SEGMENT_BASE_OFFSET, cycle.segment(i).baseOffset)
                    .putInt(pos + DESCRIPTOR_POSITION_OFFSET, cycle.position(i))
                    .putInt(pos + DESCRIPTOR_RUN_LENGTH_OFFSET, cycle.length(i));
            pos += DESCRIPTOR_TAIL_LENGTH;
        }
        h.limit(headerLength).position(0);
        int frames = cycle.endFrame(runs - 1);
        if (gather.length < frames + 1) {
            gather = new ByteBuffer[Math.max(frames + 1, gather.length * 2)];
        }
        crc.reset();
        crc.update(h.array(), h.arrayOffset() + SEQUENCE_OFFSET, headerLength - SEQUENCE_OFFSET);
        gather[0] = h;
        for (int i = 0; i < frames; i++) {
            ByteBuffer frame = cycle.frame(i);
            frame.rewind(); // the segment write consumed it
            crc.update(frame);
            frame.rewind();
            gather[i + 1] = frame;
        }
        h.putInt(CRC_OFFSET, (int) crc.getValue());
        return frames + 1;
    }

    // ---- the syncer ---------------------------------------------------------------------------

    /**
     * Forces {@code f} for a cycle journaled in it. False if that cannot make the cycle durable
     * (the file is in doubt): the syncer then forces the cycle's segments.
     */
    boolean force(JournalFile f) {
        if (f.broken) {
            return false;
        }
        try {
            f.file.force();
            return true;
        } catch (IOException e) {
            f.broken = true;
            forceFailed = true;
            LOG.warn("commit journal {}: force failed ({}); the cycle forces its segments", f.path, e.toString());
            return false;
        }
    }

    /**
     * After a cycle is complete: retires {@code retired} (if not null) on the checkpoint thread,
     * after every earlier retirement, then completes {@code checkpoints} (if not null):
     * exceptionally if the file could not be retired.
     */
    void retireLater(JournalFile retired, List<AppendRequest> checkpoints) {
        checkpointer.execute(() -> {
            boolean ok = false;
            try {
                ok = retired == null || retire(retired);
            } finally {
                if (checkpoints != null) {
                    for (AppendRequest c : checkpoints) {
                        if (ok) {
                            c.future.complete(null);
                        } else {
                            c.future.completeExceptionally(new GmqException(
                                    ErrorCode.INTERNAL,
                                    "the commit journal could not be checkpointed: a segment it covers could not be"
                                            + " forced (see the log); restart the engine"));
                        }
                    }
                }
            }
        });
    }

    /**
     * Forces every segment {@code f}'s entries wrote to, then deletes {@code f}; false if a segment
     * could not be forced: its partition fails and the file stays for the next open to replay.
     */
    boolean retire(JournalFile f) {
        boolean forced = true;
        for (Segment s : f.segments) {
            try {
                s.force();
            } catch (ClosedChannelException e) {
                // closed with its log (and forced then) or deleted: nothing to keep
            } catch (IOException e) {
                forced = false;
                PartitionLog owner = s.owner();
                if (owner != null) {
                    owner.failFsync(s, e);
                }
            }
        }
        if (!forced) {
            LOG.error(
                    "commit journal {}: kept, a segment it covers could not be forced; the next open replays it",
                    f.path);
            return false;
        }
        try {
            f.file.close();
            io.delete(f.path);
            io.syncDirectory(dir);
            return true;
        } catch (IOException e) {
            LOG.warn(
                    "commit journal: could not delete retired {} ({}); the next open replays it", f.path, e.toString());
            return false;
        }
    }

    // ---- close --------------------------------------------------------------------------------

    /** With the writer stopped: lets pending retirements finish (before the logs close). */
    void awaitCheckpoints() {
        checkpointer.shutdown();
        boolean interrupted = false;
        while (true) {
            try {
                if (checkpointer.awaitTermination(1, TimeUnit.MINUTES)) {
                    break;
                }
                LOG.warn("commit journal: still waiting for a checkpoint to finish");
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * After {@link #awaitCheckpoints} and the logs' close: closes the journal files, and deletes them
     * if {@code logsForced} (every partition closed cleanly, so every segment is forced and nothing
     * in the journal is needed any more).
     */
    void close(boolean logsForced) {
        JournalFile f = current;
        current = null;
        try {
            if (f != null) {
                f.file.close();
            }
            if (logsForced) {
                for (Path path : JournalReplay.listFiles(dir).values()) {
                    io.delete(path);
                }
                io.syncDirectory(dir);
            }
        } catch (IOException e) {
            LOG.warn(
                    "commit journal: could not remove the files in {} ({}); the next open replays them",
                    dir,
                    e.toString());
        }
    }
}
