package io.gmq;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

/**
 * One option of a publish, named as in the original client: {@code qos(QoS.AT_LEAST_ONCE)},
 * {@code partitionKey("user_id_123")}, {@code partition(2)}, {@code header("k", "v")},
 * {@code timestamp(millis)}.
 *
 * <p>Delayed delivery: {@code delay(Duration.ofSeconds(30))} or {@code deliverAt(instant)} keeps
 * the message in storage's durable schedule until that time, then appends it to its partition
 * (README, "Delayed messages"). A zero delay or a time not in the future publishes at once.
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

    /** Deliver {@code delay} after the publish call; negative is INVALID_ARGUMENT, zero is at once. */
    record DelayOption(Duration delay) implements PublishOption {}

    /** Deliver at {@code time} (the publisher's clock); a time not in the future is at once. */
    record DeliverAtOption(Instant time) implements PublishOption {}

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

    /**
     * Delivers the message {@code delay} after this publish: storage keeps it in its durable
     * schedule and appends it to its partition then. Zero publishes at once; negative is refused
     * (INVALID_ARGUMENT); beyond the storage's maximum delay is INVALID_ARGUMENT.
     */
    static PublishOption delay(Duration delay) {
        if (delay == null) {
            throw GmqException.invalidArgument("delay must not be null");
        }
        return new DelayOption(delay);
    }

    /**
     * Delivers the message at {@code time} (epoch time as the publisher's clock reads it): storage
     * keeps it in its durable schedule until then. A time not in the future publishes at once.
     */
    static PublishOption deliverAt(Instant time) {
        if (time == null) {
            throw GmqException.invalidArgument("deliverAt time must not be null");
        }
        return new DeliverAtOption(time);
    }
}
