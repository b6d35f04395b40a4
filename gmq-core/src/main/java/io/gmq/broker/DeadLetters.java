package io.gmq.broker;

import io.gmq.Header;
import io.gmq.PublishRequest;
import io.gmq.PublishResult;
import io.gmq.QoS;
import io.gmq.TopicPartition;
import io.gmq.storage.BatchReader;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a record that was delivered too often to {@code <topic><deadLetterSuffix>} (default
 * {@code .dlq}) with its origin in {@code gmq.dlq.*} headers. Ordered groups ({@link Redelivery})
 * and share groups ({@link ShareMember}) both dead-letter through here; each settles the record
 * once the publish is acknowledged.
 */
final class DeadLetters {
    /** Logs under the subscription's name, as dead letters always did. */
    private static final Logger LOG = LoggerFactory.getLogger(GroupSubscription.class);

    private DeadLetters() {}

    /**
     * Publishes the record at {@code offset} in {@code frames} (QoS 1). The future completes once
     * the dead-letter topic has it durably; it fails if the publish fails, and completes with null
     * if {@code frames} does not hold the record.
     */
    static CompletableFuture<PublishResult> publish(
            BrokerEngine engine, String group, TopicPartition tp, long offset, int deliveries, ByteBuffer frames) {
        BatchReader reader = new BatchReader(frames.duplicate());
        while (reader.next()) {
            if (reader.offset() != offset) {
                continue;
            }
            List<Header> headers = new ArrayList<>(reader.headers());
            headers.add(Header.of(GroupSubscription.DLQ_SOURCE_TOPIC, tp.topic()));
            headers.add(Header.of(GroupSubscription.DLQ_SOURCE_PARTITION, Integer.toString(tp.partition())));
            headers.add(Header.of(GroupSubscription.DLQ_SOURCE_OFFSET, Long.toString(offset)));
            headers.add(Header.of(GroupSubscription.DLQ_DELIVERY_COUNT, Integer.toString(deliveries)));
            headers.add(Header.of(GroupSubscription.DLQ_GROUP, group));
            String dlq = tp.topic() + engine.config().deadLetterSuffix();
            PublishRequest req = new PublishRequest(
                    dlq,
                    reader.value(),
                    QoS.AT_LEAST_ONCE,
                    reader.key(),
                    PublishRequest.ANY_PARTITION,
                    headers,
                    reader.timestamp());
            return engine.publish(req).whenComplete((res, err) -> {
                if (err == null) {
                    LOG.info(
                            "group {} moved {}@{} to dead-letter topic {} after {} deliveries",
                            group,
                            tp,
                            offset,
                            dlq,
                            deliveries);
                } else {
                    LOG.warn("group {} could not dead-letter {}@{}: {}", group, tp, offset, err.toString());
                }
            });
        }
        return CompletableFuture.completedFuture(null);
    }
}
