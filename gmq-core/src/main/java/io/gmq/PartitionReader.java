package io.gmq;

import java.time.Duration;
import java.util.List;

/**
 * Reads one partition from a chosen position, without a consumer group and without
 * acknowledgements (replay, audits, tooling). Not thread safe.
 */
public interface PartitionReader {
    TopicPartition topicPartition();

    /** The next offset this reader returns. */
    long position();

    void seek(OffsetSpec spec);

    /**
     * Returns up to {@code maxMessages} records from the position on, waiting up to {@code timeout}
     * if none is there yet (returns an empty list then).
     */
    List<ConsumeMessage> poll(int maxMessages, Duration timeout);
}
