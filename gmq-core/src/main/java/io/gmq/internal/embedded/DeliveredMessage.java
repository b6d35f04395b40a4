package io.gmq.internal.embedded;

import io.gmq.TopicPartition;
import io.gmq.broker.DeliveredRecord;
import io.gmq.storage.BatchReader;

/** A message as an embedded handler sees it; ack/nack go to {@code acker} (none for replay). */
final class DeliveredMessage extends DeliveredRecord {
    interface Acker {
        void ack(DeliveredMessage m);

        void nack(DeliveredMessage m);

        /** A nack to be delivered again after {@code delayMillis}; by default the delay is ignored. */
        default void nack(DeliveredMessage m, long delayMillis) {
            nack(m);
        }
        /** Releases, rejects or renews (share groups). */
        void share(DeliveredMessage m, io.gmq.storage.ShareAck kind);
    }

    private final Acker acker;
    private final int generation;

    DeliveredMessage(
            TopicPartition tp, BatchReader at, int deliveryCount, boolean finalAttempt, int generation, Acker acker) {
        super(tp, at, deliveryCount, finalAttempt);
        this.acker = acker;
        this.generation = generation;
    }

    /** The group generation of the delivery this message came in; its ack carries it. */
    int generation() {
        return generation;
    }

    @Override
    protected void settleNack(long delayMillis) {
        if (acker != null) {
            acker.nack(this, delayMillis);
        }
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
