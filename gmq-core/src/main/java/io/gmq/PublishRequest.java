package io.gmq;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A publish with its options resolved: what the engine and the network client both act on.
 * Default QoS is {@link QoS#AT_LEAST_ONCE}; timestamp -1 means "now"; {@code deliverAtMillis} is
 * the epoch millis the message is due ({@link #DELIVER_NOW}: at once).
 */
public record PublishRequest(
        String topic,
        byte[] payload,
        QoS qos,
        byte[] key,
        int partition,
        List<Header> headers,
        long timestamp,
        long deliverAtMillis) {
    public static final int ANY_PARTITION = -1;

    /** {@link #deliverAtMillis()} of a message delivered at once. */
    public static final long DELIVER_NOW = 0;

    /** A message delivered at once. */
    public PublishRequest(
            String topic, byte[] payload, QoS qos, byte[] key, int partition, List<Header> headers, long timestamp) {
        this(topic, payload, qos, key, partition, headers, timestamp, DELIVER_NOW);
    }

    /** Whether the message waits in storage's schedule until {@link #deliverAtMillis()} (after {@code nowMillis}). */
    public boolean scheduledAfter(long nowMillis) {
        return deliverAtMillis > nowMillis;
    }

    /** Resolves {@code options}; a {@link PublishOption#delay} counts from the system clock. */
    public static PublishRequest of(String topic, byte[] payload, PublishOption... options) {
        return of(System.currentTimeMillis(), topic, payload, options);
    }

    /** Resolves {@code options}; a {@link PublishOption#delay} counts from {@code nowMillis}. */
    public static PublishRequest of(long nowMillis, String topic, byte[] payload, PublishOption... options) {
        if (payload == null) {
            throw GmqException.invalidArgument("payload must not be null (use an empty array)");
        }
        QoS qos = QoS.AT_LEAST_ONCE;
        byte[] key = null;
        int partition = ANY_PARTITION;
        List<Header> headers = null;
        long timestamp = -1;
        long deliverAt = DELIVER_NOW;
        for (PublishOption o : options) {
            if (o instanceof PublishOption.QosOption q) {
                qos = q.qos();
            } else if (o instanceof PublishOption.KeyOption k) {
                key = k.key();
            } else if (o instanceof PublishOption.PartitionOption p) {
                if (p.partition() < 0) {
                    throw GmqException.invalidArgument("partition must not be negative, was " + p.partition());
                }
                partition = p.partition();
            } else if (o instanceof PublishOption.HeaderOption h) {
                if (headers == null) {
                    headers = new ArrayList<>(2);
                }
                headers.add(h.header());
            } else if (o instanceof PublishOption.TimestampOption t) {
                timestamp = t.epochMillis();
            } else if (o instanceof PublishOption.DelayOption d) {
                if (d.delay().isNegative()) {
                    throw GmqException.invalidArgument(
                            "delay must not be negative, was " + d.delay() + " (zero publishes at once)");
                }
                deliverAt = d.delay().isZero() ? DELIVER_NOW : saturatedAdd(nowMillis, d.delay());
            } else if (o instanceof PublishOption.DeliverAtOption a) {
                long at = epochMillis(a.time());
                deliverAt = at > nowMillis ? at : DELIVER_NOW;
            }
        }
        return new PublishRequest(
                topic,
                payload,
                qos,
                key,
                partition,
                headers == null ? Collections.emptyList() : headers,
                timestamp,
                deliverAt);
    }

    private static long epochMillis(java.time.Instant time) {
        try {
            return time.toEpochMilli();
        } catch (ArithmeticException e) {
            return time.isBefore(java.time.Instant.EPOCH) ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    private static long saturatedAdd(long nowMillis, java.time.Duration delay) {
        try {
            return Math.addExact(nowMillis, delay.toMillis());
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE; // far beyond any maximum delay: storage refuses it
        }
    }
}
