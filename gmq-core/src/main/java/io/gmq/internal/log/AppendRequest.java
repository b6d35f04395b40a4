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
    /** Set by the writer once offsets are assigned and the bytes are written. */
    AppendResult result;

    AppendRequest(PartitionLog log, ByteBuffer frame, boolean awaitDurable) {
        this(log, frame, awaitDurable, false);
    }

    private AppendRequest(PartitionLog log, ByteBuffer frame, boolean awaitDurable, boolean checkpoint) {
        this.log = log;
        this.frame = frame;
        this.awaitDurable = awaitDurable;
        this.checkpoint = checkpoint;
    }

    static AppendRequest barrier() {
        return new AppendRequest(null, null, true, false);
    }

    static AppendRequest checkpoint() {
        return new AppendRequest(null, null, true, true);
    }

    boolean isBarrier() {
        return log == null;
    }
}
