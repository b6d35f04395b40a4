package io.gmq.internal.log;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.PartitionInfo;
import io.gmq.TopicPartition;
import io.gmq.storage.AppendResult;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchFrame;
import io.gmq.storage.BatchReader;
import io.gmq.storage.FetchResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log of one topic-partition: an ordered list of {@link Segment}s in
 * {@code <dataDir>/logs/<topic>/<partition>/}, of which only the last (active) one is written.
 *
 * <p>Threads. Producers call {@link #append} (validation runs on their thread, then the request is
 * queued to the {@link LogWriter}). The writer thread alone assigns offsets, seals frames, writes,
 * and rolls segments (the "writer-owned" fields). Readers call {@link #read}/{@link #fetch} on any
 * thread: they see {@link #highWatermark} (volatile; one past the last committed record), the
 * volatile {@link #segments} array (replaced as a whole on roll and retention) and each segment's
 * volatile written position, and read with positional reads, so they never lock against the
 * writer. Every frame a read returns is complete, below the high watermark, and has just passed
 * its CRC check.
 *
 * <p>Open files. A segment's files are open only while the manager's {@link SegmentFileCache} keeps
 * them (at most {@code maxOpenFiles} for the whole manager); every read, write and force pins the
 * segment's current handle for its duration ({@link Segment#pin}), reopening it if the cache closed
 * it. The cache closes only unpinned handles, so a read never fails or returns other bytes because
 * of an eviction; the only closed-file error a read can meet is the segment being deleted by
 * retention or the log closing, after which it looks the log up again. An evicted handle with
 * unforced writes is forced before it closes, and a failed force there fails the partition like a
 * failed group-commit fsync; so under SYNC the high watermark still moves only past forced bytes.
 */
public final class PartitionLog {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionLog.class);

    private final TopicPartition tp;
    /** The topic name in UTF-8, as the commit journal records it. */
    private final byte[] topicBytes;

    private final Path dir;
    private final LogManager manager;
    private final LogSettings settings;
    private final Object segmentsLock = new Object();

    private volatile Segment[] segments;
    private volatile long logStartOffset;
    private volatile long highWatermark;
    /** No new appends or reads; set first on close and on topic deletion. */
    private volatile boolean closed;
    /** The files are closed (guarded by segmentsLock). */
    private boolean filesClosed;

    private volatile GmqException failure;

    /**
     * The frame cursor of the threads that call {@link #append} (validation) and {@link #read}
     * (header scans): many threads, each with its own, none allocated per call.
     */
    private static final ThreadLocal<BatchFrame> CALLER_CURSOR = ThreadLocal.withInitial(BatchFrame::new);

    // writer-owned
    private Segment active;
    private long nextOffset;
    private AppendRequest[] pending = new AppendRequest[64];
    private int pendingCount;
    private ByteBuffer[] gather = new ByteBuffer[64];
    private final BatchFrame writerCursor = new BatchFrame();
    /** Written since the last force (INTERVAL policy bookkeeping of the writer). */
    boolean unforced;

    // long-poll fetches waiting for the high watermark to pass their offset
    private final List<FetchWaiter> waiters = new ArrayList<>();
    private volatile int waiterCount;
    /**
     * The one pending timeout sweep of this partition's waiters and when it runs (guarded by
     * waiters): waiters are not given a timer each, so a long poll that data ends costs no timer
     * to schedule and cancel.
     */
    private ScheduledFuture<?> sweep;

    private long sweepAtNanos;
    private final Runnable sweepTask = this::sweepExpiredWaiters;

    PartitionLog(
            TopicPartition tp, Path dir, LogManager manager, LogSettings settings, LogRecovery.Recovered recovered) {
        this.tp = tp;
        this.topicBytes = tp.topic().getBytes(StandardCharsets.UTF_8);
        this.dir = dir;
        this.manager = manager;
        this.settings = settings;
        List<Segment> list = recovered.segments();
        this.segments = list.toArray(new Segment[0]);
        for (Segment s : segments) {
            s.attach(this, manager.fileCache());
        }
        this.active = segments[segments.length - 1];
        this.nextOffset = recovered.nextOffset();
        this.highWatermark = recovered.nextOffset();
        this.logStartOffset = segments[0].baseOffset;
    }

    public TopicPartition topicPartition() {
        return tp;
    }

    byte[] topicBytes() {
        return topicBytes;
    }

    // ---- append (producer threads) ------------------------------------------------------------

    /**
     * Appends one unsealed batch frame (the bytes from {@code frame}'s position to its limit). The
     * frame is validated here, on the caller's thread; a rejected frame changes nothing. The
     * buffer belongs to the log until the returned future completes: the log seals it in place.
     *
     * <p>The future completes on the log's writer or syncer thread: do not block in a dependent
     * stage attached with a non-async method.
     *
     * @param awaitDurable complete only once the bytes are durable under the flush policy (QoS 1);
     *                     if false, complete once written (QoS 0)
     */
    public CompletableFuture<AppendResult> append(ByteBuffer frame, boolean awaitDurable) {
        GmqException error = closed ? closedError() : failure;
        if (error == null) {
            error = validate(frame);
        }
        if (error != null) {
            return CompletableFuture.failedFuture(error);
        }
        // The log seals the frame in place; a read-only buffer is the one case that needs a copy.
        ByteBuffer owned = frame.isReadOnly()
                ? ByteBuffer.allocate(frame.remaining()).put(frame.duplicate()).flip()
                : frame.slice();
        AppendRequest request = new AppendRequest(this, owned.order(BatchFormat.ORDER), awaitDurable);
        if (!manager.writer().offer(request)) {
            return CompletableFuture.failedFuture(closedError());
        }
        return request.future;
    }

    /**
     * Checks a producer's frame before anything is appended, in this order: it is exactly one
     * whole frame, within maxBatchBytes, its producer CRC holds (a CRC of 0 was not computed and is
     * not checked), and its header and records are well formed with every record within
     * maxMessageBytes. The CRC comes before the records: a frame whose bytes changed on the way
     * is reported as damaged (DATA_LOSS), not as malformed.
     */
    private GmqException validate(ByteBuffer frame) {
        int start = frame.position();
        int available = frame.remaining();
        BatchFrame f = CALLER_CURSOR.get().wrap(frame, start);
        String bad = f.lengthProblem(available);
        if (bad != null) {
            return GmqException.invalidArgument(tp + ": " + bad);
        }
        int length = f.frameLength();
        if (length != available) {
            return GmqException.invalidArgument(tp + ": batch of " + length + " bytes is followed by "
                    + (available - length) + " extra bytes; send exactly one frame");
        }
        if (length > settings.maxBatchBytes()) {
            return new GmqException(
                    ErrorCode.RESOURCE_EXHAUSTED,
                    "batch of " + length
                            + " bytes exceeds the maximum batch size of " + settings.maxBatchBytes()
                            + " bytes (maxBatchBytes); send smaller batches");
        }
        if (!f.producerCrcHolds()) {
            return new GmqException(
                    ErrorCode.DATA_LOSS,
                    tp + ": batch CRC32C 0x" + Integer.toHexString(f.crc()) + " does not match its bytes (0x"
                            + Integer.toHexString(f.computeCrc())
                            + "): it was damaged after the producer built it; nothing was appended, send it again");
        }
        bad = f.recordsProblem();
        if (bad != null) {
            return GmqException.invalidArgument(tp + ": " + bad);
        }
        int largest = f.largestRecordBytes();
        if (largest > settings.maxMessageBytes()) {
            return new GmqException(
                    ErrorCode.RESOURCE_EXHAUSTED,
                    "record of " + largest
                            + " bytes exceeds the maximum message size of " + settings.maxMessageBytes()
                            + " bytes (maxMessageBytes)");
        }
        return null;
    }

    // ---- writer thread ------------------------------------------------------------------------

    boolean hasPending() {
        return pendingCount > 0;
    }

    void addPending(AppendRequest r) {
        if (pendingCount == pending.length) {
            pending = Arrays.copyOf(pending, pendingCount * 2);
            gather = new ByteBuffer[pending.length];
        }
        pending[pendingCount++] = r;
    }

    void failPending(GmqException error) {
        for (int i = 0; i < pendingCount; i++) {
            if (pending[i] != null) {
                pending[i].future.completeExceptionally(error);
                pending[i] = null;
            }
        }
        pendingCount = 0;
    }

    /**
     * Writes this cycle's pending batches: assigns offsets, seals, rolls the segment when the next
     * batch would pass segmentBytes or the segment is older than segmentAge, and writes each run
     * of batches that goes to one segment with one gather write. A failed write truncates the
     * segment (and index) back to where the run started, so nothing acknowledged is touched, and
     * fails this run's and the rest of the cycle's requests of this partition.
     */
    void writePending(CommitCycle cycle, long now) {
        GmqException refuse = closed ? closedError() : failure;
        if (refuse != null) {
            failPending(refuse);
            return;
        }
        int i = 0;
        while (i < pendingCount) {
            Segment seg = active;
            int firstLength = pending[i].frame.remaining();
            if (seg.writePosition > 0
                    && ((long) seg.writePosition + firstLength > settings.segmentBytes()
                            || now - seg.firstAppendMillis >= settings.segmentAgeMillis())) {
                try {
                    roll();
                } catch (IOException e) {
                    failFrom(i, classify(e, "roll a new segment in"));
                    break;
                }
                seg = active;
            }
            SegmentFiles files;
            try {
                files = seg.pin();
            } catch (IOException e) {
                failFrom(i, classify(e, "open"));
                break;
            }
            int runStart = i;
            int startPosition = seg.writePosition;
            long startOffset = nextOffset;
            int indexCount = seg.index.count();
            long maxTimestamp = seg.maxTimestamp;
            long position = startPosition;
            int n = 0;
            while (i < pendingCount) {
                AppendRequest r = pending[i];
                int length = r.frame.remaining();
                if (i > runStart && position + length > settings.segmentBytes()) {
                    break;
                }
                BatchFrame f = writerCursor.wrap(r.frame, 0).seal(nextOffset);
                maxTimestamp = Math.max(maxTimestamp, f.maxTimestamp());
                seg.maybeIndex(nextOffset, (int) position, maxTimestamp, settings.indexIntervalBytes());
                int count = f.recordCount();
                r.result = new AppendResult(nextOffset, count, now);
                nextOffset += count;
                gather[n++] = r.frame;
                position += length;
                i++;
            }
            try {
                files.log.write(gather, 0, n, startPosition);
                seg.index.writePending(files.indexFile);
            } catch (IOException e) {
                Arrays.fill(gather, 0, n, null);
                rollBack(seg, files, startPosition, indexCount, e);
                nextOffset = startOffset;
                failFrom(runStart, classify(e, "write to"));
                break;
            } finally {
                seg.noteWrite();
                files.unpin();
            }
            cycle.addWrite(this, seg, nextOffset, startPosition, (int) (position - startPosition), gather, n);
            Arrays.fill(gather, 0, n, null);
            if (seg.writePosition == 0) {
                seg.firstAppendMillis = now;
            }
            seg.writePosition = (int) position;
            seg.writtenPosition = (int) position;
            seg.maxTimestamp = maxTimestamp;
            for (int k = runStart; k < i; k++) {
                AppendRequest r = pending[k];
                // Under SYNC a QoS 0 append completes after the write, not the fsync (its bytes
                // become readable with the fsync). Otherwise every append completes with the
                // cycle, right after its high watermark is published, so it is readable at once.
                if (r.awaitDurable || !settings.syncBeforeAck()) {
                    cycle.addRequest(r);
                } else {
                    cycle.addWritten(r);
                }
                pending[k] = null;
            }
        }
        pendingCount = 0;
    }

    /** Called with {@code files} still pinned (the caller unpins after it). */
    private void rollBack(Segment seg, SegmentFiles files, int startPosition, int indexCount, IOException cause) {
        try {
            files.log.truncate(startPosition);
            seg.index.truncateTo(indexCount, files.indexFile);
        } catch (IOException e) {
            // The next write overwrites from startPosition anyway, and recovery drops a tail that
            // does not check out, so a failed truncate costs nothing acknowledged.
            cause.addSuppressed(e);
            LOG.warn("{}: could not truncate {} back to {} after a failed write", tp, seg.logPath, startPosition, e);
        }
    }

    private void failFrom(int from, GmqException error) {
        for (int k = from; k < pendingCount; k++) {
            AppendRequest r = pending[k];
            r.result = null;
            r.future.completeExceptionally(error);
            pending[k] = null;
        }
        pendingCount = 0;
    }

    private GmqException classify(IOException e, String action) {
        String message = String.valueOf(e.getMessage());
        if (message.contains("No space left") || message.contains("Disk quota exceeded")) {
            return new GmqException(
                    ErrorCode.RESOURCE_EXHAUSTED,
                    tp + ": disk full, could not " + action + " the log (" + message
                            + "); the batch was not stored. Free disk space or lower retention, then retry",
                    e);
        }
        if (message.contains("Too many open files")) {
            return new GmqException(
                    ErrorCode.RESOURCE_EXHAUSTED,
                    tp + ": could not " + action
                            + " the log: the process is out of file descriptors; raise the limit (ulimit -n) or"
                            + " lower maxOpenFiles (now " + manager.fileCache().maxOpenFiles() + ")",
                    e);
        }
        return new GmqException(ErrorCode.INTERNAL, tp + ": could not " + action + " the log: " + e, e);
    }

    /** Seals the active segment (forced, so it is complete on disk) and starts a new one at nextOffset. */
    private void roll() throws IOException {
        Segment old = active;
        old.force();
        Segment fresh = Segment.create(dir, nextOffset, manager.io());
        fresh.attach(this, manager.fileCache());
        try {
            manager.io().syncDirectory(dir);
        } catch (IOException e) {
            fresh.delete(manager.io());
            throw e;
        }
        synchronized (segmentsLock) {
            Segment[] current = segments;
            Segment[] next = Arrays.copyOf(current, current.length + 1);
            next[current.length] = fresh;
            segments = next;
        }
        active = fresh;
    }

    /** INTERVAL policy: force the active segment now. */
    void forceActive() {
        try {
            active.force();
        } catch (ClosedChannelException e) {
            // deleted or closed meanwhile: nothing left to make durable
        } catch (IOException e) {
            failFsync(active, e);
        }
    }

    /**
     * An fsync failed: the kernel may have dropped the dirty pages, so what is on disk is unknown.
     * Stop acknowledging anything for this partition; reopening runs recovery, which finds out.
     */
    void failFsync(Segment segment, IOException e) {
        if (closed && e instanceof ClosedChannelException) {
            return;
        }
        LOG.error(
                "{}: fsync of {} failed; the partition stops accepting appends until it is reopened",
                tp,
                segment.logPath,
                e);
        failure = new GmqException(
                ErrorCode.INTERNAL,
                tp + ": fsync of " + segment.logPath.getFileName() + " failed (" + e.getMessage()
                        + "); restart to recover the partition",
                e);
    }

    GmqException failure() {
        return failure;
    }

    void publishHighWatermark(long hw) {
        if (failure != null || hw <= highWatermark) {
            return;
        }
        highWatermark = hw;
        if (waiterCount > 0) {
            wakeWaiters();
        }
    }

    // ---- reads (any thread) -------------------------------------------------------------------

    public long logStartOffset() {
        return logStartOffset;
    }

    public long highWatermark() {
        return highWatermark;
    }

    /** Bytes of all segment files of this partition (log files only). */
    public long sizeBytes() {
        long total = 0;
        for (Segment s : segments) {
            total += s.writtenPosition;
        }
        return total;
    }

    public PartitionInfo info() {
        long start = logStartOffset;
        return new PartitionInfo(tp, start, Math.max(start, highWatermark), sizeBytes());
    }

    /** Number of segments (for tests and metrics). */
    int segmentCount() {
        return segments.length;
    }

    Segment[] segments() {
        return segments;
    }

    /**
     * Whole frames from the one containing {@code offset}, up to about {@code maxBytes} (at least
     * one whole frame), never past the high watermark and never across a segment end. Below the
     * log start: an empty result with {@code outOfRange}. At the high watermark: empty. Past it:
     * INVALID_ARGUMENT. A frame that fails its CRC or does not continue the offsets: DATA_LOSS.
     */
    public FetchResult read(long offset, int maxBytes) {
        ensureOpen();
        for (int attempt = 0; ; attempt++) {
            try {
                return readOnce(offset, maxBytes);
            } catch (ClosedChannelException e) {
                // Retention deleted the segment under us (or the log closed): look again.
                ensureOpen();
                if (attempt >= 3) {
                    throw new GmqException(ErrorCode.UNAVAILABLE, tp + ": segment closed during read; retry", e);
                }
            } catch (IOException e) {
                GmqException classified = classify(e, "read offset " + offset + " from");
                throw classified.code() == ErrorCode.INTERNAL
                        ? new GmqException(ErrorCode.INTERNAL, tp + ": read at offset " + offset + " failed: " + e, e)
                        : classified;
            }
        }
    }

    private FetchResult readOnce(long offset, int maxBytes) throws IOException {
        long hw = highWatermark;
        long start = logStartOffset;
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
        Segment seg = segmentFor(segments, offset);
        if (seg == null) {
            long now = logStartOffset;
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
        BatchFrame frame = CALLER_CURSOR.get();
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
                return new FetchResult(buf, hw, logStartOffset, false);
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
        Segment[] segs = segments;
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
                        + " --to-offset " + resume + " (java -jar gmq.jar verify --data-dir <dir> lists all damage;"
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
     * Like {@link #read} but waits, up to {@code maxWaitMillis}, for data at {@code offset} if none
     * is readable yet; completes as soon as the high watermark passes it (no polling), or with an
     * empty result when the wait ends. A fetch that waits completes on the log's scheduler.
     */
    public CompletableFuture<FetchResult> fetch(long offset, int maxBytes, long maxWaitMillis) {
        return fetch(offset, maxBytes, maxWaitMillis, manager.scheduler());
    }

    /**
     * Like {@link #fetch(long, int, long)}, but a fetch that waits is read and completed by a task
     * on {@code wakeOn} when data arrives: the thread that makes the data visible (the log's syncer)
     * hands it straight to the consumer's executor, one thread hand-off instead of two. A result
     * ready at once completes on the calling thread.
     */
    public CompletableFuture<FetchResult> fetch(long offset, int maxBytes, long maxWaitMillis, Executor wakeOn) {
        FetchResult now;
        try {
            now = read(offset, maxBytes);
        } catch (GmqException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (!now.isEmpty() || now.outOfRange() || maxWaitMillis <= 0) {
            return CompletableFuture.completedFuture(now);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxWaitMillis);
        FetchWaiter waiter = new FetchWaiter(offset, maxBytes, deadline, wakeOn);
        synchronized (waiters) {
            if (!sweepNoLaterThan(deadline)) {
                return CompletableFuture.completedFuture(now); // shutting down: no wait
            }
            waiters.add(waiter);
            waiterCount = waiters.size();
        }
        if (highWatermark > offset || closed) {
            wakeWaiters(); // the data came while the waiter was parked
        }
        return waiter.future;
    }

    /**
     * Makes sure a sweep runs by {@code deadline}: keeps the pending one if it runs no later,
     * otherwise schedules an earlier one. False if the scheduler is shut down.
     */
    private boolean sweepNoLaterThan(long deadline) {
        if (sweep != null) {
            if (sweepAtNanos - deadline <= 0) {
                return true;
            }
            sweep.cancel(false);
        }
        try {
            sweep = manager.scheduler()
                    .schedule(sweepTask, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            sweepAtNanos = deadline;
            return true;
        } catch (RejectedExecutionException shuttingDown) {
            sweep = null;
            return false;
        }
    }

    /** Runs on the scheduler: ends the waits that are due (each on its executor), and books the next sweep if any remain. */
    private void sweepExpiredWaiters() {
        long now = System.nanoTime();
        List<FetchWaiter> due = null;
        synchronized (waiters) {
            sweep = null;
            long next = 0;
            boolean any = false;
            for (int i = waiters.size() - 1; i >= 0; i--) {
                FetchWaiter w = waiters.get(i);
                if (w.deadlineNanos - now <= 0) {
                    if (due == null) {
                        due = new ArrayList<>();
                    }
                    due.add(w);
                    waiters.remove(i);
                } else if (!any || w.deadlineNanos - next < 0) {
                    next = w.deadlineNanos;
                    any = true;
                }
            }
            waiterCount = waiters.size();
            if (any) {
                sweepNoLaterThan(next);
            }
        }
        if (due != null) {
            wakeAll(due);
        }
    }

    /** Hands every waiter the high watermark has passed to its executor (any thread). */
    private void wakeWaiters() {
        long hw = highWatermark;
        List<FetchWaiter> ready = null;
        synchronized (waiters) {
            for (int i = waiters.size() - 1; i >= 0; i--) {
                FetchWaiter w = waiters.get(i);
                if (w.offset < hw || closed) {
                    if (ready == null) {
                        ready = new ArrayList<>();
                    }
                    ready.add(w);
                    waiters.remove(i);
                }
            }
            waiterCount = waiters.size();
        }
        if (ready != null) {
            wakeAll(ready);
        }
    }

    private static void wakeAll(List<FetchWaiter> ready) {
        for (FetchWaiter w : ready) {
            try {
                w.wakeOn.execute(w);
            } catch (RejectedExecutionException shuttingDown) {
                w.complete();
            }
        }
    }

    /** A parked long-poll fetch; run on its executor when data arrives. */
    private final class FetchWaiter implements Runnable {
        final long offset;
        final int maxBytes;
        final long deadlineNanos;
        final Executor wakeOn;
        final CompletableFuture<FetchResult> future = new CompletableFuture<>();

        FetchWaiter(long offset, int maxBytes, long deadlineNanos, Executor wakeOn) {
            this.offset = offset;
            this.maxBytes = maxBytes;
            this.deadlineNanos = deadlineNanos;
            this.wakeOn = wakeOn;
        }

        @Override
        public void run() {
            complete();
        }

        void complete() {
            if (future.isDone()) {
                return;
            }
            try {
                future.complete(read(offset, maxBytes));
            } catch (GmqException e) {
                future.completeExceptionally(e);
            }
        }
    }

    /**
     * The first offset whose record timestamp is at or after {@code epochMillis}, or the high
     * watermark if there is none. Uses each segment's newest timestamp to pick the segment and the
     * index's running max timestamps to skip to the right place in it.
     */
    public long offsetForTimestamp(long epochMillis) {
        ensureOpen();
        long hw = highWatermark;
        for (Segment seg : segments) {
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

    // ---- retention and lifecycle ---------------------------------------------------------------

    /**
     * Deletes whole oldest segments whose newest record is older than retentionAge, then while the
     * partition holds more than retentionBytes. Never the active segment, and never a segment whose
     * records are not all below the high watermark. Moves logStartOffset before closing the files,
     * so a reader either sees the old start and still-open files, or the new start.
     */
    void applyRetention(long nowMillis) {
        List<Segment> dropped;
        synchronized (segmentsLock) {
            if (closed) {
                return;
            }
            Segment[] segs = segments;
            long total = 0;
            for (Segment s : segs) {
                total += s.writtenPosition;
            }
            long hw = highWatermark;
            int drop = 0;
            while (drop < segs.length - 1 && segs[drop + 1].baseOffset <= hw) {
                Segment s = segs[drop];
                boolean expired =
                        settings.retentionAgeMillis() > 0 && s.maxTimestamp < nowMillis - settings.retentionAgeMillis();
                boolean oversize = settings.retentionBytes() > 0 && total > settings.retentionBytes();
                if (!expired && !oversize) {
                    break;
                }
                total -= s.writtenPosition;
                drop++;
            }
            if (drop == 0) {
                return;
            }
            dropped = new ArrayList<>(Arrays.asList(segs).subList(0, drop));
            segments = Arrays.copyOfRange(segs, drop, segs.length);
            logStartOffset = segs[drop].baseOffset;
        }
        for (Segment s : dropped) {
            try {
                s.delete(manager.io());
            } catch (IOException e) {
                LOG.warn("{}: could not delete expired segment {}", tp, s.logPath, e);
            }
        }
        LOG.info("{}: retention deleted {} segment(s); log start offset is now {}", tp, dropped.size(), logStartOffset);
        try {
            manager.io().syncDirectory(dir);
        } catch (IOException e) {
            LOG.warn("{}: could not sync directory {}", tp, dir, e);
        }
    }

    /** Closes the files (after the writer has finished with this log); forces them first if asked. */
    void close(boolean force) {
        List<FetchWaiter> toWake;
        Segment[] segs;
        synchronized (segmentsLock) {
            if (filesClosed) {
                return;
            }
            filesClosed = true;
            closed = true;
            segs = segments;
        }
        synchronized (waiters) {
            toWake = new ArrayList<>(waiters);
            waiters.clear();
            waiterCount = 0;
        }
        for (FetchWaiter w : toWake) {
            w.future.completeExceptionally(closedError());
        }
        for (Segment s : segs) {
            if (force && s == segs[segs.length - 1]) {
                try {
                    s.force();
                } catch (IOException e) {
                    // Not clean: the commit journal and the shutdown marker must not count on it.
                    failFsync(s, e);
                }
            }
            try {
                s.close();
            } catch (IOException e) {
                LOG.warn("{}: error closing {}", tp, s.logPath, e);
            }
        }
    }

    /** Marks the log closed so new appends fail at once (the files close later in {@link #close}). */
    void markClosing() {
        closed = true;
    }

    Path dir() {
        return dir;
    }

    private void ensureOpen() {
        if (closed) {
            throw closedError();
        }
    }

    private GmqException closedError() {
        return new GmqException(ErrorCode.UNAVAILABLE, tp + ": the log is closed; reopen the engine and retry");
    }

    @Override
    public String toString() {
        return "PartitionLog[" + tp + ", start=" + logStartOffset + ", hw=" + highWatermark + "]";
    }
}
