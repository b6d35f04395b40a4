package io.gmq.broker;

import io.gmq.TopicPartition;
import java.nio.ByteBuffer;

/**
 * Records of one partition handed to a member: whole sealed frames, of which only records with
 * {@code fromOffset <= offset < toOffset} are delivered. Every record in it has the same delivery
 * count (first deliveries come in runs; redeliveries one by one). {@code finalAttempt}: this is
 * their last delivery (the topic's max-deliveries reached), a nack or timeout dead-letters them.
 */
public record Delivery(
        TopicPartition tp,
        ByteBuffer frames,
        long fromOffset,
        long toOffset,
        int deliveryCount,
        int generation,
        boolean finalAttempt) {
    /** A delivery that is not the records' last. */
    public Delivery(
            TopicPartition tp, ByteBuffer frames, long fromOffset, long toOffset, int deliveryCount, int generation) {
        this(tp, frames, fromOffset, toOffset, deliveryCount, generation, false);
    }

    /** Whether delivery number {@code deliveryCount} is the last one under {@code maxDeliveries} (0: no limit). */
    public static boolean isFinalAttempt(int deliveryCount, int maxDeliveries) {
        return maxDeliveries > 0 && deliveryCount >= maxDeliveries;
    }

    public int messageCount() {
        return (int) (toOffset - fromOffset);
    }
}
