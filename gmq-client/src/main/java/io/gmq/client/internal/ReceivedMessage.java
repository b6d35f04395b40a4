package io.gmq.client.internal;

import io.gmq.ConsumeMessage;
import io.gmq.Header;
import io.gmq.QoS;
import java.util.List;

/** One delivered record, decoded from its frame; ack/nack go back to the subscription that received it. */
final class ReceivedMessage implements ConsumeMessage {
    private final ClientSubscription owner;
    private final int epoch;
    private final String topic;
    private final int partition;
    private final long offset;
    private final byte[] key;
    private final byte[] payload;
    private final List<Header> headers;
    private final long timestamp;
    private final int deliveryCount;
    private final QoS qos;

    ReceivedMessage(
            ClientSubscription owner,
            int epoch,
            String topic,
            int partition,
            long offset,
            byte[] key,
            byte[] payload,
            List<Header> headers,
            long timestamp,
            int deliveryCount,
            QoS qos) {
        this.owner = owner;
        this.epoch = epoch;
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.key = key;
        this.payload = payload;
        this.headers = headers;
        this.timestamp = timestamp;
        this.deliveryCount = deliveryCount;
        this.qos = qos;
    }

    int epoch() {
        return epoch;
    }

    @Override
    public String topic() {
        return topic;
    }

    @Override
    public int partition() {
        return partition;
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
        if (qos == QoS.AT_LEAST_ONCE) {
            owner.settle(this, true);
        }
    }

    @Override
    public void nack() {
        if (qos == QoS.AT_LEAST_ONCE) {
            owner.settle(this, false);
        }
    }

    @Override
    public String toString() {
        return topic + "-" + partition + "@" + offset;
    }
}
