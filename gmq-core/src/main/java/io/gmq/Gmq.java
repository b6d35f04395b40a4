package io.gmq;

import io.gmq.internal.embedded.EmbeddedGmq;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * An embedded GMQ engine on one data directory: topics, partitions, consumer groups and QoS 0/1
 * delivery inside this JVM.
 *
 * <pre>{@code
 * try (Gmq gmq = Gmq.open(GmqConfig.builder().dataDir("./gmq-data").build())) {
 *     gmq.subscribe(ConsumerConfig.builder()
 *             .consumerGroup("order-processors")
 *             .messageHandler(msg -> System.out.println(msg.payloadAsString()))
 *             .build(), "orders");
 *     PublishResult r = gmq.publish("orders", "Order#1001".getBytes(),
 *             PublishOption.qos(QoS.AT_LEAST_ONCE), PublishOption.partitionKey("user_id_123"));
 * }
 * }</pre>
 *
 * Thread safe. Close it to stop delivery, commit acknowledged progress and release the files.
 */
public interface Gmq extends AutoCloseable {

    /** Opens (or creates) the engine on {@code config.dataDir()}; one engine per directory at a time. */
    static Gmq open(GmqConfig config) {
        return EmbeddedGmq.open(config);
    }

    static Gmq open(Path dataDir) {
        return open(GmqConfig.builder().dataDir(dataDir).build());
    }

    GmqConfig config();

    /** Publishes and waits: for QoS 1 (the default) until the message is durable. */
    PublishResult publish(String topic, byte[] payload, PublishOption... options);

    /**
     * Publishes without waiting; the future completes when the message is durable (QoS 1) or queued
     * (QoS 0). Futures complete, and run their callbacks, on the engine's {@code gmq-publish}
     * thread, in order; a callback may publish again, but must not wait for a publish's result.
     */
    CompletableFuture<PublishResult> publishAsync(String topic, byte[] payload, PublishOption... options);

    /** Publishes many messages at once; results in the same order. */
    CompletableFuture<List<PublishResult>> publishAllAsync(List<PublishRequest> requests);

    /**
     * Starts a consumer: joins its consumer group for {@code topics} (auto-created if absent) and
     * delivers to its handler on a thread of its own.
     */
    Subscription subscribe(ConsumerConfig consumer, String... topics);

    /** Reads one partition from a position without a group (replay). */
    PartitionReader reader(TopicPartition tp, OffsetSpec from);

    GmqAdmin admin();

    /** Stops every consumer (committing acknowledged progress), then the broker logic, then the storage. */
    @Override
    void close();
}
