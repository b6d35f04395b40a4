package io.gmq;

/**
 * How the members of a consumer group share a topic's records. A group name has one type: a
 * member joining with the other type gets FAILED_PRECONDITION.
 */
public enum GroupType {
    /**
     * Each partition is owned by one member at a time (consumer groups as they always were): order
     * per partition, members beyond the partition count stay idle. The default.
     */
    ORDERED,
    /**
     * Any number of members consume the same partitions: storage hands records out one by one
     * under acquisition locks (accept, release, reject, renew), like Kafka's share groups and
     * Pulsar's Shared subscription. With {@link Ordering#KEY} a key is held by one member at a time.
     */
    SHARE
}
