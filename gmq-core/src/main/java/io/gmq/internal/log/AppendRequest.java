package io.gmq.internal.log;

import io.gmq.storage.AppendResult;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * One batch on its way from a producer thread to the log writer. The frame is the producer's
 * buffer, sliced to the frame: the log seals it in place and gathers it into the write, so the
 * bytes are never copied on the way to the file. A request with a null log is a barrier: it
 * completes once everything queued before it has completed. A checkpoint is a barrier that also
 * retires the current commit journal file and completes once that is done.
 */
final class AppendRequest {
    final PartitionLog log;
    final ByteBuffer frame;
    final boolean awaitDurable;
    final boolean checkpoint;
    final CompletableFuture<AppendResult> future = new CompletableFuture<>();
    /**
     * The storage clock when the append was called, on the caller's thread: an idempotent batch is
     * decided and stamped with it ({@link ProducerStates}), so a replica, whose clock is that of the
     * entry it applies, decides the same as every other.
     */
    final long callerMillis;
    /** Set by the writer once offsets are assigned and the bytes are written. */
    AppendResult result;

    AppendRequest(PartitionLog log, ByteBuffer frame, boolean awaitDurable) {
        this(log, frame, awaitDurable, false, 0L);
    }

    AppendRequest(PartitionLog log, ByteBuffer frame, boolean awaitDurable, long callerMillis) {
        this(log, frame, awaitDurable, false, callerMillis);
    }

    private AppendRequest(
            PartitionLog log, ByteBuffer frame, boolean awaitDurable, boolean checkpoint, long callerMillis) {
        this.log = log;
        this.callerMillis = callerMillis;
        this.frame = frame;
        this.awaitDurable = awaitDurable;
        this.checkpoint = checkpoint;
    }

    static AppendRequest barrier() {
        return new AppendRequest(null, null, true, false, 0L);
    }

    static AppendRequest checkpoint() {
        return new AppendRequest(null, null, true, true, 0L);
    }

    boolean isBarrier() {
        return log == null;
    }
}
