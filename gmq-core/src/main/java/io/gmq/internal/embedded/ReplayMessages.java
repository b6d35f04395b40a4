package io.gmq.internal.embedded;

import io.gmq.ConsumeMessage;
import io.gmq.TopicPartition;
import java.nio.ByteBuffer;
import java.util.List;

/** Decodes fetched frames for {@link io.gmq.PartitionReader}: records from {@code from}, no acks. */
public final class ReplayMessages {
    private ReplayMessages() {}

    public static void collect(TopicPartition tp, ByteBuffer frames, long from, int max, List<ConsumeMessage> out) {
        Messages.forEach(tp, frames, from, Long.MAX_VALUE, 1, false, 0, null, m -> {
            if (out.size() < max) {
                out.add(m);
            }
        });
    }
}
