package io.gmq.broker;

import io.gmq.PublishRequest;
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
    /** The partition count its keyed records were routed with; 0 while it has none. */
    int routedPartitions;
    /** Which of its records were routed by their key (null while none was). */
    java.util.BitSet keyed;
    /** With producer fields: the epoch and base sequence assigned at the seal; else -1. */
    int producerEpoch = -1;

    int baseSequence = -1;
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

    /** Whether the frame carries producer fields: storage stores it once however often it is sent. */
    public boolean idempotent() {
        return producerEpoch >= 0;
    }

    /** The producer epoch in the frame, or -1 without producer fields. */
    public int producerEpoch() {
        return producerEpoch;
    }

    /** The sequence of the first record in the frame, or -1 without producer fields. */
    public int baseSequence() {
        return baseSequence;
    }

    /** When the earliest publish of this batch was called: its deadline is the batch's. */
    public long firstCallNanos() {
        return firstCallNanos;
    }

    /**
     * The partition count its records routed by key were routed with, 0 if none was (all had an
     * explicit partition or no key). Storage refuses the batch if the topic's count is another
     * ({@link io.gmq.storage.Storage#append(TopicPartition, ByteBuffer, boolean, int)}).
     */
    public int routedPartitions() {
        return routedPartitions;
    }

    /** Record {@code index} was routed by its key with {@code partitions} partitions. Batcher's lock held. */
    void routedByKey(int index, int partitions) {
        if (keyed == null) {
            keyed = new java.util.BitSet();
        }
        keyed.set(index);
        routedPartitions = partitions;
    }

    /**
     * Storage refused this batch as routed with a stale partition count: publishes each of its
     * records again through {@code publish} (which routes with the count known now) in order, and
     * completes each record's future from its new result. A record that was routed by its key is
     * routed by its key again; any other keeps this batch's partition.
     */
    public void reroute(java.util.function.Function<PublishRequest, CompletableFuture<PublishResult>> publish) {
        abandonEpoch();
        List<PublishRequest> again = new ArrayList<>(futures.size());
        io.gmq.storage.BatchReader records =
                new io.gmq.storage.BatchReader(frame.duplicate().position(0));
        while (again.size() < futures.size() && records.next()) {
            boolean byKey = keyed != null && keyed.get(again.size());
            again.add(new PublishRequest(
                    key.tp.topic(),
                    records.value(),
                    key.qos,
                    records.hasKey() ? records.key() : null,
                    byKey ? PublishRequest.ANY_PARTITION : key.tp.partition(),
                    records.headers(),
                    records.timestamp()));
        }
        key.inFlight.decrementAndGet();
        for (int i = 0; i < futures.size(); i++) {
            CompletableFuture<PublishResult> target = futures.get(i);
            if (i >= again.size()) {
                target.completeExceptionally(new io.gmq.GmqException(
                        io.gmq.ErrorCode.INTERNAL, "a refused batch could not be read back to route it again"));
                continue;
            }
            CompletableFuture<PublishResult> next;
            try {
                next = publish.apply(again.get(i));
            } catch (RuntimeException e) {
                next = CompletableFuture.failedFuture(e);
            }
            next.whenComplete((r, e) -> {
                if (e != null) {
                    target.completeExceptionally(BrokerEngine.unwrap(e));
                } else {
                    target.complete(r);
                }
            });
        }
        owner.completed(key);
    }

    /**
     * Whether this idempotent batch's epoch was given up (a batch of it failed for good or was
     * routed again). Storage then answers later batches of that epoch with FAILED_PRECONDITION (a
     * sequence gap) and stores nothing of them, so {@link #reroute publishing the records of such a
     * batch again} cannot duplicate one.
     */
    public boolean epochAbandoned() {
        return idempotent() && key.failedEpoch.get() >= producerEpoch;
    }

    /**
     * Gives up this idempotent batch's epoch (it will not be stored, so later batches of the epoch
     * meet a gap): the partition's next batch starts a newer one. Call it as soon as the refusal
     * is known, before any later batch's answer is looked at.
     */
    public void abandonEpoch() {
        if (idempotent()) {
            key.failed(producerEpoch);
        }
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
        if (idempotent()) {
            key.failed(producerEpoch);
        }
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
