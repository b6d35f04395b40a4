package io.gmq.internal.embedded;

import io.gmq.Header;
import io.gmq.QoS;
import io.gmq.TopicPartition;
import io.gmq.internal.broker.DeliveredRecord;
import java.util.List;

/** A message as an embedded handler sees it; ack/nack go to {@code acker} (none for replay). */
final class DeliveredMessage extends DeliveredRecord {
    interface Acker {
        void ack(DeliveredMessage m);

        void nack(DeliveredMessage m);
    }

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
        super(tp, offset, key, payload, headers, timestamp, deliveryCount, qos);
        this.acker = acker;
    }

    @Override
    protected void settle(boolean ack) {
        if (acker == null) {
            return;
        }
        if (ack) {
            acker.ack(this);
        } else {
            acker.nack(this);
        }
    }
}
