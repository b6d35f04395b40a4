package io.gmq.internal.log;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.PartitionInfo;
import io.gmq.TopicPartition;
import io.gmq.storage.AppendResult;
import io.gmq.storage.BatchFrame;
import io.gmq.storage.FetchResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log of one topic-partition: an ordered list of {@link Segment}s in
 * {@code <dataDir>/logs/<topic>/<partition>/}, of which only the last (active) one is written.
 *
 * <p>This class is the partition's public surface and holds the state its parts share; each
 * capability is a class of its own:
 * <ul>
 *   <li>{@link PartitionAppender}: validation on the producer's thread, queuing to the writer, and
 *       on the writer thread offsets, sealing, gather writes and segment rolls;
 *   <li>{@link PartitionLogReader}: reads by offset through the sparse index, CRC checks, damage
 *       handling, lookups by timestamp;
 *   <li>{@link LongPollWaiters}: fetches parked until the high watermark passes their offset;
 *   <li>{@link SegmentRetention}: deletion of whole oldest segments by age and size.
 * </ul>
 *
 * <p>Threads. Producers call {@link #append} (validation runs on their thread, then the request is
 * queued to the {@link LogWriter}). The writer thread alone assigns offsets, seals frames, writes,
 * and rolls segments (the appender's "writer-owned" fields). Readers call {@link #read}/{@link
 * #fetch} on any thread: they see {@link #highWatermark} (volatile; one past the last committed
 * record), the volatile {@link #segments} array (replaced as a whole on roll and retention, under
 * {@link #segmentsLock}) and each segment's volatile written position, and read with positional
 * reads, so they never lock against the writer. Every frame a read returns is complete, below the
 * high watermark, and has just passed its CRC check. The shared fields below keep these rules
 * whichever part touches them: volatile fields are written whole, and every replacement of the
 * segment array or the log start offset happens under {@link #segmentsLock}.
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

    /**
     * The frame cursor of the threads that call {@link #append} (validation) and {@link #read}
     * (header scans): many threads, each with its own, none allocated per call.
     */
    static final ThreadLocal<BatchFrame> CALLER_CURSOR = ThreadLocal.withInitial(BatchFrame::new);

    private final TopicPartition tp;
    /** The topic name in UTF-8, as the commit journal records it. */
    private final byte[] topicBytes;

    private final Path dir;
    private final LogManager manager;
    /** This partition's topic's counters (shared with the topic's other partitions). */
    final LogMetrics.TopicMeters meters;

    // ---- state shared by the parts (see the class comment for who writes what) ---------------

    /** Guards replacing {@link #segments} and {@link #logStartOffset}, and {@link #filesClosed}. */
    final Object segmentsLock = new Object();

    volatile Segment[] segments;
    volatile long logStartOffset;
    /** One past the last committed record; written by the thread that completes a commit cycle. */
    volatile long highWatermark;
    /**
     * One past the last offset the writer has assigned (written, maybe not yet committed): at least
     * the end of every append whose future has completed. Written by the writer thread once per
     * write; read by a partition growth for its boundary ({@link #assignedEnd()}).
     */
    volatile long assignedEnd;
    /** No new appends or reads; set first on close and on topic deletion. */
    volatile boolean closed;
    /** The files are closed (guarded by segmentsLock). */
    private boolean filesClosed;

    volatile GmqException failure;

    /** Written since the last force (INTERVAL policy bookkeeping of the writer). */
    boolean unforced;

    private final PartitionAppender appender;
    private final PartitionLogReader reader;
    private final LongPollWaiters waiters;
    private final SegmentRetention retention;

    PartitionLog(
            TopicPartition tp, Path dir, LogManager manager, LogSettings settings, LogRecovery.Recovered recovered) {
        this.tp = tp;
        this.topicBytes = tp.topic().getBytes(StandardCharsets.UTF_8);
        this.dir = dir;
        this.manager = manager;
        this.meters = manager.metrics().topic(tp.topic());
        List<Segment> list = recovered.segments();
        this.segments = list.toArray(new Segment[0]);
        for (Segment s : segments) {
            s.attach(this, manager.fileCache());
        }
        this.highWatermark = recovered.nextOffset();
        this.assignedEnd = recovered.nextOffset();
        this.logStartOffset = segments[0].baseOffset;
        ProducerStates producers;
        try {
            producers = ProducerStateRecovery.rebuild(
                    tp,
                    segments,
                    settings.producerIdExpirationMillis(),
                    manager.config().timeSource().wallMillis());
        } catch (IOException e) {
            throw new GmqException(
                    ErrorCode.INTERNAL,
                    tp + ": cannot rebuild the idempotent producers' state from the log in " + dir + ": " + e,
                    e);
        }
        this.appender = new PartitionAppender(
                this, manager, settings, segments[segments.length - 1], recovered.nextOffset(), producers);
        this.reader = new PartitionLogReader(this);
        this.waiters = new LongPollWaiters(this, manager);
        this.retention = new SegmentRetention(this, manager, settings);
    }

    public TopicPartition topicPartition() {
        return tp;
    }

    /** The topic's settings changed: the next append, roll and retention check use {@code s}. */
    void settings(LogSettings s) {
        appender.settings(s);
        retention.settings(s);
    }

    byte[] topicBytes() {
        return topicBytes;
    }

    // ---- append (producer threads; see PartitionAppender) -------------------------------------

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
        return appender.append(frame, awaitDurable);
    }

    /** The idempotent producers' deduplication state; read it only while no append is in flight (tests). */
    ProducerStates producerStates() {
        return appender.producers();
    }

    // ---- writer thread ------------------------------------------------------------------------

    boolean hasPending() {
        return appender.hasPending();
    }

    void addPending(AppendRequest r) {
        appender.addPending(r);
    }

    void failPending(GmqException error) {
        appender.failPending(error);
    }

    /** See {@link PartitionAppender#writePending}. */
    void writePending(CommitCycle cycle, long now) {
        appender.writePending(cycle, now);
    }

    /** INTERVAL policy: force the active segment now. */
    void forceActive() {
        appender.forceActive();
    }

    /** An I/O error as the caller can act on it: disk full and out of file descriptors are RESOURCE_EXHAUSTED. */
    GmqException classify(IOException e, String action) {
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
        waiters.wakeIfWaiting();
    }

    // ---- reads (any thread) -------------------------------------------------------------------

    public long logStartOffset() {
        return logStartOffset;
    }

    public long highWatermark() {
        return highWatermark;
    }

    /**
     * One past the last offset assigned to a written batch, committed or not: once an append's
     * future completed, at least its end. A partition growth takes its boundary from here.
     */
    public long assignedEnd() {
        return Math.max(assignedEnd, highWatermark);
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
        return reader.read(offset, maxBytes);
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
        return waiters.fetch(offset, maxBytes, maxWaitMillis, wakeOn);
    }

    /**
     * The first offset whose record timestamp is at or after {@code epochMillis}, or the high
     * watermark if there is none. Uses each segment's newest timestamp to pick the segment and the
     * index's running max timestamps to skip to the right place in it.
     */
    public long offsetForTimestamp(long epochMillis) {
        return reader.offsetForTimestamp(epochMillis);
    }

    // ---- retention and lifecycle ---------------------------------------------------------------

    /** See {@link SegmentRetention#apply}. */
    void applyRetention(long nowMillis) {
        retention.apply(nowMillis);
    }

    /** Closes the files (after the writer has finished with this log); forces them first if asked. */
    void close(boolean force) {
        Segment[] segs;
        synchronized (segmentsLock) {
            if (filesClosed) {
                return;
            }
            filesClosed = true;
            closed = true;
            segs = segments;
        }
        waiters.failAllClosed();
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

    void ensureOpen() {
        if (closed) {
            throw closedError();
        }
    }

    GmqException closedError() {
        return new GmqException(ErrorCode.UNAVAILABLE, tp + ": the log is closed; reopen the engine and retry");
    }

    @Override
    public String toString() {
        return "PartitionLog[" + tp + ", start=" + logStartOffset + ", hw=" + highWatermark + "]";
    }
}
