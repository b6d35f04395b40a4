package io.gmq.internal.embedded;

import io.gmq.TopicPartition;
import io.gmq.broker.DeliveredRecord;
import io.gmq.storage.BatchReader;

/** A message as an embedded handler sees it; ack/nack go to {@code acker} (none for replay). */
final class DeliveredMessage extends DeliveredRecord {
    interface Acker {
        void ack(DeliveredMessage m);

        void nack(DeliveredMessage m);

        /** Releases, rejects or renews (share groups). */
        void share(DeliveredMessage m, io.gmq.storage.ShareAck kind);
    }

    private final Acker acker;

    DeliveredMessage(TopicPartition tp, BatchReader at, int deliveryCount, Acker acker) {
        super(tp, at, deliveryCount);
        this.acker = acker;
    }

    @Override
    protected void settleShare(io.gmq.storage.ShareAck kind) {
        if (acker != null) {
            acker.share(this, kind);
        }
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
