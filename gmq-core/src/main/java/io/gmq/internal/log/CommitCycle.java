package io.gmq.internal.log;

import java.io.IOException;
import java.util.Arrays;

/**
 * What one group commit wrote and still has to finish: the segments to force, the high watermark
 * each partition may then publish, and the requests to complete, in the order they were written.
 * Recycled between cycles (two instances ping-pong between the writer and the syncer), so a cycle
 * allocates nothing once its arrays have grown.
 */
final class CommitCycle {
    private PartitionLog[] partitions = new PartitionLog[16];
    private Segment[] segments = new Segment[16];
    private long[] highWatermarks = new long[16];
    private int partitionCount;
    private AppendRequest[] requests = new AppendRequest[256];
    private int requestCount;

    /** Records that {@code log} wrote to {@code segment} up to offset {@code highWatermark} (exclusive). */
    void addWrite(PartitionLog log, Segment segment, long highWatermark) {
        if (partitionCount == partitions.length) {
            int n = partitionCount * 2;
            partitions = Arrays.copyOf(partitions, n);
            segments = Arrays.copyOf(segments, n);
            highWatermarks = Arrays.copyOf(highWatermarks, n);
        }
        partitions[partitionCount] = log;
        segments[partitionCount] = segment;
        highWatermarks[partitionCount] = highWatermark;
        partitionCount++;
    }

    void addRequest(AppendRequest request) {
        if (requestCount == requests.length) {
            requests = Arrays.copyOf(requests, requestCount * 2);
        }
        requests[requestCount++] = request;
    }

    boolean isEmpty() {
        return partitionCount == 0 && requestCount == 0;
    }

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
        Arrays.fill(requests, 0, requestCount, null);
        partitionCount = 0;
        requestCount = 0;
    }
}
