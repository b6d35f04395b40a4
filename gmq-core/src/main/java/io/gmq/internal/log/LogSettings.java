package io.gmq.internal.log;

import io.gmq.GmqConfig;

/** The log's view of {@link GmqConfig}, as primitives read on the hot path. */
record LogSettings(
        long segmentBytes,
        long segmentAgeMillis,
        int indexIntervalBytes,
        int maxMessageBytes,
        int maxBatchBytes,
        long retentionAgeMillis,
        long retentionBytes,
        boolean syncBeforeAck) {

    static LogSettings from(GmqConfig config) {
        return new LogSettings(
                config.segmentBytes(),
                config.segmentAge().toMillis(),
                config.indexIntervalBytes(),
                config.maxMessageBytes(),
                config.maxBatchBytes(),
                config.retentionAge() == null ? -1 : config.retentionAge().toMillis(),
                config.retentionBytes(),
                config.flushPolicy().syncBeforeAck());
    }
}
