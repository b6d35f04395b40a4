package io.gmq;

import java.nio.charset.StandardCharsets;

/**
 * One option of a publish, named as in the original client: {@code qos(QoS.AT_LEAST_ONCE)},
 * {@code partitionKey("user_id_123")}, {@code partition(2)}, {@code header("k", "v")},
 * {@code timestamp(millis)}.
 *
 * <p>Partition choice: an explicit partition wins; else the murmur2 hash of the partition key
 * (as Kafka computes it) modulo the partition count; else round-robin over the partitions.
 */
public sealed interface PublishOption {
    record QosOption(QoS qos) implements PublishOption {}

    record KeyOption(byte[] key) implements PublishOption {}

    record PartitionOption(int partition) implements PublishOption {}

    record HeaderOption(Header header) implements PublishOption {}

    record TimestampOption(long epochMillis) implements PublishOption {}

    static PublishOption qos(QoS qos) {
        return new QosOption(qos);
    }

    static PublishOption partitionKey(String key) {
        return new KeyOption(key.getBytes(StandardCharsets.UTF_8));
    }

    static PublishOption partitionKey(byte[] key) {
        return new KeyOption(key);
    }

    static PublishOption partition(int partition) {
        return new PartitionOption(partition);
    }

    static PublishOption header(String name, String value) {
        return new HeaderOption(Header.of(name, value));
    }

    static PublishOption header(String name, byte[] value) {
        return new HeaderOption(new Header(name, value));
    }

    static PublishOption timestamp(long epochMillis) {
        return new TimestampOption(epochMillis);
    }
}
