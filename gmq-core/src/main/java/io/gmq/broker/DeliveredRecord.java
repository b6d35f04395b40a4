package io.gmq.broker;

import io.gmq.ConsumeMessage;
import io.gmq.Header;
import io.gmq.QoS;
import io.gmq.TopicPartition;
import io.gmq.storage.BatchReader;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Consumer;

/**
 * A record as a consumer's handler sees it: a view of one record inside its delivery's frames,
 * plus where an ack goes, which each consumer (embedded handler, network client) says in
 * {@link #settle}. Acknowledging a QoS 0 record does nothing.
 *
 * <p>Decoding a delivery costs one small object per record: key, payload and headers stay in the
 * delivery's buffer until asked for ({@link #payload()} copies once and keeps the copy,
 * {@link #payloadBuffer()} never copies). The buffer is never written after it is handed over
 * (storage does not reuse a returned fetch buffer; a network delivery owns its bytes), so reads
 * from any thread, at any later time, see the record as delivered. A record keeps its delivery's
 * buffer reachable for as long as the record is.
 */
public abstract class DeliveredRecord implements ConsumeMessage {
    /** Shared by every record of one delivery: acks need no key object of their own. */
    private final TopicPartition tp;

    private final long offset;
    private final long timestamp;
    private final int deliveryCount;
    private final boolean finalAttempt;
    private final QoS qos;
    /** The delivery's frames; read with absolute gets only (shared by its records and threads). */
    private final ByteBuffer frames;

    private final int keyPosition;
    private final int keyLength;
    private final int payloadPosition;
    private final int payloadLength;
    private final int headersPosition;
    private final int headerCount;
    // Copies made on first use. Not volatile: two threads racing both copy the same bytes.
    private byte[] key;
    private byte[] payload;

    /** A record at the reader's current position; the reader may move on at once. */
    protected DeliveredRecord(TopicPartition tp, BatchReader at, int deliveryCount) {
        this(tp, at, deliveryCount, false);
    }

    /**
     * As {@link #DeliveredRecord(TopicPartition, BatchReader, int)} for a delivery that is the
     * record's last attempt ({@code finalAttempt}): a nack or a timeout of it sends it to the
     * dead-letter topic, not back to a consumer.
     */
    protected DeliveredRecord(TopicPartition tp, BatchReader at, int deliveryCount, boolean finalAttempt) {
        this.finalAttempt = finalAttempt;
        this.tp = tp;
        this.offset = at.offset();
        this.timestamp = at.timestamp();
        this.deliveryCount = deliveryCount;
        this.qos = at.atLeastOnce() ? QoS.AT_LEAST_ONCE : QoS.AT_MOST_ONCE;
        this.frames = at.buffer();
        this.keyPosition = at.keyPosition();
        this.keyLength = at.keyLength();
        this.payloadPosition = at.valuePosition();
        this.payloadLength = at.valueLength();
        this.headersPosition = at.headersPosition();
        this.headerCount = at.headerCount();
    }

    /** Builds one record from a reader positioned on it. */
    @FunctionalInterface
    public interface Factory<R extends DeliveredRecord> {
        R create(BatchReader at);
    }

    /**
     * Passes every record with {@code from <= offset < to} in {@code frames} (stored frames, from
     * the buffer's position to its limit) to {@code sink}, in offset order.
     *
     * @return how many records were passed on
     */
    public static <R extends DeliveredRecord> int decode(
            ByteBuffer frames, long from, long to, Factory<R> factory, Consumer<? super R> sink) {
        BatchReader reader = new BatchReader(frames);
        int n = 0;
        while (reader.next()) {
            long o = reader.offset();
            if (o < from) {
                continue;
            }
            if (o >= to) {
                break;
            }
            sink.accept(factory.create(reader));
            n++;
        }
        return n;
    }

    /** Acknowledges ({@code ack} true) or negatively acknowledges this QoS 1 record. */
    protected abstract void settle(boolean ack);

    /**
     * Negatively acknowledges this QoS 1 record, to be delivered again after {@code delayMillis}
     * (0 or more) instead of the group's backoff. The default ignores the delay.
     */
    protected void settleNack(long delayMillis) {
        settle(false);
    }

    /** The hash of this record's key as key ordering uses it ({@link KeyOrderGate#keyHash}), or {@link KeyOrderGate#NO_KEY}. */
    public final long keyHash() {
        return keyLength < 0 ? KeyOrderGate.NO_KEY : KeyOrderGate.keyHash(frames, keyPosition, keyLength);
    }

    public final TopicPartition topicPartition() {
        return tp;
    }

    @Override
    public final String topic() {
        return tp.topic();
    }

    @Override
    public final int partition() {
        return tp.partition();
    }

    @Override
    public final long offset() {
        return offset;
    }

    @Override
    public final byte[] key() {
        byte[] k = key;
        if (k == null && keyLength >= 0) {
            k = BatchReader.copy(frames, keyPosition, keyLength);
            key = k;
        }
        return k;
    }

    @Override
    public final byte[] payload() {
        byte[] p = payload;
        if (p == null) {
            p = BatchReader.copy(frames, payloadPosition, payloadLength);
            payload = p;
        }
        return p;
    }

    @Override
    public final int payloadSize() {
        return payloadLength;
    }

    @Override
    public final ByteBuffer payloadBuffer() {
        ByteBuffer view = frames.slice(payloadPosition, payloadLength);
        return view.isReadOnly() ? view : view.asReadOnlyBuffer();
    }

    @Override
    public final List<Header> headers() {
        return BatchReader.headers(frames, headersPosition, headerCount);
    }

    @Override
    public final long timestamp() {
        return timestamp;
    }

    @Override
    public final int deliveryCount() {
        return deliveryCount;
    }

    /** Whether this delivery is the record's last: nacked or timed out, it goes to the dead-letter topic. */
    final boolean finalAttempt() {
        return finalAttempt;
    }

    @Override
    public final QoS qos() {
        return qos;
    }

    @Override
    public final void ack() {
        if (qos == QoS.AT_LEAST_ONCE) {
            settle(true);
        }
    }

    @Override
    public final void nack() {
        if (qos == QoS.AT_LEAST_ONCE) {
            settle(false);
        }
    }

    @Override
    public final void nack(java.time.Duration delay) {
        if (delay == null || delay.isNegative()) {
            throw io.gmq.GmqException.invalidArgument("a nack delay must be 0 or more, not " + delay);
        }
        if (qos == QoS.AT_LEAST_ONCE) {
            settleNack(delay.toMillis());
        }
    }

    @Override
    public final void release() {
        if (qos == QoS.AT_LEAST_ONCE) {
            settleShare(io.gmq.storage.ShareAck.RELEASE);
        }
    }

    @Override
    public final void reject() {
        if (qos == QoS.AT_LEAST_ONCE) {
            settleShare(io.gmq.storage.ShareAck.REJECT);
        }
    }

    @Override
    public final void renewLock() {
        if (qos == QoS.AT_LEAST_ONCE) {
            settleShare(io.gmq.storage.ShareAck.RENEW);
        }
    }

    /**
     * Releases, rejects or renews this QoS 1 record of a share group. The default (a consumer
     * without share groups) releases as a nack and refuses the others.
     */
    protected void settleShare(io.gmq.storage.ShareAck kind) {
        if (kind == io.gmq.storage.ShareAck.RELEASE) {
            settle(false);
            return;
        }
        throw new io.gmq.GmqException(
                io.gmq.ErrorCode.FAILED_PRECONDITION,
                kind.name().toLowerCase(java.util.Locale.ROOT) + " is for members of share groups (groupType(SHARE))");
    }

    @Override
    public String toString() {
        return "ConsumeMessage{" + tp + "@" + offset + ", deliveryCount=" + deliveryCount + ", qos=" + qos + ", "
                + payloadLength + " bytes}";
    }
}
