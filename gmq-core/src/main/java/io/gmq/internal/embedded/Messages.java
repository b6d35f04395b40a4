package io.gmq.internal.embedded;

import io.gmq.ConsumeMessage;
import io.gmq.TopicPartition;
import io.gmq.broker.DeliveredRecord;
import java.nio.ByteBuffer;
import java.util.function.Consumer;

/** Turns runs of stored frames into {@link ConsumeMessage}s. */
final class Messages {
    private Messages() {}

    /**
     * Calls {@code sink} for every record with {@code from <= offset < to} in {@code frames}.
     * @return how many records were passed on
     */
    static int forEach(
            TopicPartition tp,
            ByteBuffer frames,
            long from,
            long to,
            int deliveryCount,
            boolean finalAttempt,
            int generation,
            DeliveredMessage.Acker acker,
            Consumer<ConsumeMessage> sink) {
        return DeliveredRecord.decode(
                frames,
                from,
                to,
                at -> new DeliveredMessage(tp, at, deliveryCount, finalAttempt, generation, acker),
                sink);
    }
}
