package io.gmq.internal.log;

import io.gmq.GmqConfig;
import io.gmq.TopicConfig;
import java.time.Duration;

/** The log's view of {@link GmqConfig}, as primitives read on the hot path. */
record LogSettings(
        long segmentBytes,
        long segmentAgeMillis,
        int indexIntervalBytes,
        int maxMessageBytes,
        int maxBatchBytes,
        long retentionAgeMillis,
        long retentionBytes,
        boolean syncBeforeAck,
        long producerIdExpirationMillis) {

    static LogSettings from(GmqConfig config) {
        return from(config, TopicConfig.empty());
    }

    /** The settings of a partition of a topic whose own settings are {@code topic}. */
    static LogSettings from(GmqConfig config, TopicConfig topic) {
        Duration retentionAge = topic.retentionAge(config);
        return new LogSettings(
                topic.segmentBytes(config),
                config.segmentAge().toMillis(),
                config.indexIntervalBytes(),
                topic.maxMessageBytes(config),
                config.maxBatchBytes(),
                retentionAge == null ? -1 : retentionAge.toMillis(),
                topic.retentionBytes(config),
                config.flushPolicy().syncBeforeAck(),
                config.producerIdExpiration().toMillis());
    }
}
