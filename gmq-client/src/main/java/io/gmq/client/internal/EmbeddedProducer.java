package io.gmq.client.internal;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.PublishRequest;
import io.gmq.PublishResult;
import io.gmq.QoS;
import io.gmq.TopicPartition;
import io.gmq.client.ClientConfig;
import io.gmq.internal.broker.BrokerEngine;
import io.gmq.internal.topic.Partitioner;
import io.gmq.storage.BatchBuilder;
import io.gmq.storage.BatchFormat;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The publishing half of the embedded client: the same accumulation as the network
 * {@link Producer} (one open batch per topic, partition and QoS, sent after
 * {@link ClientConfig#linger()} or at {@link ClientConfig#maxBatchBytes()}), appended to the engine
 * as one frame. Publishing message by message through {@code Gmq.publishAsync} costs one frame
 * (header, CRC32C, append request, three futures) per message; a batch pays that once.
 *
 * <p>Invariant: records of one open batch get consecutive offsets, so the i-th future completes
 * with {@code baseOffset + i}. Order per partition follows seal order, because sealing and handing
 * the frame to the engine happen under this object's lock and the engine appends a partition's
 * frames in arrival order.
 */
final class EmbeddedProducer implements AutoCloseable {
    private final BrokerEngine engine;
    private final ClientConfig config;
    private final Partitioner partitioner = new Partitioner();
    private final ScheduledExecutorService timer;
    // guarded by this
    private final Map<BatchKey, OpenBatch> open = new HashMap<>();
    /** Keyless messages stick to one partition per topic and QoS until that batch is sent. */
    private final Map<BatchKey, Integer> sticky = new HashMap<>();

    private record BatchKey(String topic, int partition, QoS qos) {}

    private static final class OpenBatch {
        final BatchKey key;
        final BatchBuilder builder = new BatchBuilder(4096);
        final List<CompletableFuture<PublishResult>> futures = new ArrayList<>();
        ScheduledFuture<?> lingerTask;

        OpenBatch(BatchKey key) {
            this.key = key;
        }
    }

    EmbeddedProducer(BrokerEngine engine, ClientConfig config) {
        this.engine = engine;
        this.config = config;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gmq-embedded-linger-" + config.clientId());
            t.setDaemon(true);
            return t;
        });
    }

    /** Adds a message to its partition's open batch; with {@code sendNow} appends that batch at once. */
    CompletableFuture<PublishResult> publish(PublishRequest r, boolean sendNow) {
        int recordSize = BatchBuilder.recordSize(r.key(), r.payload().length, r.headers());
        if (recordSize > engine.config().maxMessageBytes()) {
            return CompletableFuture.failedFuture(new GmqException(
                    ErrorCode.RESOURCE_EXHAUSTED,
                    "message of "
                            + recordSize + " bytes exceeds the maximum message size of "
                            + engine.config().maxMessageBytes()
                            + " bytes (maxMessageBytes)"));
        }
        int partitions;
        try {
            partitions = engine.topic(r.topic()).partitions(); // validates the name, auto-creates
        } catch (GmqException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<PublishResult> f = new CompletableFuture<>();
        synchronized (this) {
            int partition;
            if (r.partition() != PublishRequest.ANY_PARTITION || r.key() != null) {
                try {
                    partition = partitioner.choose(
                            r.topic(),
                            r.partition() == PublishRequest.ANY_PARTITION ? null : r.partition(),
                            r.key(),
                            partitions);
                } catch (GmqException e) {
                    return CompletableFuture.failedFuture(e);
                }
            } else {
                BatchKey stickyKey = new BatchKey(r.topic(), -1, r.qos());
                Integer p = sticky.get(stickyKey);
                if (p == null || p >= partitions) {
                    p = partitioner.nextSpreadPartition(r.topic(), partitions);
                    sticky.put(stickyKey, p);
                }
                partition = p;
            }
            BatchKey key = new BatchKey(r.topic(), partition, r.qos());
            OpenBatch b = open.get(key);
            if (b != null && b.builder.sizeInBytes() + recordSize > config.maxBatchBytes()) {
                seal(b);
                b = null;
            }
            if (b == null) {
                b = new OpenBatch(key);
                open.put(key, b);
            }
            long ts = r.timestamp() >= 0
                    ? r.timestamp()
                    : engine.config().timeSource().wallMillis();
            b.builder.add(ts, r.key(), r.payload(), r.headers());
            b.futures.add(f);
            if (sendNow
                    || b.builder.sizeInBytes() >= config.maxBatchBytes()
                    || config.linger().isZero()) {
                seal(b);
            } else if (b.lingerTask == null) {
                OpenBatch lingering = b;
                b.lingerTask = timer.schedule(
                        () -> sendOpen(lingering), config.linger().toNanos(), TimeUnit.NANOSECONDS);
            }
        }
        return f;
    }

    /** Appends every open batch now. */
    synchronized void flush() {
        for (OpenBatch b : new ArrayList<>(open.values())) {
            seal(b);
        }
    }

    private synchronized void sendOpen(OpenBatch b) {
        if (open.get(b.key) == b) {
            seal(b);
        }
    }

    private void seal(OpenBatch b) {
        open.remove(b.key);
        BatchKey stickyKey = new BatchKey(b.key.topic(), -1, b.key.qos());
        Integer p = sticky.get(stickyKey);
        if (p != null && p == b.key.partition()) {
            sticky.remove(stickyKey);
        }
        if (b.lingerTask != null) {
            b.lingerTask.cancel(false);
        }
        boolean durable = b.key.qos() == QoS.AT_LEAST_ONCE;
        b.builder.attributes(durable ? BatchFormat.ATTR_QOS_AT_LEAST_ONCE : 0);
        ByteBuffer frame = b.builder.buildCopy();
        List<CompletableFuture<PublishResult>> futures = b.futures;
        TopicPartition tp = new TopicPartition(b.key.topic(), b.key.partition());
        engine.append(tp, frame, durable).whenComplete((a, e) -> {
            if (e != null) {
                Throwable cause = e.getCause() != null && !(e instanceof GmqException) ? e.getCause() : e;
                for (CompletableFuture<PublishResult> f : futures) {
                    f.completeExceptionally(cause);
                }
                return;
            }
            long base = a.baseOffset();
            for (int i = 0; i < futures.size(); i++) {
                futures.get(i).complete(new PublishResult(tp.topic(), tp.partition(), base + i));
            }
        });
    }

    /** Appends what is open and stops the linger timer; appended batches complete on the engine's threads. */
    @Override
    public void close() {
        flush();
        timer.shutdownNow();
    }
}
