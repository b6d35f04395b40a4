package io.gmq.client.internal;

import io.gmq.TopicPartition;
import io.gmq.broker.DeliveredRecord;
import io.gmq.storage.BatchReader;

/** One delivered record, a view into its delivery's frames; ack/nack go back to the subscription that received it. */
final class ReceivedMessage extends DeliveredRecord {
    private final ClientSubscription owner;
    private final int epoch;
    private final int generation;

    ReceivedMessage(
            ClientSubscription owner,
            int epoch,
            int generation,
            TopicPartition tp,
            BatchReader at,
            int deliveryCount,
            boolean finalAttempt) {
        super(tp, at, deliveryCount, finalAttempt);
        this.owner = owner;
        this.epoch = epoch;
        this.generation = generation;
    }

    /** The group generation of the delivery this record came in; its ack carries it. */
    int generation() {
        return generation;
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

    @Override
    protected void settleNack(long delayMillis) {
        owner.settle(this, false, delayMillis);
    }
}
