package io.gmq.internal.log;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.TopicPartition;
import io.gmq.storage.AppendResult;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchFrame;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write side of one {@link PartitionLog}: validates a producer's frame and queues it to the
 * {@link LogWriter}, then, on the writer thread, assigns offsets, seals the frames in place,
 * writes them with one gather write per segment run, rolls the active segment, and forces it for
 * the INTERVAL policy.
 *
 * <p>Threads. {@link #append} (with its validation) runs on producer threads and touches no
 * writer-owned state: it reads the log's volatile {@code closed} and {@code failure} and offers
 * the request to the writer's queue. Everything else runs on the writer thread alone, which owns
 * {@link #active}, {@link #nextOffset} and the pending/gather arrays; no lock guards them. A roll
 * publishes the new segment to readers by replacing the log's volatile segment array under the
 * log's {@code segmentsLock} (retention replaces it too), and only then makes it the active one.
 * The high watermark is not moved here: the {@link CommitCycle} publishes it once the bytes are
 * durable under the flush policy.
 */
final class PartitionAppender {
    /** Logs under the partition log's name, as before the write side had a class of its own. */
    private static final Logger LOG = LoggerFactory.getLogger(PartitionLog.class);

    private final PartitionLog log;
    private final TopicPartition tp;
    private final LogManager manager;
    /** Replaced when the topic's settings change ({@link PartitionLog#settings(LogSettings)}). */
    private volatile LogSettings settings;

    // writer-owned
    private Segment active;
    private long nextOffset;
    private AppendRequest[] pending = new AppendRequest[64];
    private int pendingCount;
    private ByteBuffer[] gather = new ByteBuffer[64];
    private final BatchFrame writerCursor = new BatchFrame();
    /** The deduplication state of idempotent producers; writer-owned once the log is open. */
    private final ProducerStates producers;

    void settings(LogSettings s) {
        this.settings = s;
    }

    PartitionAppender(
            PartitionLog log,
            LogManager manager,
            LogSettings settings,
            Segment active,
            long nextOffset,
            ProducerStates producers) {
        this.log = log;
        this.producers = producers;
        this.tp = log.topicPartition();
        this.manager = manager;
        this.settings = settings;
        this.active = active;
        this.nextOffset = nextOffset;
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
        GmqException error = log.closed ? log.closedError() : log.failure;
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
        AppendRequest request = new AppendRequest(
                log,
                owned.order(BatchFormat.ORDER),
                awaitDurable,
                manager.config().timeSource().wallMillis());
        if (!manager.writer().offer(request)) {
            return CompletableFuture.failedFuture(log.closedError());
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
        BatchFrame f = PartitionLog.CALLER_CURSOR.get().wrap(frame, start);
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

    /** The deduplication state (writer-owned: read it only while no append is in flight, as tests do). */
    ProducerStates producers() {
        return producers;
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
        GmqException refuse = log.closed ? log.closedError() : log.failure;
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
                    failFrom(i, log.classify(e, "roll a new segment in"));
                    break;
                }
                seg = active;
            }
            SegmentFiles files;
            try {
                files = seg.pin();
            } catch (IOException e) {
                failFrom(i, log.classify(e, "open"));
                break;
            }
            int runStart = i;
            int startPosition = seg.writePosition;
            long startOffset = nextOffset;
            int indexCount = seg.index.count();
            long maxTimestamp = seg.maxTimestamp;
            long position = startPosition;
            int n = 0;
            producers.beginRun();
            while (i < pendingCount) {
                AppendRequest r = pending[i];
                int length = r.frame.remaining();
                if (i > runStart && position + length > settings.segmentBytes()) {
                    break;
                }
                BatchFrame f = writerCursor.wrap(r.frame, 0);
                if (f.hasProducer() && deduplicated(i, r, f, now)) {
                    i++; // answered from the window (a duplicate) or refused: nothing to write
                    continue;
                }
                f.seal(nextOffset, r.callerMillis);
                if (f.hasProducer()) {
                    producers.record(
                            f.producerId(),
                            f.producerEpoch(),
                            f.baseSequence(),
                            f.recordCount(),
                            nextOffset,
                            r.callerMillis);
                }
                maxTimestamp = Math.max(maxTimestamp, f.maxTimestamp());
                seg.maybeIndex(nextOffset, (int) position, maxTimestamp, settings.indexIntervalBytes());
                int count = f.recordCount();
                r.result = new AppendResult(nextOffset, count, now);
                nextOffset += count;
                gather[n++] = r.frame;
                position += length;
                i++;
            }
            if (n > 0) {
                try {
                    files.log.write(gather, 0, n, startPosition);
                    seg.index.writePending(files.indexFile);
                } catch (IOException e) {
                    Arrays.fill(gather, 0, n, null);
                    rollBack(seg, files, startPosition, indexCount, e);
                    nextOffset = startOffset;
                    producers.rollbackRun();
                    failFrom(runStart, log.classify(e, "write to"));
                    break;
                } finally {
                    seg.noteWrite();
                    files.unpin();
                }
                cycle.addWrite(log, seg, nextOffset, startPosition, (int) (position - startPosition), gather, n);
                log.assignedEnd = nextOffset;
                log.meters.written(nextOffset - startOffset, position - startPosition);
                Arrays.fill(gather, 0, n, null);
                if (seg.writePosition == 0) {
                    seg.firstAppendMillis = now;
                }
                seg.writePosition = (int) position;
                seg.writtenPosition = (int) position;
                seg.maxTimestamp = maxTimestamp;
            } else {
                files.unpin();
            }
            producers.commitRun();
            for (int k = runStart; k < i; k++) {
                AppendRequest r = pending[k];
                pending[k] = null;
                if (r == null) {
                    continue; // refused by the deduplication window, already failed
                }
                // Under SYNC a QoS 0 append completes after the write, not the fsync (its bytes
                // become readable with the fsync). Otherwise every append completes with the
                // cycle, right after its high watermark is published, so it is readable at once.
                // A duplicate completes with the cycle too: after the cycle that wrote the original.
                if (r.awaitDurable || !settings.syncBeforeAck()) {
                    cycle.addRequest(r);
                } else {
                    cycle.addWritten(r);
                }
            }
        }
        pendingCount = 0;
    }

    /**
     * Decides an idempotent batch against the window: true if it is not to be written, either a
     * duplicate (its result is the original offsets; it completes with this cycle, after the
     * cycle that made the original durable) or refused (failed now, and taken out of pending).
     */
    private boolean deduplicated(int index, AppendRequest r, BatchFrame f, long now) {
        long original;
        try {
            original = producers.check(
                    f.producerId(), f.producerEpoch(), f.baseSequence(), f.recordCount(), r.callerMillis);
        } catch (GmqException refused) {
            r.future.completeExceptionally(refused);
            pending[index] = null;
            return true;
        }
        if (original == ProducerStates.APPEND) {
            return false;
        }
        r.result = new AppendResult(original, f.recordCount(), now);
        return true;
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
            if (r == null) {
                continue; // refused by the deduplication window, already failed
            }
            r.result = null;
            r.future.completeExceptionally(error);
            pending[k] = null;
        }
        pendingCount = 0;
    }

    /** Seals the active segment (forced, so it is complete on disk) and starts a new one at nextOffset. */
    private void roll() throws IOException {
        Segment old = active;
        old.force();
        Segment fresh = Segment.create(log.dir(), nextOffset, manager.io());
        fresh.attach(log, manager.fileCache());
        try {
            manager.io().syncDirectory(log.dir());
        } catch (IOException e) {
            fresh.delete(manager.io());
            throw e;
        }
        synchronized (log.segmentsLock) {
            Segment[] current = log.segments;
            Segment[] next = Arrays.copyOf(current, current.length + 1);
            next[current.length] = fresh;
            log.segments = next;
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
            log.failFsync(active, e);
        }
    }
}
