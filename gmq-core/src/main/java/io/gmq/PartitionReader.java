package io.gmq;

import io.gmq.storage.FetchResult;
import io.gmq.storage.Storage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one partition from a chosen position, without a consumer group and without
 * acknowledgements (replay, audits, tooling). Not thread safe.
 */
public final class PartitionReader {
    private static final int FETCH_BYTES = 1 << 20;
    private final Storage storage;
    private final TopicPartition tp;
    private long position;

    PartitionReader(Storage storage, TopicPartition tp, OffsetSpec from) {
        this.storage = storage;
        this.tp = tp;
        this.position = storage.resolveOffset(tp, from);
    }

    public TopicPartition topicPartition() {
        return tp;
    }

    /** The next offset this reader returns. */
    public long position() {
        return position;
    }

    public void seek(OffsetSpec spec) {
        position = storage.resolveOffset(tp, spec);
    }

    /**
     * Returns up to {@code maxMessages} records from the position on, waiting up to {@code timeout}
     * if none is there yet (returns an empty list then).
     */
    public List<ConsumeMessage> poll(int maxMessages, Duration timeout) {
        FetchResult r = Gmq.await(storage.fetch(tp, position, FETCH_BYTES, timeout.toMillis()));
        if (r.outOfRange()) {
            position = r.logStartOffset();
            r = Gmq.await(storage.fetch(tp, position, FETCH_BYTES, 0));
        }
        List<ConsumeMessage> out = new ArrayList<>();
        io.gmq.internal.embedded.ReplayMessages.collect(tp, r.records(), position, maxMessages, out);
        if (!out.isEmpty()) {
            position = out.get(out.size() - 1).offset() + 1;
        }
        return out;
    }
}
