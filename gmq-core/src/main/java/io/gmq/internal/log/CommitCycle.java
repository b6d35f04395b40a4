package io.gmq.internal.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What one group commit wrote and still has to finish: the runs of frames written (which
 * partition, which segment, where, and the frames themselves, for the {@link CommitJournal}), the
 * high watermark each partition may then publish, and the requests to complete, in the order they
 * were written. Recycled between cycles (two instances ping-pong between the writer and the
 * syncer), so a cycle allocates nothing once its arrays have grown.
 *
 * <p>A cycle becomes durable in one of two ways: by forcing every segment it wrote ({@link
 * #force}), or, when the writer copied it into the commit journal ({@link #journalFile} set), by
 * forcing that one journal file.
 */
final class CommitCycle {
    private PartitionLog[] partitions = new PartitionLog[16];
    private Segment[] segments = new Segment[16];
    private long[] highWatermarks = new long[16];
    private int[] positions = new int[16];
    private int[] lengths = new int[16];
    /** Run i's frames are {@code frames[i == 0 ? 0 : frameEnds[i - 1] .. frameEnds[i])}. */
    private int[] frameEnds = new int[16];

    private int partitionCount;
    private int segmentCount;
    private long bytes;
    private ByteBuffer[] frames = new ByteBuffer[64];
    private int frameCount;
    private AppendRequest[] requests = new AppendRequest[256];
    private int requestCount;
    /** Appends that complete once written, not once durable (QoS 0 under SYNC). */
    private AppendRequest[] written = new AppendRequest[16];

    private int writtenCount;

    /** The journal file holding this cycle's entry, or null: the cycle then forces its segments. */
    CommitJournal.JournalFile journalFile;
    /** A journal file to retire once this cycle is complete (all its entries are then durable), or null. */
    CommitJournal.JournalFile retired;
    /** Checkpoint requests to complete after {@link #retired} is retired (rare: allocated when used). */
    private List<AppendRequest> checkpoints;

    /**
     * Records that {@code log} wrote {@code length} bytes to {@code segment} from {@code position}:
     * the frames {@code runFrames[0..n)}, ending at offset {@code highWatermark} (exclusive).
     */
    void addWrite(
            PartitionLog log,
            Segment segment,
            long highWatermark,
            int position,
            int length,
            ByteBuffer[] runFrames,
            int n) {
        if (partitionCount == partitions.length) {
            int size = partitionCount * 2;
            partitions = Arrays.copyOf(partitions, size);
            segments = Arrays.copyOf(segments, size);
            highWatermarks = Arrays.copyOf(highWatermarks, size);
            positions = Arrays.copyOf(positions, size);
            lengths = Arrays.copyOf(lengths, size);
            frameEnds = Arrays.copyOf(frameEnds, size);
        }
        if (frameCount + n > frames.length) {
            frames = Arrays.copyOf(frames, Math.max(frames.length * 2, frameCount + n));
        }
        if (partitionCount == 0 || segments[partitionCount - 1] != segment) {
            segmentCount++;
        }
        System.arraycopy(runFrames, 0, frames, frameCount, n);
        frameCount += n;
        partitions[partitionCount] = log;
        segments[partitionCount] = segment;
        highWatermarks[partitionCount] = highWatermark;
        positions[partitionCount] = position;
        lengths[partitionCount] = length;
        frameEnds[partitionCount] = frameCount;
        partitionCount++;
        bytes += length;
    }

    void addRequest(AppendRequest request) {
        if (requestCount == requests.length) {
            requests = Arrays.copyOf(requests, requestCount * 2);
        }
        requests[requestCount++] = request;
    }

    /** An append to complete as soon as the cycle's writes are done (see {@link #completeWritten}). */
    void addWritten(AppendRequest request) {
        if (writtenCount == written.length) {
            written = Arrays.copyOf(written, writtenCount * 2);
        }
        written[writtenCount++] = request;
    }

    /**
     * Completes the appends that wait only for their write. The writer calls it after the journal
     * has its copy: a completed append's buffer goes back to its producer.
     */
    void completeWritten() {
        for (int i = 0; i < writtenCount; i++) {
            written[i].future.complete(written[i].result);
            written[i] = null;
        }
        writtenCount = 0;
    }

    void addCheckpoints(List<AppendRequest> requests) {
        checkpoints = new ArrayList<>(requests);
    }

    /** The checkpoint requests of this cycle, or null; the cycle forgets them. */
    List<AppendRequest> takeCheckpoints() {
        List<AppendRequest> taken = checkpoints;
        checkpoints = null;
        return taken;
    }

    boolean isEmpty() {
        return partitionCount == 0 && requestCount == 0;
    }

    // ---- the runs, for the journal ----

    /** Runs written. */
    int runCount() {
        return partitionCount;
    }

    /** Distinct segments written (one force each, unless journaled). */
    int segmentCount() {
        return segmentCount;
    }

    /** Batch frames written (in every run). */
    int frameCount() {
        return frameCount;
    }

    /** Bytes written to segments. */
    long bytes() {
        return bytes;
    }

    PartitionLog log(int run) {
        return partitions[run];
    }

    Segment segment(int run) {
        return segments[run];
    }

    int position(int run) {
        return positions[run];
    }

    int length(int run) {
        return lengths[run];
    }

    int firstFrame(int run) {
        return run == 0 ? 0 : frameEnds[run - 1];
    }

    int endFrame(int run) {
        return frameEnds[run];
    }

    ByteBuffer frame(int index) {
        return frames[index];
    }

    // ---- the syncer ----

    /**
     * Forces every segment written in this cycle for acknowledgement (once each, even if several
     * partitions share nothing but the device; the log file, the index only now and then: see
     * {@link Segment#forceForAck}). It skips a segment already forced past this
     * cycle's writes: by a force that started after them (the previous cycle's, if the writer was
     * quick) or by the eviction that closed its files. A failed force poisons its partition: its bytes may or may not be
     * on disk, so nothing more is acknowledged for it until it is reopened and recovered.
     */
    void force() {
        for (int i = 0; i < partitionCount; i++) {
            Segment s = segments[i];
            if (i > 0 && segments[i - 1] == s) {
                continue;
            }
            try {
                s.forceForAck();
            } catch (IOException e) {
                partitions[i].failFsync(s, e);
            }
        }
    }

    /** Publishes the high watermarks, then completes the requests (a completed append is readable). */
    void complete() {
        for (int i = 0; i < partitionCount; i++) {
            partitions[i].publishHighWatermark(highWatermarks[i]);
        }
        for (int i = 0; i < requestCount; i++) {
            AppendRequest r = requests[i];
            if (r.isBarrier()) {
                r.future.complete(null);
            } else if (r.log.failure() != null) {
                r.future.completeExceptionally(r.log.failure());
            } else {
                r.future.complete(r.result);
            }
        }
    }

    void clear() {
        Arrays.fill(partitions, 0, partitionCount, null);
        Arrays.fill(segments, 0, partitionCount, null);
        Arrays.fill(frames, 0, frameCount, null);
        Arrays.fill(requests, 0, requestCount, null);
        partitionCount = 0;
        segmentCount = 0;
        frameCount = 0;
        bytes = 0;
        requestCount = 0;
        journalFile = null;
        retired = null;
    }
}
