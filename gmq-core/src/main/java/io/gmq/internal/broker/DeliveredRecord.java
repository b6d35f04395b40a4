package io.gmq.internal.broker;

import io.gmq.ConsumeMessage;
import io.gmq.Header;
import io.gmq.QoS;
import io.gmq.TopicPartition;
import java.util.List;

/**
 * A record as a consumer's handler sees it, decoded from a delivery: the values, plus where an
 * ack goes, which each consumer (embedded handler, network client) says in {@link #settle}.
 * Acknowledging a QoS 0 record does nothing.
 */
public abstract class DeliveredRecord implements ConsumeMessage {
    /** Shared by every record of one delivery: acks need no key object of their own. */
    private final TopicPartition tp;

    private final long offset;
    private final byte[] key;
    private final byte[] payload;
    private final List<Header> headers;
    private final long timestamp;
    private final int deliveryCount;
    private final QoS qos;

    protected DeliveredRecord(
            TopicPartition tp,
            long offset,
            byte[] key,
            byte[] payload,
            List<Header> headers,
            long timestamp,
            int deliveryCount,
            QoS qos) {
        this.tp = tp;
        this.offset = offset;
        this.key = key;
        this.payload = payload;
        this.headers = headers;
        this.timestamp = timestamp;
        this.deliveryCount = deliveryCount;
        this.qos = qos;
    }

    /** Acknowledges ({@code ack} true) or negatively acknowledges this QoS 1 record. */
    protected abstract void settle(boolean ack);

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
        return key;
    }

    @Override
    public final byte[] payload() {
        return payload;
    }

    @Override
    public final List<Header> headers() {
        return headers;
    }

    @Override
    public final long timestamp() {
        return timestamp;
    }

    @Override
    public final int deliveryCount() {
        return deliveryCount;
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
    public String toString() {
        return "ConsumeMessage{" + tp + "@" + offset + ", deliveryCount=" + deliveryCount + ", qos=" + qos + ", "
                + (payload == null ? 0 : payload.length) + " bytes}";
    }
}
