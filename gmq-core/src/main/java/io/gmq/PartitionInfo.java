package io.gmq;

/**
 * Offsets of one partition: the first readable offset (moves up as retention deletes segments)
 * and the high watermark (one past the last committed, readable record).
 */
public record PartitionInfo(TopicPartition topicPartition, long logStartOffset, long highWatermark, long sizeBytes) {}
