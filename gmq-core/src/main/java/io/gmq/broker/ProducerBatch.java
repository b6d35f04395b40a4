package io.gmq.broker;

import io.gmq.PublishResult;
import io.gmq.QoS;
import io.gmq.TopicPartition;
import io.gmq.storage.BatchBuilder;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/**
 * A batch of one (topic, partition, QoS) of a {@link PublishBatcher}: open while messages join it
 * (guarded by the batcher), then sealed into one frame, handed to the transport, and completed
 * once: every message gets the batch's base offset plus its index, or the batch's failure. Its
 * fields are the batcher's (package-private for it alone) and guarded by the batcher's lock while
 * the batch is open.
 */
public final class ProducerBatch {
    final PublishBatcher owner;
    final PublishBatcher.KeyState key;
    final List<CompletableFuture<PublishResult>> futures;
    BatchBuilder builder;
    ByteBuffer frame;
    ScheduledFuture<?> lingerTask;
    long firstCallNanos;
    boolean firstCallSet;
    /** Opened to fill (not to leave with its first message): its size presizes the next. */
    final boolean filling;
    /** Its builder is its key's, reused: the frame is a copy. */
    final boolean reusedBuilder;
    /** When a delayed batch is due (epoch millis), or {@link io.gmq.PublishRequest#DELIVER_NOW}. */
    long deliverAtMillis = io.gmq.PublishRequest.DELIVER_NOW;

    ProducerBatch(
            PublishBatcher owner,
            PublishBatcher.KeyState key,
            BatchBuilder builder,
            int records,
            boolean filling,
            boolean reusedBuilder) {
        this.owner = owner;
        this.key = key;
        this.filling = filling;
        this.reusedBuilder = reusedBuilder;
        this.builder = builder;
        this.futures = new ArrayList<>(records);
    }

    public TopicPartition topicPartition() {
        return key.tp;
    }

    public String topic() {
        return key.tp.topic();
    }

    public int partition() {
        return key.tp.partition();
    }

    public QoS qos() {
        return key.qos;
    }

    /** The sealed frame (base offset 0 until the log stamps it); null while open. */
    public ByteBuffer frame() {
        return frame;
    }

    /**
     * When this batch is due (epoch millis): storage keeps it in its schedule until then. {@link
     * io.gmq.PublishRequest#DELIVER_NOW} for a batch to append at once.
     */
    public long deliverAtMillis() {
        return deliverAtMillis;
    }

    public int recordCount() {
        return futures.size();
    }

    /** When the earliest publish of this batch was called: its deadline is the batch's. */
    public long firstCallNanos() {
        return firstCallNanos;
    }

    /** Completes when every message of this batch has its result or failure. */
    public CompletableFuture<Void> whenDone() {
        return CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]));
    }

    /**
     * The batch is stored from {@code baseOffset}: message i gets {@code baseOffset + i}. A delayed
     * batch is in storage's schedule: every message gets {@link PublishResult#SCHEDULED}.
     */
    public void complete(long baseOffset) {
        key.inFlight.decrementAndGet();
        String topic = key.tp.topic();
        int partition = key.tp.partition();
        boolean scheduled = deliverAtMillis != io.gmq.PublishRequest.DELIVER_NOW;
        for (int i = 0; i < futures.size(); i++) {
            futures.get(i)
                    .complete(
                            new PublishResult(topic, partition, scheduled ? PublishResult.SCHEDULED : baseOffset + i));
        }
        owner.completed(key);
    }

    /** The batch failed as a whole: every message fails with {@code cause}. */
    public void fail(Throwable cause) {
        key.inFlight.decrementAndGet();
        failFutures(cause);
        owner.completed(key);
    }

    void failFutures(Throwable cause) {
        Throwable c = BrokerEngine.unwrap(cause);
        for (int i = 0; i < futures.size(); i++) {
            futures.get(i).completeExceptionally(c);
        }
    }
}
