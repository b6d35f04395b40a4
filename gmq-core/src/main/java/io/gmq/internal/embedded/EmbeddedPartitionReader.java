package io.gmq.internal.embedded;

import io.gmq.ConsumeMessage;
import io.gmq.OffsetSpec;
import io.gmq.PartitionReader;
import io.gmq.TopicPartition;
import io.gmq.storage.FetchResult;
import io.gmq.storage.Storage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A {@link PartitionReader} straight on the storage seam. */
final class EmbeddedPartitionReader implements PartitionReader {
    private static final int FETCH_BYTES = 1 << 20;
    private final Storage storage;
    private final TopicPartition tp;
    private long position;

    EmbeddedPartitionReader(Storage storage, TopicPartition tp, OffsetSpec from) {
        this.storage = storage;
        this.tp = tp;
        this.position = storage.resolveOffset(tp, from);
    }

    @Override
    public TopicPartition topicPartition() {
        return tp;
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public void seek(OffsetSpec spec) {
        position = storage.resolveOffset(tp, spec);
    }

    @Override
    public List<ConsumeMessage> poll(int maxMessages, Duration timeout) {
        FetchResult r = EmbeddedGmq.await(storage.fetch(tp, position, FETCH_BYTES, timeout.toMillis()));
        if (r.outOfRange()) {
            position = r.logStartOffset();
            r = EmbeddedGmq.await(storage.fetch(tp, position, FETCH_BYTES, 0));
        }
        List<ConsumeMessage> out = new ArrayList<>();
        ReplayMessages.collect(tp, r.records(), position, maxMessages, out);
        if (!out.isEmpty()) {
            position = out.get(out.size() - 1).offset() + 1;
        }
        return out;
    }
}
