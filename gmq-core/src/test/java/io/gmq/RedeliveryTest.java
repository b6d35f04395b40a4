package io.gmq;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gmq.broker.GroupSubscription;
import io.gmq.junit.GmqExtension;
import io.gmq.junit.MessageCollector;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Ack timeout and dead-lettering, with short timeouts. */
class RedeliveryTest {
    @RegisterExtension
    GmqExtension gmq = GmqExtension.create()
            .withConfig(
                    c -> c.ackTimeout(Duration.ofMillis(200)).maxDeliveries(3).commitInterval(Duration.ofMillis(20)));

    @Test
    void unacknowledgedMessageIsRedeliveredAfterTheAckTimeout() {
        MessageCollector c =
                gmq.collect(ConsumerConfig.builder().consumerGroup("slow").ackMode(AckMode.MANUAL), "orders");
        gmq.publish("orders", "late-ack", PublishOption.partition(0));
        ConsumeMessage first = c.await(1).get(0);
        assertEquals(1, first.deliveryCount());
        List<ConsumeMessage> got = c.await(2);
        assertEquals("late-ack", got.get(1).payloadAsString());
        assertEquals(2, got.get(1).deliveryCount());
        got.get(1).ack();
    }

    @Test
    void aMessageThatKeepsFailingGoesToTheDeadLetterTopicWithItsOrigin() {
        gmq.gmq()
                .subscribe(
                        ConsumerConfig.builder()
                                .consumerGroup("picky")
                                .messageHandler(m -> {
                                    throw new IllegalArgumentException("cannot handle " + m.payloadAsString());
                                })
                                .build(),
                        "orders");
        MessageCollector dead = gmq.collect("orders.dlq", "dlq-readers");
        PublishResult sent = gmq.publish("orders", "poison", PublishOption.partition(1));
        ConsumeMessage m = dead.await(1).get(0);
        assertEquals("poison", m.payloadAsString());
        assertEquals("orders", m.header(GroupSubscription.DLQ_SOURCE_TOPIC).valueAsString());
        assertEquals("1", m.header(GroupSubscription.DLQ_SOURCE_PARTITION).valueAsString());
        assertEquals(
                Long.toString(sent.offset()),
                m.header(GroupSubscription.DLQ_SOURCE_OFFSET).valueAsString());
        assertEquals("3", m.header(GroupSubscription.DLQ_DELIVERY_COUNT).valueAsString());
        assertEquals("picky", m.header(GroupSubscription.DLQ_GROUP).valueAsString());
    }
}
