package io.gmq.broker;

import io.gmq.GmqException;
import io.gmq.TopicPartition;
import java.util.Set;

/**
 * Where a member's deliveries go: a handler thread in embedded mode, a gRPC stream in network
 * mode. The sink is the flow-control point: the engine never hands it more than
 * {@link #capacity()} messages, and stops fetching while that is 0. When room returns the sink
 * calls {@link GroupSubscription#wakeUp()}.
 */
public interface DeliverySink {
    /**
     * Called once, before the member joins and before any delivery, with the subscription that will
     * feed this sink: acks may arrive as soon as the first delivery does, so keep the reference.
     */
    default void attached(GroupSubscription subscription) {}

    /** How many more messages the sink accepts now. */
    int capacity();

    /** Called with the subscription's lock held; must not block. */
    void deliver(Delivery delivery);

    default void assignmentChanged(Set<TopicPartition> assigned, int generation) {}

    /**
     * Hands over acknowledgements the sink holds back to apply them in runs ({@link
     * GroupSubscription#ackAll}). The member calls it before each redelivery tick and each commit,
     * never with its lock held, so an ack waits at most one tick however long the sink would
     * have held it (for example while a handler blocks).
     */
    default void flushAcks() {}

    /** The engine gave up on this member (for example it was closed by the engine). */
    default void failed(GmqException error) {}
}
