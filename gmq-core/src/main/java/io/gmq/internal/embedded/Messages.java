package io.gmq.internal.embedded;

import io.gmq.ConsumeMessage;
import io.gmq.QoS;
import io.gmq.TopicPartition;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchReader;
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
            DeliveredMessage.Acker acker,
            Consumer<ConsumeMessage> sink) {
        BatchReader reader = new BatchReader();
        int pos = frames.position();
        int end = frames.limit();
        int n = 0;
        while (end - pos >= BatchFormat.HEADER_LENGTH) {
            int length = BatchFormat.frameLength(frames, pos);
            boolean qos1 =
                    (frames.getShort(pos + BatchFormat.ATTRIBUTES_OFFSET) & BatchFormat.ATTR_QOS_AT_LEAST_ONCE) != 0;
            reader.wrap(frames.duplicate().limit(pos + length).position(pos));
            while (reader.next()) {
                long o = reader.offset();
                if (o < from) {
                    continue;
                }
                if (o >= to) {
                    return n;
                }
                sink.accept(new DeliveredMessage(
                        tp,
                        o,
                        reader.key(),
                        reader.value(),
                        reader.headers(),
                        reader.timestamp(),
                        deliveryCount,
                        qos1 ? QoS.AT_LEAST_ONCE : QoS.AT_MOST_ONCE,
                        acker));
                n++;
            }
            pos += length;
        }
        return n;
    }
}
