package io.gmq.client.internal;

import io.gmq.Header;
import io.gmq.QoS;
import io.gmq.TopicPartition;
import io.gmq.internal.broker.DeliveredRecord;
import java.util.List;

/** One delivered record, decoded from its frame; ack/nack go back to the subscription that received it. */
final class ReceivedMessage extends DeliveredRecord {
    private final ClientSubscription owner;
    private final int epoch;

    ReceivedMessage(
            ClientSubscription owner,
            int epoch,
            TopicPartition tp,
            long offset,
            byte[] key,
            byte[] payload,
            List<Header> headers,
            long timestamp,
            int deliveryCount,
            QoS qos) {
        super(tp, offset, key, payload, headers, timestamp, deliveryCount, qos);
        this.owner = owner;
        this.epoch = epoch;
    }

    int epoch() {
        return epoch;
    }

    @Override
    protected void settle(boolean ack) {
        owner.settle(this, ack);
    }
}
