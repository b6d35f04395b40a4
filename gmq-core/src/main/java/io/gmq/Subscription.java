package io.gmq;

import java.util.Set;

/** A running consumer: a group member delivering to a handler. Closing it leaves the group. */
public interface Subscription extends AutoCloseable {
    String memberId();

    String consumerGroup();

    Set<String> topics();

    /** Partitions this member owns right now. */
    Set<TopicPartition> assignment();

    /**
     * The error that stopped this member, or null while it runs: for example ALREADY_EXISTS
     * naming the group instance id when a newer consumer with the same instance id fenced it.
     */
    default GmqException failure() {
        return null;
    }

    /**
     * Stops delivery, commits acknowledged progress and leaves the group; a static member
     * ({@link ConsumerConfig#groupInstanceId()}) does not leave: it keeps its partitions until
     * its session timeout runs out or a consumer with its instance id subscribes again.
     */
    @Override
    void close();
}
