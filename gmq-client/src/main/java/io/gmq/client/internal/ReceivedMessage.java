package io.gmq.client.internal;

import io.gmq.TopicPartition;
import io.gmq.broker.DeliveredRecord;
import io.gmq.storage.BatchReader;

/** One delivered record, a view into its delivery's frames; ack/nack go back to the subscription that received it. */
final class ReceivedMessage extends DeliveredRecord {
    private final ClientSubscription owner;
    private final int epoch;

    ReceivedMessage(ClientSubscription owner, int epoch, TopicPartition tp, BatchReader at, int deliveryCount) {
        super(tp, at, deliveryCount);
        this.owner = owner;
        this.epoch = epoch;
    }

    int epoch() {
        return epoch;
    }

    @Override
    protected void settleShare(io.gmq.storage.ShareAck kind) {
        owner.settleShare(this, kind);
    }

    @Override
    protected void settle(boolean ack) {
        owner.settle(this, ack);
    }
}
