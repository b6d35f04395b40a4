package io.gmq.broker;

import io.gmq.TopicPartition;
import java.nio.ByteBuffer;

/**
 * Records of one partition handed to a member: whole sealed frames, of which only records with
 * {@code fromOffset <= offset < toOffset} are delivered. Every record in it has the same delivery
 * count (first deliveries come in runs; redeliveries one by one).
 */
public record Delivery(
        TopicPartition tp, ByteBuffer frames, long fromOffset, long toOffset, int deliveryCount, int generation) {
    public int messageCount() {
        return (int) (toOffset - fromOffset);
    }
}
