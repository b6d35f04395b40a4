package io.gmq.internal.log;

import io.gmq.TopicPartition;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchFrame;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds a partition's {@link ProducerStates} from its log when the log opens: every frame with
 * producer fields, oldest first, is {@link ProducerStates#record recorded} with the offsets and
 * append time it holds, which is exactly what the writer recorded when it appended the frame. So
 * the state after a restart (or on a replica restored from a checkpoint) is the state before it,
 * for every producer that can still decide anything.
 *
 * <p>It runs after recovery. Segments are read in large chunks and only the headers are looked
 * at. It does not read the whole partition: walking back from the newest segment, it stops at the
 * first segment whose last producer frame was appended more than the expiration (plus
 * {@link #CLOCK_SLACK_MILLIS}) before now. Every frame in it and before it is older still, so any
 * producer it names is expired for every decision from now on; a producer that appended later
 * is found in the later segments. Reading a segment's last frames costs one index interval.
 *
 * <p>A sealed segment may hold a damaged frame that recovery kept (reads report it as lost data):
 * the scan of that segment stops there with a warning, and producers named only after it are
 * unknown (their next batch is accepted whatever its sequence). What retention deleted is not
 * rebuilt either: a producer whose last batches were in deleted segments is unknown after a
 * restart, as it is once it expires.
 */
final class ProducerStateRecovery {
    private static final Logger LOG = LoggerFactory.getLogger(ProducerStateRecovery.class);
    private static final int CHUNK = 1 << 20;
    /** Append times come from the wall clock, which may step back a little. */
    static final long CLOCK_SLACK_MILLIS = 60_000;

    private ProducerStateRecovery() {}

    static ProducerStates rebuild(TopicPartition tp, Segment[] segments, long expirationMillis, long nowMillis)
            throws IOException {
        ProducerStates states = new ProducerStates(tp, expirationMillis);
        Scan scan = new Scan(tp);
        int first = 0;
        long horizon = nowMillis - expirationMillis - CLOCK_SLACK_MILLIS;
        for (int i = segments.length - 1; i >= 0; i--) {
            Segment s = segments[i];
            int tail = Math.max(0, s.index.lastPosition());
            long[] last = {Long.MIN_VALUE};
            scan.frames(s, tail, f -> last[0] = Math.max(last[0], f.appendTimeMillis()));
            if (last[0] != Long.MIN_VALUE && last[0] < horizon) {
                first = i + 1;
                break;
            }
        }
        for (int i = first; i < segments.length; i++) {
            scan.frames(
                    segments[i],
                    0,
                    f -> states.record(
                            f.producerId(),
                            f.producerEpoch(),
                            f.baseSequence(),
                            f.recordCount(),
                            f.baseOffset(),
                            f.appendTimeMillis()));
        }
        return states;
    }

    /** Reads the frame headers of segments in chunks; one buffer for the whole rebuild. */
    private static final class Scan {
        private final TopicPartition tp;
        private final BatchFrame frame = new BatchFrame();
        private ByteBuffer chunk;

        Scan(TopicPartition tp) {
            this.tp = tp;
        }

        /** Calls {@code onProducerFrame} for every frame with producer fields from {@code from} to the written end. */
        void frames(Segment s, long from, java.util.function.Consumer<BatchFrame> onProducerFrame) throws IOException {
            int end = s.writtenPosition;
            if (end <= from) {
                return;
            }
            if (chunk == null) {
                chunk = ByteBuffer.allocate(CHUNK).order(BatchFormat.ORDER);
            }
            SegmentFiles files = s.pin();
            try {
                long position = from;
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
                    while (frame.fitsIn(limit) && frame.frameLength() >= BatchFormat.HEADER_LENGTH) {
                        if (frame.hasProducer()) {
                            onProducerFrame.accept(frame);
                        }
                        at = frame.end();
                        frame.wrap(chunk, at);
                    }
                    if (at == 0) {
                        // a frame larger than the chunk (only its header matters), or damage
                        if (!frame.hasHeader(limit)
                                || frame.frameLength() < BatchFormat.HEADER_LENGTH
                                || position + frame.frameLength() > end) {
                            LOG.warn(
                                    "{}: no readable frame at {} of {}: the idempotent producers named after it"
                                            + " are not remembered (their next batch is accepted as it comes)",
                                    tp,
                                    position,
                                    s.logPath);
                            return;
                        }
                        if (frame.hasProducer() && limit >= BatchFormat.PRODUCER_HEADER_LENGTH) {
                            onProducerFrame.accept(frame);
                        }
                        at = frame.frameLength();
                    }
                    position += at;
                }
            } finally {
                files.unpin();
            }
        }
    }
}
