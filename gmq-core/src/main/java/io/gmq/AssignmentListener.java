package io.gmq;

import java.util.Set;

/**
 * Hears when a consumer gains or loses partitions in a rebalance (Kafka's rebalance listener).
 * {@link #onAssigned} runs before the first message of a new partition reaches the handler;
 * {@link #onRevoked} runs once the member has stopped delivering the partition (messages of it
 * already queued for the handler may still arrive and their acks are then ignored: the next owner
 * delivers them again). Called on an engine thread: keep it short.
 */
public interface AssignmentListener {
    default void onAssigned(Set<TopicPartition> partitions) {}

    default void onRevoked(Set<TopicPartition> partitions) {}
}
