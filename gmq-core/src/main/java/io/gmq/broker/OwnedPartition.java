package io.gmq.broker;

import io.gmq.TopicPartition;

/**
 * Delivery state of one partition a {@link GroupSubscription} owns: its window of in-flight
 * offsets, where the next fetch reads, what was last committed, and the fetch loop's flags.
 * Guarded by the subscription's monitor; a partition the member releases is marked inactive, and
 * every completion that finds it so drops its result.
 */
final class OwnedPartition {
    final TopicPartition tp;
    final DeliveryWindow window;
    /** The counters of the member's group for this partition's topic. */
    final BrokerMetrics.GroupCounters counters;
    /** Blocked keys under {@link io.gmq.Ordering#KEY}; null under partition ordering. */
    final KeyOrder keyOrder;

    long fetchOffset;
    long committed;
    boolean active = true;
    boolean fetching;
    long retryAtNanos;
    /** The fetch offset whose DATA_LOSS was last logged (-1: none), so a stuck partition logs once. */
    long dataLossLoggedAt = -1;
    /** Stored bytes per record (frame overhead included) seen in the last fetch; 0 before the first. */
    int bytesPerRecord;
    /** The generation of the assignment that gave this member the partition: older acks are stale. */
    int acquiredGeneration;

    OwnedPartition(TopicPartition tp, int capacity, long start) {
        this(tp, capacity, start, BrokerMetrics.GroupCounters.NONE);
    }

    OwnedPartition(TopicPartition tp, int capacity, long start, BrokerMetrics.GroupCounters counters) {
        this(tp, capacity, start, counters, false);
    }

    OwnedPartition(
            TopicPartition tp, int capacity, long start, BrokerMetrics.GroupCounters counters, boolean keyOrdered) {
        this.tp = tp;
        this.counters = counters;
        this.keyOrder = keyOrdered ? new KeyOrder() : null;
        this.window = new DeliveryWindow(capacity, start, keyOrdered);
        this.fetchOffset = start;
        this.committed = start;
    }
}
