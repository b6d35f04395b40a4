package io.gmq.internal.log;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One segment of a partition log: a {@code .log} file of sealed batch frames, back to back from
 * position 0, and its sparse {@link OffsetIndex} in a {@code .index} file. Both files are named by
 * the segment's base offset (the offset of its first record) as 20 zero-padded decimal digits, so
 * a directory listing sorts in offset order.
 *
 * <p>Open files. The segment does not keep its files open: it holds at most one current {@link
 * SegmentFiles}, opened on first use and registered with the log manager's {@link
 * SegmentFileCache}, which closes idle ones to stay under {@code maxOpenFiles}. Every user of the
 * files (reader, writer, syncer) {@link #pin}s them for the duration of one operation:
 *
 * <ul>
 *   <li>fast path: read the volatile {@link #files}, CAS its pin count up; no lock, no allocation;
 *   <li>slow path (no handle, or one the cache retired): under this segment's monitor, wait until a
 *       retired handle is fully closed, then open a new one, pin it and register it.
 * </ul>
 *
 * <p>Invariants. (1) The cache closes a handle only by moving its pin count from 0 to retired, so
 * no operation ever runs on a handle closed by eviction: a reader gets the right bytes or, when
 * the segment itself was deleted or the log closed ({@link #close}), a {@code
 * ClosedChannelException} after which it looks the log up again. (2) {@link #writeSeq} counts the
 * writer's completed write attempts (bumped after each, while pinned); {@link #forcedSeq} is the
 * largest {@code writeSeq} read before a force that then succeeded, so every byte of the first
 * {@code forcedSeq} writes is durable. A handle with {@code forcedSeq < writeSeq} is forced before
 * the cache closes it; a failed force there fails the partition exactly as a failed group-commit
 * fsync does. (3) A new handle opens only after the previous one is closed (and so forced), so an
 * fsync through the new descriptor never has to report an error of writes made through the old
 * one, and under SYNC a high watermark still moves only after a successful force of its bytes.
 * (4) An acknowledgement needs only the log durable ({@link #forceForAck}): the index of the active
 * segment is forced once per {@link #INDEX_FORCE_ENTRIES} new entries, at roll and at close. After
 * a crash, recovery re-indexes the active segment from its last intact index entry by scanning
 * the frames (see {@link LogRecovery}), so an index behind its log costs a longer scan (at most
 * about {@code INDEX_FORCE_ENTRIES} index intervals), never a record; and an entry that reached the
 * disk before its frame is found not to check out and dropped.
 *
 * <p>Only the partition's active (last) segment is ever written, and only by the log writer thread;
 * the fields marked writer-owned are touched by that thread alone (or by recovery before the log is
 * published).
 */
final class Segment {
    private static final Logger LOG = LoggerFactory.getLogger(Segment.class);

    static final String LOG_SUFFIX = ".log";
    static final String INDEX_SUFFIX = ".index";
    static final int FILE_NAME_DIGITS = 20;

    final long baseOffset;
    final Path logPath;
    final Path indexPath;
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
    /** The journal file whose retirement will force this segment (set once per file). Writer-owned. */
    CommitJournal.JournalFile journaledIn;

    /** The current opening of the files, or null; replaced under this monitor only. */
    private volatile SegmentFiles files;
    /** Completed write attempts (see the class invariants). Incremented by the writer only. */
    private volatile long writeSeq;
    /** The writeSeq covered by the last successful force of both files. */
    private final AtomicLong forcedSeq = new AtomicLong();
    /** The writeSeq covered by the last successful force of the log file ({@code >= forcedSeq}). */
    private final AtomicLong logForcedSeq = new AtomicLong();
    /** Index entries known durable: the count before the last successful index force. */
    private volatile int indexForcedCount;

    /**
     * New index entries after which an acknowledging force also forces the index (see invariant
     * 4): with the default 4 KiB index interval, a crash re-scans at most about 1 MiB of the log.
     */
    static final int INDEX_FORCE_ENTRIES = 256;

    /** Set once by {@link #attach}, before the segment is published to other threads. */
    private PartitionLog owner;

    private SegmentFileCache cache;
    /** Deleted or its log closed: never opened again. Guarded by this. */
    private boolean retired;

    Segment(long baseOffset, Path logPath, Path indexPath, OffsetIndex index) {
        this.baseOffset = baseOffset;
        this.logPath = logPath;
        this.indexPath = indexPath;
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
        return parseFileNumber(fileName, LOG_SUFFIX);
    }

    /**
     * Parses the number of a file named as {@link #fileName} names them ({@code FILE_NAME_DIGITS}
     * decimal digits, then {@code suffix}), or -1 if it is not such a name.
     */
    static long parseFileNumber(String fileName, String suffix) {
        if (!fileName.endsWith(suffix) || fileName.length() != FILE_NAME_DIGITS + suffix.length()) {
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

    /**
     * Creates the empty files of a new segment (the caller syncs the directory) and closes them again:
     * the segment opens them through the cache on first use.
     */
    static Segment create(Path dir, long baseOffset, LogFileIO io) throws IOException {
        Segment segment = new Segment(
                baseOffset,
                dir.resolve(fileName(baseOffset, LOG_SUFFIX)),
                dir.resolve(fileName(baseOffset, INDEX_SUFFIX)),
                new OffsetIndex());
        SegmentFiles created = SegmentFiles.open(segment, io);
        created.close();
        return segment;
    }

    /** Binds a recovered or created segment to its log and the manager's cache of open files. */
    void attach(PartitionLog owner, SegmentFileCache cache) {
        this.owner = owner;
        this.cache = cache;
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

    /**
     * Pins the segment's files, opening them (and so perhaps closing another segment's) if they are
     * closed. The caller must {@link SegmentFiles#unpin} in a finally block.
     *
     * @throws java.nio.channels.ClosedChannelException if the segment was deleted or its log closed
     */
    SegmentFiles pin() throws IOException {
        SegmentFiles f = files;
        if (f != null && f.tryPin()) {
            return f;
        }
        return pinSlow(-1);
    }

    /**
     * @param cleanAt if >= 0, return null instead of opening when {@code forcedSeq} reaches it (a
     *                force that finds its bytes already forced by an eviction need not reopen)
     */
    private SegmentFiles pinSlow(long cleanAt) throws IOException {
        synchronized (this) {
            while (true) {
                if (retired) {
                    throw new ClosedChannelException();
                }
                SegmentFiles current = files;
                if (current != null) {
                    if (current.tryPin()) {
                        return current;
                    }
                    // Retired by the cache: its force and close must finish before a new handle
                    // exists (invariant 3). The evicting thread never needs this monitor.
                    current.awaitReleased();
                    files = null;
                    continue;
                }
                if (cleanAt >= 0 && forcedSeq.get() >= cleanAt) {
                    return null;
                }
                if (cache == null) {
                    throw new IllegalStateException(this + " is not attached to a log");
                }
                SegmentFiles fresh = SegmentFiles.open(this, cache.io());
                fresh.tryPin();
                files = fresh;
                cache.admit(fresh);
                return fresh;
            }
        }
    }

    PartitionLog owner() {
        return owner;
    }

    /** Writer: one write attempt (successful or not) through a pinned handle has ended. */
    void noteWrite() {
        writeSeq++;
    }

    /**
     * Forces what was written so far, the log before the index (an index entry is never durable
     * before its frame). Does nothing, and opens nothing, if it is already forced (for example by
     * the eviction that closed the files).
     */
    void force() throws IOException {
        force(false);
    }

    /**
     * Forces what was written so far for an acknowledgement: the log, and the index only when
     * {@link #INDEX_FORCE_ENTRIES} entries are not yet known durable (invariant 4), so the common
     * group commit costs one fsync instead of two.
     */
    void forceForAck() throws IOException {
        force(true);
    }

    private void force(boolean forAck) throws IOException {
        long seq = writeSeq;
        if ((forAck ? logForcedSeq : forcedSeq).get() >= seq) {
            return;
        }
        SegmentFiles f = files;
        if (f == null || !f.tryPin()) {
            f = pinSlow(seq);
            if (f == null) {
                return;
            }
        }
        try {
            if (forAck && !indexForceDue()) {
                f.log.force();
                logForcedSeq.accumulateAndGet(seq, Math::max);
            } else {
                forceHandle(f, seq);
            }
        } finally {
            f.unpin();
        }
    }

    /** Enough index entries are not known durable (or the index was truncated since): force it too. */
    private boolean indexForceDue() {
        int entries = index.count();
        int known = indexForcedCount;
        return entries - known >= INDEX_FORCE_ENTRIES || entries < known;
    }

    private void forceHandle(SegmentFiles f, long seq) throws IOException {
        int entries = index.count(); // read before the force: every one of them is then durable
        f.log.force();
        logForcedSeq.accumulateAndGet(seq, Math::max);
        f.indexFile.force();
        forcedSeq.accumulateAndGet(seq, Math::max);
        // A roll racing the syncer may leave the lower count: the next index force just comes sooner.
        indexForcedCount = entries;
    }

    /**
     * The cache retired {@code victim} (no pins): force it if it holds unforced writes, then close
     * it. Runs on the thread whose open pushed the count over the cap.
     */
    void closeEvicted(SegmentFiles victim) {
        try {
            long seq = writeSeq;
            if (forcedSeq.get() < seq) {
                try {
                    forceHandle(victim, seq);
                } catch (IOException e) {
                    if (!(e instanceof ClosedChannelException && isRetired())) {
                        owner.failFsync(this, e);
                    }
                }
            }
        } finally {
            try {
                victim.close();
            } catch (IOException e) {
                LOG.warn("could not close {}", logPath, e);
            }
        }
    }

    private synchronized boolean isRetired() {
        return retired;
    }

    /**
     * Closes the files for good (the segment is being deleted or its log closed). A reader inside
     * a read gets a {@code ClosedChannelException} and looks the log up again.
     */
    void close() throws IOException {
        SegmentFiles f;
        synchronized (this) {
            retired = true;
            f = files;
            files = null;
        }
        if (f != null) {
            if (cache != null) {
                cache.remove(f);
            }
            f.retire();
        }
    }

    void delete(LogFileIO io) throws IOException {
        close();
        io.delete(logPath);
        io.delete(indexPath);
    }

    /** The files now open for this segment, or null (tests). */
    SegmentFiles openFiles() {
        SegmentFiles f = files;
        return f == null || f.isRetired() ? null : f;
    }

    @Override
    public String toString() {
        return logPath.toString();
    }
}
