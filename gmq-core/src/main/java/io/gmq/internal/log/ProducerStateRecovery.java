package io.gmq.internal.log;

import io.gmq.TopicPartition;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchFrame;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Rebuilds a partition's {@link ProducerStates} from its log when the log opens: every frame with
 * producer fields, oldest first, is {@link ProducerStates#record recorded} with the offsets and
 * append time it holds, which is exactly what the writer recorded when it appended the frame. So
 * the state after a restart (or on a replica restored from a checkpoint) is the state before it.
 *
 * <p>It runs after recovery, so the segments hold whole frames that passed their CRC check up to
 * their written positions. Segments are read in large chunks and only the headers are looked at.
 * Every segment is read: the state must not depend on anything but the log (file times differ
 * between replicas), so the cost is one sequential read of the partition per open.
 *
 * <p>What the log no longer holds is not rebuilt: a producer whose last batches were in segments
 * that retention deleted is unknown after a restart (its next batch is accepted whatever its
 * sequence), as it is once it expires.
 */
final class ProducerStateRecovery {
    private static final int CHUNK = 1 << 20;

    private ProducerStateRecovery() {}

    static ProducerStates rebuild(TopicPartition tp, Segment[] segments, long expirationMillis) throws IOException {
        ProducerStates states = new ProducerStates(tp, expirationMillis);
        ByteBuffer chunk = null;
        BatchFrame frame = new BatchFrame();
        for (Segment s : segments) {
            int end = s.writtenPosition;
            if (end == 0) {
                continue;
            }
            if (chunk == null) {
                chunk = ByteBuffer.allocate(CHUNK).order(BatchFormat.ORDER);
            }
            SegmentFiles files = s.pin();
            try {
                long position = 0;
                while (position < end) {
                    chunk.clear();
                    chunk.limit((int) Math.min(CHUNK, end - position));
                    while (chunk.hasRemaining()) {
                        if (files.log.read(chunk, position + chunk.position()) < 0) {
                            throw new IOException(s.logPath + " ended at " + (position + chunk.position())
                                    + ", before its recovered end " + end);
                        }
                    }
                    int limit = chunk.position();
                    int at = 0;
                    frame.wrap(chunk, at);
                    while (frame.fitsIn(limit)) {
                        if (frame.hasProducer()) {
                            states.record(
                                    frame.producerId(),
                                    frame.producerEpoch(),
                                    frame.baseSequence(),
                                    frame.recordCount(),
                                    frame.baseOffset(),
                                    frame.appendTimeMillis());
                        }
                        at = frame.end();
                        frame.wrap(chunk, at);
                    }
                    if (at == 0) {
                        // a frame larger than the chunk: only its header matters here
                        if (!frame.hasHeader(limit) || frame.frameLength() < BatchFormat.HEADER_LENGTH) {
                            throw new IOException(s.logPath + ": no whole frame header at " + position);
                        }
                        if (frame.hasProducer() && limit >= BatchFormat.PRODUCER_HEADER_LENGTH) {
                            states.record(
                                    frame.producerId(),
                                    frame.producerEpoch(),
                                    frame.baseSequence(),
                                    frame.recordCount(),
                                    frame.baseOffset(),
                                    frame.appendTimeMillis());
                        }
                        at = frame.frameLength();
                    }
                    position += at;
                }
            } finally {
                files.unpin();
            }
        }
        return states;
    }
}
