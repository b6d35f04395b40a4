package io.gmq.internal.embedded;

import io.gmq.ConsumeMessage;
import io.gmq.Header;
import io.gmq.QoS;
import io.gmq.TopicPartition;
import java.util.List;

/** A message as an embedded handler sees it; ack/nack go to {@code acker} (nothing for QoS 0 or replay). */
final class DeliveredMessage implements ConsumeMessage {
    interface Acker {
        void ack(DeliveredMessage m);

        void nack(DeliveredMessage m);
    }

    /** Shared by every message of one delivery: acks need no key object of their own. */
    private final TopicPartition tp;

    private final long offset;
    private final byte[] key;
    private final byte[] payload;
    private final List<Header> headers;
    private final long timestamp;
    private final int deliveryCount;
    private final QoS qos;
    private final Acker acker;

    DeliveredMessage(
            TopicPartition tp,
            long offset,
            byte[] key,
            byte[] payload,
            List<Header> headers,
            long timestamp,
            int deliveryCount,
            QoS qos,
            Acker acker) {
        this.tp = tp;
        this.offset = offset;
        this.key = key;
        this.payload = payload;
        this.headers = headers;
        this.timestamp = timestamp;
        this.deliveryCount = deliveryCount;
        this.qos = qos;
        this.acker = acker;
    }

    TopicPartition topicPartition() {
        return tp;
    }

    @Override
    public String topic() {
        return tp.topic();
    }

    @Override
    public int partition() {
        return tp.partition();
    }

    @Override
    public long offset() {
        return offset;
    }

    @Override
    public byte[] key() {
        return key;
    }

    @Override
    public byte[] payload() {
        return payload;
    }

    @Override
    public List<Header> headers() {
        return headers;
    }

    @Override
    public long timestamp() {
        return timestamp;
    }

    @Override
    public int deliveryCount() {
        return deliveryCount;
    }

    @Override
    public QoS qos() {
        return qos;
    }

    @Override
    public void ack() {
        if (qos == QoS.AT_LEAST_ONCE && acker != null) {
            acker.ack(this);
        }
    }

    @Override
    public void nack() {
        if (qos == QoS.AT_LEAST_ONCE && acker != null) {
            acker.nack(this);
        }
    }

    @Override
    public String toString() {
        return "ConsumeMessage{" + tp + "@" + offset + ", deliveryCount=" + deliveryCount + ", qos=" + qos + ", "
                + payload.length + " bytes}";
    }
}
