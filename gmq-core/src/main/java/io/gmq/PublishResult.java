package io.gmq;

/**
 * Where a published message landed. For QoS 1 the offset is durable under the engine's flush
 * policy when this is returned. For QoS 0 the offset is known but durability was not awaited.
 *
 * <p>A delayed message ({@link PublishOption#delay}, {@link PublishOption#deliverAt}) has no offset
 * yet: {@code offset} is {@link #SCHEDULED} and {@link #scheduled()} is true; the partition is
 * the one it will be appended to when due. For QoS 1 its schedule entry is durable.
 */
public record PublishResult(String topic, int partition, long offset) {
    /** The offset of a message kept in storage's schedule until its delivery time. */
    public static final long SCHEDULED = -1;

    /** Whether the message waits in storage's schedule (it gets its offset when due). */
    public boolean scheduled() {
        return offset == SCHEDULED;
    }
}
