package io.gmq;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One delivered message. With {@link AckMode#AUTO} returning from the handler acknowledges it and
 * throwing negatively acknowledges it; with {@link AckMode#MANUAL} call {@link #ack()} or
 * {@link #nack()} (from any thread, at any later time). QoS 0 messages need no acknowledgement.
 */
public interface ConsumeMessage {
    String topic();

    int partition();

    long offset();

    /** The partition key, or null. */
    byte[] key();

    byte[] payload();

    List<Header> headers();

    /** Epoch millis given by the publisher (or the publish time). */
    long timestamp();

    /** 1 for the first delivery, 2 for the first redelivery, ... */
    int deliveryCount();

    QoS qos();

    void ack();

    void nack();

    default String payloadAsString() {
        return new String(payload(), StandardCharsets.UTF_8);
    }

    default String keyAsString() {
        byte[] k = key();
        return k == null ? null : new String(k, StandardCharsets.UTF_8);
    }

    default Header header(String name) {
        for (Header h : headers()) {
            if (h.name().equals(name)) {
                return h;
            }
        }
        return null;
    }
}
