package io.gmq;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A publish with its options resolved: what the engine and the network client both act on.
 * Default QoS is {@link QoS#AT_LEAST_ONCE}; timestamp -1 means "now".
 */
public record PublishRequest(
        String topic, byte[] payload, QoS qos, byte[] key, int partition, List<Header> headers, long timestamp) {
    public static final int ANY_PARTITION = -1;

    public static PublishRequest of(String topic, byte[] payload, PublishOption... options) {
        if (payload == null) {
            throw GmqException.invalidArgument("payload must not be null (use an empty array)");
        }
        QoS qos = QoS.AT_LEAST_ONCE;
        byte[] key = null;
        int partition = ANY_PARTITION;
        List<Header> headers = null;
        long timestamp = -1;
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
            }
        }
        return new PublishRequest(
                topic, payload, qos, key, partition, headers == null ? Collections.emptyList() : headers, timestamp);
    }
}
