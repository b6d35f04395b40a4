package io.gmq;

import java.util.Set;

/** A running consumer: a group member delivering to a handler. Closing it leaves the group. */
public interface Subscription extends AutoCloseable {
    String memberId();

    String consumerGroup();

    Set<String> topics();

    /** Partitions this member owns right now. */
    Set<TopicPartition> assignment();

    @Override
    void close();
}
