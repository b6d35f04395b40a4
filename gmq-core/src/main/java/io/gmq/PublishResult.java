package io.gmq;

/**
 * Where a published message landed. For QoS 1 the offset is durable under the engine's flush
 * policy when this is returned. For QoS 0 the offset is known but durability was not awaited.
 */
public record PublishResult(String topic, int partition, long offset) {}
