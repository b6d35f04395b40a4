package io.gmq.broker;

import io.gmq.Header;
import io.gmq.PublishResult;
import io.gmq.TopicPartition;
import io.gmq.storage.AppendResult;
import io.gmq.storage.BatchBuilder;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Batches single-message publishes of one partition and QoS without adding latency: a message is
 * sent at once when fewer than {@link #MAX_IN_FLIGHT} appends of this partition are in flight;
 * otherwise it joins the open batch, which goes out as one frame (one append, one log request) the
 * moment an in-flight append completes. Under load the batch size grows to match the append
 * latency (the fsync, by default); when idle every message goes alone. Each message's future
 * completes with its own offset: the batch's base offset plus its index in the batch.
 *
 * <p>Futures complete on the thread that completes the append (the log's syncer under fsync
 * before ack), so callbacks should be short.
 */
final class PublishAccumulator {
    /** Two appends in flight let the log write one batch while it forces the previous one. */
    static final int MAX_IN_FLIGHT = 2;

    private final BrokerEngine engine;
    private final TopicPartition tp;
    private final boolean durable;
    private final short attributes;
    private final int maxBatchBytes;

    private BatchBuilder open = new BatchBuilder(1024);
    private List<CompletableFuture<PublishResult>> openFutures = new ArrayList<>();
    private int inFlight;

    PublishAccumulator(BrokerEngine engine, TopicPartition tp, boolean durable, short attributes, int maxBatchBytes) {
        this.engine = engine;
        this.tp = tp;
        this.durable = durable;
        this.attributes = attributes;
        this.maxBatchBytes = maxBatchBytes;
    }

    CompletableFuture<PublishResult> add(long timestamp, byte[] key, byte[] value, List<Header> headers) {
        CompletableFuture<PublishResult> f = new CompletableFuture<>();
        ByteBuffer ready = null;
        List<CompletableFuture<PublishResult>> readyFutures = null;
        synchronized (this) {
            int size = BatchBuilder.recordSize(key, value.length, headers);
            if (!open.isEmpty() && open.sizeInBytes() + size > maxBatchBytes) {
                // The open batch is full: send it even past the in-flight limit.
                ready = open.attributes(attributes).buildCopy();
                readyFutures = openFutures;
                open.reset();
                openFutures = new ArrayList<>();
                inFlight++;
            }
            open.add(timestamp, key, value, headers);
            openFutures.add(f);
            if (ready == null && inFlight < MAX_IN_FLIGHT) {
                ready = open.attributes(attributes).buildCopy();
                readyFutures = openFutures;
                open.reset();
                openFutures = new ArrayList<>();
                inFlight++;
            }
        }
        if (ready != null) {
            send(ready, readyFutures);
        }
        return f;
    }

    private void send(ByteBuffer frame, List<CompletableFuture<PublishResult>> futures) {
        CompletableFuture<AppendResult> append;
        try {
            append = engine.append(tp, frame, durable);
        } catch (RuntimeException e) {
            append = CompletableFuture.failedFuture(e);
        }
        append.whenComplete((r, e) -> {
            if (e != null) {
                Throwable cause = BrokerEngine.unwrap(e);
                for (CompletableFuture<PublishResult> f : futures) {
                    f.completeExceptionally(cause);
                }
            } else {
                for (int i = 0; i < futures.size(); i++) {
                    futures.get(i).complete(new PublishResult(tp.topic(), tp.partition(), r.baseOffset() + i));
                }
            }
            sendNext();
        });
    }

    private void sendNext() {
        ByteBuffer ready = null;
        List<CompletableFuture<PublishResult>> readyFutures = null;
        synchronized (this) {
            inFlight--;
            if (!open.isEmpty() && inFlight < MAX_IN_FLIGHT) {
                ready = open.attributes(attributes).buildCopy();
                readyFutures = openFutures;
                open.reset();
                openFutures = new ArrayList<>();
                inFlight++;
            }
        }
        if (ready != null) {
            send(ready, readyFutures);
        }
    }
}
