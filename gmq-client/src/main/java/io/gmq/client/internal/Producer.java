package io.gmq.client.internal;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.PublishRequest;
import io.gmq.PublishResult;
import io.gmq.QoS;
import io.gmq.TimeSource;
import io.gmq.broker.Partitioner;
import io.gmq.client.ClientConfig;
import io.gmq.proto.ClientFrame;
import io.gmq.proto.PublishAck;
import io.gmq.proto.PublishBatch;
import io.gmq.storage.BatchBuilder;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchFrame;
import io.gmq.wire.GrpcErrors;
import io.gmq.wire.Protos;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;

/**
 * The publishing half of the network client: routes each message, accumulates one open batch per
 * (topic, partition, QoS), sends it as one {@link PublishBatch} and completes the messages'
 * futures from its ack.
 *
 * <p>When a batch goes out: at once if no batch of its (topic, partition, QoS) awaits its ack, so a
 * lone message at a low rate is never held back by the linger; otherwise when it reaches
 * {@link ClientConfig#maxBatchBytes()} or after {@link ClientConfig#linger()}. Under load there is
 * always a batch in flight, so batches fill as before; sending the open batch as soon as an ack
 * returns (ack clocking) was measured too and made smaller batches and lower throughput.
 *
 * <p>At-least-once across broker loss: a sent batch stays in {@link #inFlight} until acked. When a
 * new session opens, unacknowledged QoS 1 batches are sent again in request-id order (the broker
 * may have appended them already: duplicates, never loss); QoS 0 batches sent on the lost session
 * fail with UNAVAILABLE (at most once). At most {@link ClientConfig#maxInFlightBatches()} batches
 * are in flight; publishing blocks (up to the publish's deadline) beyond that.
 *
 * <p>Deadlines: every publish must be acknowledged within {@link ClientConfig#requestTimeout()} of
 * its call; a batch's deadline is that of its earliest message. A sweep on the client's timer fails
 * overdue batches and removes them from {@link #inFlight}, so they are never sent (again):
 * <ul>
 *   <li>never written to any session: UNAVAILABLE, "not stored, publishing again cannot duplicate";
 *   <li>written to a session and not acknowledged: DEADLINE_EXCEEDED, indeterminate.
 * </ul>
 * The sweep runs under the connection's lock, as every write of a batch does, so a batch is either
 * written or expired as never sent, not both.
 */
final class Producer {
    private final ClientConfig config;
    private final BrokerConnection connection;
    private final ScheduledExecutorService timer;
    private final TimeSource time;
    private final long timeoutNanos;
    private final ToIntFunction<String> partitionCount;
    private final Runnable invalidateMetadata;
    private final Partitioner partitioner = new Partitioner();
    /** Stamps each sealed frame's CRC32C (guarded by this: batches are sealed under this lock). */
    private final BatchFrame crcStamp = new BatchFrame();

    private final Semaphore inFlightPermits;
    private final Map<BatchKey, OpenBatch> open = new HashMap<>();
    /**
     * Keyless messages stick to one partition per topic and QoS until that batch is sent. Keyed by
     * a record over the caller's topic String (whose hash is cached), not a concatenated String:
     * building and hashing a new String per publish was the producer thread's top cost.
     */
    private final Map<StickyKey, Integer> sticky = new HashMap<>();

    /** A batch is sent without waiting while fewer than this many of its key await their ack. */
    static final int EAGER_IN_FLIGHT = 1;

    /** Smallest initial capacity of a batch's buffer. */
    private static final int MIN_BATCH_CAPACITY = 4096;

    /**
     * Sent, unacknowledged batches per key. Concurrent, not guarded by this: acks decrement it on
     * the connection's thread, which must never wait for the producer lock (a publish holding it
     * may be waiting for an in-flight permit that only an ack releases).
     */
    private final ConcurrentHashMap<BatchKey, Integer> unackedPerKey = new ConcurrentHashMap<>();

    private final ConcurrentSkipListMap<Long, InFlight> inFlight = new ConcurrentSkipListMap<>();
    private long nextRequestId = 1;

    private record BatchKey(String topic, int partition, QoS qos) {}

    private record StickyKey(String topic, QoS qos) {}

    private static final class OpenBatch {
        final BatchKey key;
        /** Used once: its array becomes the sent frame (no copy), so it is sized to need no growth. */
        final BatchBuilder builder;

        final List<CompletableFuture<PublishResult>> futures = new ArrayList<>();
        /** When the earliest publish of this batch was called: its deadline is the batch's. */
        long firstCallNanos = Long.MAX_VALUE;

        ScheduledFuture<?> lingerTask;
        /** Taken out of the open set (guarded by the producer's lock). */
        boolean sealed;

        OpenBatch(BatchKey key, int capacity) {
            this.key = key;
            this.builder = new BatchBuilder(capacity);
        }
    }

    /** Size of the last batch sealed (guarded by this): the next one is presized from it. */
    private int lastBatchBytes;

    /** The open batch the last keyless message joined (guarded by this); a shortcut, not a state. */
    private OpenBatch stickyBatch;

    /**
     * A sealed batch awaiting its ack; {@code sentEpoch} is the last session it was written to (0:
     * never written, so certainly not stored). Written and expired only under the connection's lock.
     */
    private static final class InFlight {
        final long requestId;
        final BatchKey key;
        final ByteBuffer frame;
        final List<CompletableFuture<PublishResult>> futures;
        final long deadlineNanos;
        int sentEpoch;

        InFlight(
                long requestId,
                BatchKey key,
                ByteBuffer frame,
                List<CompletableFuture<PublishResult>> futures,
                long deadlineNanos) {
            this.requestId = requestId;
            this.key = key;
            this.frame = frame;
            this.futures = futures;
            this.deadlineNanos = deadlineNanos;
        }
    }

    Producer(
            ClientConfig config,
            BrokerConnection connection,
            ScheduledExecutorService timer,
            TimeSource time,
            ToIntFunction<String> partitionCount,
            Runnable invalidateMetadata) {
        this.config = config;
        this.connection = connection;
        this.timer = timer;
        this.time = time;
        this.timeoutNanos = config.requestTimeout().toNanos();
        this.partitionCount = partitionCount;
        this.invalidateMetadata = invalidateMetadata;
        this.inFlightPermits = new Semaphore(config.maxInFlightBatches());
    }

    /**
     * How often overdue batches are looked for: a tenth of the request timeout, within [5 ms, 1 s].
     * A publish fails at most this long after its deadline.
     */
    long sweepIntervalNanos() {
        return Math.max(TimeUnit.MILLISECONDS.toNanos(5), Math.min(TimeUnit.SECONDS.toNanos(1), timeoutNanos / 10));
    }

    /** Starts the deadline sweep on the client's timer (which the client shuts down on close). */
    void start() {
        long every = sweepIntervalNanos();
        timer.scheduleWithFixedDelay(this::expireOverdue, every, every, TimeUnit.NANOSECONDS);
    }

    /**
     * Fails every batch past its deadline and takes it out of the send queue (see the class
     * comment). The futures are failed after the connection's lock is released: their callbacks
     * may publish.
     */
    void expireOverdue() {
        long now = time.nanoTime();
        List<InFlight> expired = new ArrayList<>();
        List<GmqException> causes = new ArrayList<>();
        synchronized (connection) {
            for (InFlight batch : inFlight.values()) {
                if (now - batch.deadlineNanos >= 0 && inFlight.remove(batch.requestId, batch)) {
                    expired.add(batch);
                    causes.add(overdue(batch));
                }
            }
        }
        for (int i = 0; i < expired.size(); i++) {
            InFlight batch = expired.get(i);
            inFlightPermits.release();
            uncount(batch.key);
            failAll(batch.futures, causes.get(i));
        }
    }

    /** The error of a batch past its deadline: never sent (safe to publish again) or indeterminate. */
    private GmqException overdue(InFlight batch) {
        String what = batch.futures.size() == 1 ? "publish" : batch.futures.size() + " publishes";
        String where = "to '" + batch.key.topic() + "' partition " + batch.key.partition();
        long ms = TimeUnit.NANOSECONDS.toMillis(timeoutNanos);
        if (batch.sentEpoch == 0) {
            return new GmqException(
                    ErrorCode.UNAVAILABLE,
                    what + " " + where + " not sent within requestTimeout (" + ms + " ms): no GMQ broker reachable at "
                            + config.addresses() + "; removed from the send queue and not stored, so"
                            + " publishing again cannot duplicate it");
        }
        return new GmqException(
                ErrorCode.DEADLINE_EXCEEDED,
                what + " " + where + " sent but not acknowledged within requestTimeout (" + ms + " ms); the outcome is"
                        + " indeterminate: it may or may not be stored, and it will not be sent again");
    }

    /** Adds a message to its partition's open batch; with {@code sendNow} sends that batch at once. */
    CompletableFuture<PublishResult> publish(PublishRequest r, boolean sendNow, long calledNanos) {
        int partitions = partitionCount.applyAsInt(r.topic());
        CompletableFuture<PublishResult> f = new CompletableFuture<>();
        synchronized (this) {
            boolean keyless = r.partition() == PublishRequest.ANY_PARTITION && r.key() == null;
            OpenBatch b;
            BatchKey key;
            if (keyless
                    && stickyBatch != null
                    && stickyBatch.key.topic() == r.topic() // identity: the caller's String, usually a constant
                    && stickyBatch.key.qos() == r.qos()
                    && !stickyBatch.sealed
                    && stickyBatch.key.partition() < partitions) {
                // The common case of a stream of keyless messages: the batch the last one joined
                // is still open, so no key objects and no map lookups for this one.
                b = stickyBatch;
                key = b.key;
            } else {
                key = new BatchKey(r.topic(), choosePartition(r, keyless, partitions), r.qos());
                b = open.get(key);
            }
            int recordSize = BatchBuilder.recordSize(r.key(), r.payload().length, r.headers());
            if (b != null && b.builder.sizeInBytes() + recordSize > config.maxBatchBytes()) {
                seal(b); // full: send it, start a new one
                b = null;
            }
            // A batch opened while none of its key awaits an ack leaves with its first record; one
            // that exists already was opened behind an unacknowledged batch and fills as usual.
            boolean eager = false;
            if (b == null) {
                int capacity = Math.min(
                        config.maxBatchBytes() + BatchFormat.HEADER_LENGTH,
                        Math.max(MIN_BATCH_CAPACITY, lastBatchBytes + lastBatchBytes / 4));
                b = new OpenBatch(key, Math.max(capacity, recordSize + BatchFormat.HEADER_LENGTH));
                open.put(key, b);
                eager = unackedPerKey.getOrDefault(key, 0) < EAGER_IN_FLIGHT;
            }
            if (keyless) {
                stickyBatch = b;
            }
            long ts = r.timestamp() >= 0 ? r.timestamp() : System.currentTimeMillis();
            b.builder.add(ts, r.key(), r.payload(), r.headers());
            b.futures.add(f);
            b.firstCallNanos = Math.min(b.firstCallNanos, calledNanos);
            if (sendNow
                    || b.builder.sizeInBytes() >= config.maxBatchBytes()
                    || config.linger().isZero()
                    || eager) {
                seal(b);
            } else if (b.lingerTask == null) {
                OpenBatch lingering = b;
                b.lingerTask = timer.schedule(
                        () -> sendOpen(lingering), config.linger().toNanos(), TimeUnit.NANOSECONDS);
            }
        }
        return f;
    }

    /** The partition of {@code r}: by its explicit partition or key, else the topic's sticky one (lock held). */
    private int choosePartition(PublishRequest r, boolean keyless, int partitions) {
        if (!keyless) {
            return partitioner.choose(
                    r.topic(),
                    r.partition() == PublishRequest.ANY_PARTITION ? null : r.partition(),
                    r.key(),
                    partitions);
        }
        StickyKey stickyKey = new StickyKey(r.topic(), r.qos());
        Integer p = sticky.get(stickyKey);
        if (p == null || p >= partitions) {
            p = partitioner.nextSpreadPartition(r.topic(), partitions);
            sticky.put(stickyKey, p);
        }
        return p;
    }

    /** Sends every open batch now. */
    synchronized void flush() {
        for (OpenBatch b : new ArrayList<>(open.values())) {
            seal(b);
        }
    }

    /** Waits until every sent batch is acknowledged or failed, up to {@code timeoutMillis}. */
    boolean awaitInFlight(long timeoutMillis) {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (!inFlight.isEmpty()) {
            InFlight first =
                    inFlight.firstEntry() == null ? null : inFlight.firstEntry().getValue();
            if (first == null) {
                break;
            }
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return false;
            }
            try {
                CompletableFuture.allOf(first.futures.toArray(new CompletableFuture<?>[0]))
                        .get(left, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                // failed or timed out: the loop checks the deadline
            }
        }
        return true;
    }

    private synchronized void sendOpen(OpenBatch b) {
        if (open.get(b.key) == b) {
            seal(b);
        }
    }

    /**
     * Removes {@code b} from the open set and sends it. Runs under this lock, so request ids, and
     * with them the order batches reach the broker, follow the order batches were sealed.
     */
    private void seal(OpenBatch b) {
        b.sealed = true;
        lastBatchBytes = b.builder.sizeInBytes();
        open.remove(b.key);
        forgetSticky(b.key);
        unackedPerKey.merge(b.key, 1, Integer::sum);
        send(b);
    }

    /** One fewer batch of {@code key} awaits its ack (acknowledged, failed, or never sent). */
    private void uncount(BatchKey key) {
        unackedPerKey.computeIfPresent(key, (k, n) -> n <= 1 ? null : n - 1);
    }

    private void forgetSticky(BatchKey key) {
        StickyKey stickyKey = new StickyKey(key.topic(), key.qos());
        Integer p = sticky.get(stickyKey);
        if (p != null && p == key.partition()) {
            sticky.remove(stickyKey);
        }
    }

    private void send(OpenBatch b) {
        if (b.lingerTask != null) {
            b.lingerTask.cancel(false);
        }
        b.builder.attributes(b.key.qos() == QoS.AT_LEAST_ONCE ? BatchFormat.ATTR_QOS_AT_LEAST_ONCE : 0);
        ByteBuffer frame = b.builder.build(); // the builder is dropped: its array is the frame's now
        crcStamp.wrap(frame, 0).stampCrc(); // storage verifies it before appending: end-to-end integrity
        long deadline = b.firstCallNanos + timeoutNanos;
        try {
            if (!inFlightPermits.tryAcquire(Math.max(0, deadline - time.nanoTime()), TimeUnit.NANOSECONDS)) {
                uncount(b.key); // never sent
                failAll(
                        b.futures,
                        new GmqException(
                                ErrorCode.RESOURCE_EXHAUSTED,
                                config.maxInFlightBatches()
                                        + " publish batches are awaiting acks; the broker is slower than the producer"));
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            uncount(b.key);
            failAll(b.futures, new GmqException(ErrorCode.UNAVAILABLE, "interrupted while publishing"));
            return;
        }
        synchronized (connection) {
            long id = nextRequestId++;
            InFlight batch = new InFlight(id, b.key, frame, b.futures, deadline);
            inFlight.put(id, batch);
            transmit(batch, currentEpochIfConnected());
        }
    }

    private volatile int sessionEpoch;

    private int currentEpochIfConnected() {
        return connection.isConnected() ? sessionEpoch : 0;
    }

    /**
     * Sends {@code batch} on session {@code epoch} (0: not connected, it waits for the next session).
     * Sets the deprecated {@code qos} field to match the frame's bit, which older brokers check.
     */
    @SuppressWarnings("deprecation")
    private void transmit(InFlight batch, int epoch) {
        if (epoch == 0) {
            return;
        }
        boolean sent = connection.send(ClientFrame.newBuilder()
                .setPublish(PublishBatch.newBuilder()
                        .setRequestId(batch.requestId)
                        .setTopic(batch.key.topic())
                        .setPartition(batch.key.partition())
                        .setQos(
                                batch.key.qos() == QoS.AT_LEAST_ONCE
                                        ? io.gmq.proto.QoS.QOS_AT_LEAST_ONCE
                                        : io.gmq.proto.QoS.QOS_AT_MOST_ONCE)
                        .setBatch(Protos.bytes(batch.frame)))
                .build());
        if (sent) {
            batch.sentEpoch = epoch;
        }
    }

    /** A new session is open (connection lock held): resend what the last one left unacknowledged. */
    void onConnected(int epoch) {
        sessionEpoch = epoch;
        for (InFlight batch : inFlight.values()) {
            if (batch.sentEpoch != 0 && batch.key.qos() == QoS.AT_MOST_ONCE) {
                complete(
                        batch.requestId,
                        new GmqException(
                                ErrorCode.UNAVAILABLE,
                                "the broker went away before acknowledging a QoS 0 publish; it may or may not be stored"));
            } else {
                transmit(batch, epoch);
            }
        }
    }

    void onAck(PublishAck ack) {
        InFlight batch = inFlight.get(ack.getRequestId());
        if (batch == null) {
            return;
        }
        if (ack.hasError()) {
            GmqException e = GrpcErrors.fromProto(ack.getError());
            if (e.code() == ErrorCode.NOT_FOUND || e.code() == ErrorCode.INVALID_ARGUMENT) {
                invalidateMetadata.run();
            }
            boolean withinTimeout = time.nanoTime() - batch.deadlineNanos < 0;
            if (e.code() == ErrorCode.UNAVAILABLE && batch.key.qos() == QoS.AT_LEAST_ONCE && withinTimeout) {
                // The broker lost its storage for a moment: try again soon, until the deadline.
                timer.schedule(
                        () -> {
                            synchronized (connection) {
                                if (inFlight.get(batch.requestId) == batch) { // not expired or failed since
                                    transmit(batch, currentEpochIfConnected());
                                }
                            }
                        },
                        100,
                        TimeUnit.MILLISECONDS);
                return;
            }
            complete(ack.getRequestId(), e);
            return;
        }
        if (inFlight.remove(ack.getRequestId()) == null) {
            return;
        }
        inFlightPermits.release();
        uncount(batch.key); // acknowledged or failed
        long base = ack.getBaseOffset();
        for (int i = 0; i < batch.futures.size(); i++) {
            batch.futures.get(i).complete(new PublishResult(batch.key.topic(), batch.key.partition(), base + i));
        }
    }

    private void complete(long requestId, GmqException e) {
        InFlight batch = inFlight.remove(requestId);
        if (batch != null) {
            inFlightPermits.release();
            failAll(batch.futures, e);
            uncount(batch.key); // acknowledged or failed
        }
    }

    /** Fails everything open and in flight (client closing). */
    void failEverything(GmqException e) {
        List<OpenBatch> all;
        synchronized (this) {
            all = new ArrayList<>(open.values());
            open.clear();
        }
        for (OpenBatch b : all) {
            failAll(b.futures, e);
        }
        for (Long id : List.copyOf(inFlight.keySet())) {
            complete(id, e);
        }
    }

    private static void failAll(List<CompletableFuture<PublishResult>> futures, GmqException e) {
        for (CompletableFuture<PublishResult> f : futures) {
            f.completeExceptionally(e);
        }
    }
}
