package io.gmq.client.internal;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.PublishRequest;
import io.gmq.PublishResult;
import io.gmq.QoS;
import io.gmq.TimeSource;
import io.gmq.broker.ProducerBatch;
import io.gmq.broker.PublishBatcher;
import io.gmq.client.ClientConfig;
import io.gmq.proto.ClientFrame;
import io.gmq.proto.PublishAck;
import io.gmq.proto.PublishBatch;
import io.gmq.storage.BatchFrame;
import io.gmq.wire.GrpcErrors;
import io.gmq.wire.Protos;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;

/**
 * The publishing half of the network client: the transport of a {@link PublishBatcher}, which
 * routes each message and decides when a batch leaves ({@link PublishBatcher.Policy#network}: at
 * once when no batch of its (topic, partition, QoS) awaits its ack, else when full or after
 * {@link ClientConfig#linger()}). This class sends each sealed batch as one {@link PublishBatch}
 * and completes it from its ack.
 *
 * <p>At-least-once across broker loss: a sent batch stays in {@link #inFlight} until acked. When a
 * new session opens, unacknowledged QoS 1 batches are sent again in request-id order, as the same
 * bytes. The broker may have appended them already: with {@link ClientConfig#idempotence()} (the
 * default) each frame carries the producer id, epoch and sequences, and storage answers such a
 * resend with the original offsets (exactly once into the log); without, a resend may duplicate.
 * QoS 0 batches sent on the lost session fail with UNAVAILABLE (at most once).
 *
 * <p>An idempotent batch refused with FAILED_PRECONDITION (a sequence gap: a batch before it in the
 * same partition and epoch is not stored yet) is sent again like an UNAVAILABLE one while such an
 * earlier batch is still in flight here (it is being resent and will fill the gap); otherwise it
 * fails, and its partition's next batch starts a new epoch at sequence 0. At most {@link ClientConfig#maxInFlightBatches()} batches
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
 *
 * <p>Acks arrive on the connection's thread, which must never wait for the batcher's lock (a
 * publish holding it may be waiting for an in-flight permit that only an ack releases): the network
 * policy completes batches without that lock.
 */
final class Producer {
    private final ClientConfig config;
    private final BrokerConnection connection;
    private final ScheduledExecutorService timer;
    private final TimeSource time;
    private final long timeoutNanos;
    private final ToIntFunction<String> partitionCount;
    private final Runnable invalidateMetadata;
    /** Stamps each frame's CRC32C before it is sent (guarded by the connection: frames are sent under its lock). */
    private final BatchFrame crcStamp = new BatchFrame();

    /**
     * Routes refused batches again, in the order they were refused; its one thread ends when idle
     * (a topic's growth is rare), so it needs no shutdown.
     */
    private final java.util.concurrent.ThreadPoolExecutor reroutes = new java.util.concurrent.ThreadPoolExecutor(
            1, 1, 1, TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "gmq-client-reroute");
                t.setDaemon(true);
                return t;
            });

    {
        reroutes.allowCoreThreadTimeOut(true);
    }

    private final Semaphore inFlightPermits;
    private final PublishBatcher batcher;

    private final ConcurrentSkipListMap<Long, InFlight> inFlight = new ConcurrentSkipListMap<>();
    private long nextRequestId = 1;

    /**
     * A sealed batch awaiting its ack; {@code sentEpoch} is the last session it was written to (0:
     * never written, so certainly not stored). Written and expired only under the connection's lock.
     */
    private static final class InFlight {
        final long requestId;
        final ProducerBatch batch;
        final long deadlineNanos;
        int sentEpoch;

        InFlight(long requestId, ProducerBatch batch, long deadlineNanos) {
            this.requestId = requestId;
            this.batch = batch;
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
        this.batcher = new PublishBatcher(
                PublishBatcher.Policy.network(config.maxBatchBytes(), config.linger()),
                this::send,
                timer,
                time,
                config.idempotence());
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
            inFlightPermits.release();
            expired.get(i).batch.fail(causes.get(i));
        }
    }

    /** The error of a batch past its deadline: never sent (safe to publish again) or indeterminate. */
    private GmqException overdue(InFlight batch) {
        int records = batch.batch.recordCount();
        String what = records == 1 ? "publish" : records + " publishes";
        String where = "to '" + batch.batch.topic() + "' partition " + batch.batch.partition();
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

    /**
     * Adds a message to its partition's open batch; with {@code sendNow} sends that batch at once.
     * The topic's partition count is looked up (maybe a call to the broker) before the batcher's
     * lock is taken.
     */
    CompletableFuture<PublishResult> publish(PublishRequest r, boolean sendNow, long calledNanos) {
        return batcher.publish(r, partitionCount.applyAsInt(r.topic()), sendNow, calledNanos);
    }

    /** Sends every open batch now. */
    void flush() {
        batcher.flush();
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
                first.batch.whenDone().get(left, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                // failed or timed out: the loop checks the deadline
            }
        }
        return true;
    }

    /**
     * The batcher's transport: takes an in-flight permit (waiting up to the batch's deadline),
     * gives the batch the next request id and writes it if a session is open. Runs under the
     * batcher's lock, so request ids, and with them the order batches reach the broker, follow the
     * order batches were sealed.
     */
    private void send(ProducerBatch b) {
        long deadline = b.firstCallNanos() + timeoutNanos;
        try {
            if (!inFlightPermits.tryAcquire(Math.max(0, deadline - time.nanoTime()), TimeUnit.NANOSECONDS)) {
                b.fail(new GmqException(
                        ErrorCode.RESOURCE_EXHAUSTED,
                        config.maxInFlightBatches()
                                + " publish batches are awaiting acks; the broker is slower than the producer"));
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            b.fail(new GmqException(ErrorCode.UNAVAILABLE, "interrupted while publishing"));
            return;
        }
        synchronized (connection) {
            crcStamp.wrap(b.frame(), 0).stampCrc(); // storage verifies it before appending: end-to-end integrity
            long id = nextRequestId++;
            InFlight batch = new InFlight(id, b, deadline);
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
                        .setTopic(batch.batch.topic())
                        .setPartition(batch.batch.partition())
                        .setQos(
                                batch.batch.qos() == QoS.AT_LEAST_ONCE
                                        ? io.gmq.proto.QoS.QOS_AT_LEAST_ONCE
                                        : io.gmq.proto.QoS.QOS_AT_MOST_ONCE)
                        .setBatch(Protos.bytes(batch.batch.frame()))
                        .setDeliverAtMillis(batch.batch.deliverAtMillis())
                        .setRoutedPartitions(batch.batch.routedPartitions()))
                .build());
        if (sent) {
            batch.sentEpoch = epoch;
        }
    }

    /** A new session is open (connection lock held): resend what the last one left unacknowledged. */
    void onConnected(int epoch) {
        sessionEpoch = epoch;
        for (InFlight batch : inFlight.values()) {
            if (batch.sentEpoch != 0 && batch.batch.qos() == QoS.AT_MOST_ONCE) {
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
            if (io.gmq.storage.StaleRouting.is(e) && inFlight.remove(ack.getRequestId(), batch)) {
                inFlightPermits.release();
                batch.batch.abandonEpoch(); // now: the answers of later batches of its epoch may follow
                reroute(batch, true);
                return;
            }
            if (e.code() == ErrorCode.FAILED_PRECONDITION
                    && batch.batch.epochAbandoned()
                    && inFlight.remove(ack.getRequestId(), batch)) {
                // A sequence gap behind a batch of its epoch that was given up (failed, or routed
                // again after a growth): nothing of it was stored; publish its records afresh.
                inFlightPermits.release();
                reroute(batch, false);
                return;
            }
            if (e.code() == ErrorCode.NOT_FOUND || e.code() == ErrorCode.INVALID_ARGUMENT) {
                invalidateMetadata.run();
            }
            boolean withinTimeout = time.nanoTime() - batch.deadlineNanos < 0;
            boolean retry = e.code() == ErrorCode.UNAVAILABLE
                    || (e.code() == ErrorCode.FAILED_PRECONDITION && earlierInFlight(batch));
            if (retry && batch.batch.qos() == QoS.AT_LEAST_ONCE && withinTimeout) {
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
        batch.batch.complete(ack.getBaseOffset());
    }

    /**
     * The topic grew since {@code batch} was routed, and storage refused it (nothing stored): reads
     * the count again and publishes its records again, routed with it, on the reroute thread (never
     * the connection's: publishing may wait for a permit only an ack releases). Each record keeps
     * its future and its deadline. While the broker still answers the old count (a storage cluster
     * changes the count its brokers read last) it asks again a little later, until the deadline.
     * Without {@code awaitNewCount} (a batch behind a given-up one of its epoch) it publishes at once.
     */
    private void reroute(InFlight batch, boolean awaitNewCount) {
        ProducerBatch b = batch.batch;
        reroutes.execute(() -> {
            try {
                while (awaitNewCount) {
                    invalidateMetadata.run();
                    int now = partitionCount.applyAsInt(b.topic());
                    if (now != b.routedPartitions() || time.nanoTime() - batch.deadlineNanos >= 0) {
                        break;
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(REROUTE_RETRY_NANOS);
                }
                b.reroute(r -> publish(r, false, b.firstCallNanos()));
                batcher.flush();
            } catch (RuntimeException e) {
                b.fail(e);
            }
        });
    }

    /** How long a reroute waits before asking the count again when the broker still says the old one. */
    private static final long REROUTE_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    /**
     * Whether an idempotent batch sent before {@code batch} to the same partition in the same epoch
     * is still awaiting its ack: a sequence gap that batch's resend will fill.
     */
    private boolean earlierInFlight(InFlight batch) {
        ProducerBatch b = batch.batch;
        if (!b.idempotent()) {
            return false;
        }
        for (InFlight earlier : inFlight.headMap(batch.requestId).values()) {
            ProducerBatch e = earlier.batch;
            if (e.idempotent()
                    && e.producerEpoch() == b.producerEpoch()
                    && e.partition() == b.partition()
                    && e.topic().equals(b.topic())) {
                return true;
            }
        }
        return false;
    }

    private void complete(long requestId, GmqException e) {
        InFlight batch = inFlight.remove(requestId);
        if (batch != null) {
            inFlightPermits.release();
            batch.batch.fail(e);
        }
    }

    /** Fails everything open and in flight (client closing). */
    void failEverything(GmqException e) {
        batcher.failOpen(e);
        for (Long id : List.copyOf(inFlight.keySet())) {
            complete(id, e);
        }
    }
}
