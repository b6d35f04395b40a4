package io.gmq;

import java.nio.ByteBuffer;
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

    /** The payload; the first call copies it out of the delivery, later calls return the same array. */
    byte[] payload();

    /** The payload's length in bytes, without copying it. */
    default int payloadSize() {
        return payload().length;
    }

    /**
     * The payload as a read-only buffer from position 0 to its length, without a copy: the way to
     * parse a payload in place (the consumers of this library read it straight from the bytes
     * they received). Each call returns a new buffer over the same bytes.
     */
    default ByteBuffer payloadBuffer() {
        return ByteBuffer.wrap(payload()).asReadOnlyBuffer();
    }

    List<Header> headers();

    /** Epoch millis given by the publisher (or the publish time). */
    long timestamp();

    /** 1 for the first delivery, 2 for the first redelivery, ... */
    int deliveryCount();

    QoS qos();

    void ack();

    void nack();

    /**
     * Negatively acknowledges this message, to be delivered again after {@code delay} instead of
     * the group's or topic's backoff ({@link RetryBackoff}). Negative delays are
     * INVALID_ARGUMENT. The delay counts from when the broker receives the nack; it is kept to
     * the broker's delivery tick (tens of milliseconds). This default ignores the delay.
     */
    default void nack(java.time.Duration delay) {
        if (delay == null || delay.isNegative()) {
            throw GmqException.invalidArgument("a nack delay must be 0 or more, not " + delay);
        }
        nack();
    }

    /**
     * Share groups: gives the message back at once, for any member to receive again (its delivery
     * counts, so {@code maxDeliveries} releases send it to the dead-letter topic). In an ordered
     * group the same as {@link #nack()}.
     */
    default void release() {
        nack();
    }

    /**
     * Share groups: the message cannot be processed; it is done for the group and not delivered
     * again (not dead-lettered either). FAILED_PRECONDITION in an ordered group.
     */
    default void reject() {
        throw new GmqException(
                ErrorCode.FAILED_PRECONDITION, "reject is for members of share groups (groupType(SHARE))");
    }

    /**
     * Share groups: still working on it; the acquisition lock is extended by the group's lock
     * duration from now, so no other member gets the message meanwhile. FAILED_PRECONDITION in an
     * ordered group.
     */
    default void renewLock() {
        throw new GmqException(
                ErrorCode.FAILED_PRECONDITION, "renewLock is for members of share groups (groupType(SHARE))");
    }

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
