package io.gmq.net.perf;

import io.gmq.AckMode;
import io.gmq.ConsumeMessage;
import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.OffsetSpec;
import io.gmq.Ordering;
import io.gmq.PublishOption;
import io.gmq.QoS;
import io.gmq.client.GmqClient;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code perf e2e}: one producer at a fixed rate, one group consumer (auto acks: QoS 1 acks go
 * back as the handler returns); latency is intended send time to handler entry, both read from
 * this JVM's {@link System#nanoTime()}, which the payload carries in its first
 * {@link #TIMESTAMP_LENGTH} bytes.
 *
 * <p>Before measuring, one warm-up record goes to each partition and the run waits for all of
 * them: by then the consumer owns every partition, so group join time is not counted as latency.
 * With {@code warmupRecords}, that many more go at the run's rate first and are awaited too, so
 * the measured records do not pay for JIT compilation of the client and server paths.
 */
public final class EndToEndPerf {
    static final int TIMESTAMP_LENGTH = Long.BYTES;
    /** Timestamp of a warm-up record; never a real nanoTime of a measured record. */
    private static final long WARM_UP = Long.MIN_VALUE;

    private static final long WARM_UP_TIMEOUT_MILLIS = 60_000;

    public record Spec(
            String topic,
            long records,
            int recordSize,
            double rate,
            QoS qos,
            int partitions,
            int maxOutstanding,
            long idleTimeoutMillis,
            int warmupRecords,
            int keys,
            Ordering ordering) {
        /** Records without keys, partition ordering. */
        public Spec(
                String topic,
                long records,
                int recordSize,
                double rate,
                QoS qos,
                int partitions,
                int maxOutstanding,
                long idleTimeoutMillis,
                int warmupRecords) {
            this(
                    topic,
                    records,
                    recordSize,
                    rate,
                    qos,
                    partitions,
                    maxOutstanding,
                    idleTimeoutMillis,
                    warmupRecords,
                    0,
                    Ordering.PARTITION);
        }

        public Spec {
            ProducePerf.require(keys >= 0, "--keys must not be negative");
            ProducePerf.require(ordering != null, "--ordering must be partition or key");
            ProducePerf.require(records > 0, "--records must be positive");
            ProducePerf.require(
                    recordSize >= TIMESTAMP_LENGTH,
                    "--record-size must be at least " + TIMESTAMP_LENGTH + " (the payload carries its send time)");
            ProducePerf.require(partitions >= 1, "--partitions must be positive");
            ProducePerf.require(maxOutstanding >= 1, "--max-outstanding must be at least 1");
            ProducePerf.require(warmupRecords >= 0, "--warmup-records must not be negative");
        }
    }

    private final PerfTarget target;
    private final Spec spec;
    private final PrintStream out;
    private final PerfStats stats = new PerfStats(true); // recorded by the one consumer's handler thread
    private final AtomicLong received = new AtomicLong();
    private final CpuUsage.ThreadSpan handlerCpu;
    private final CpuUsage.ThreadSpan producerCpu;
    private final CountDownLatch warmedUp;
    private final CountDownLatch done = new CountDownLatch(1);
    private final AtomicReference<Throwable> publishError = new AtomicReference<>();

    public EndToEndPerf(PerfTarget target, Spec spec, PrintStream out) {
        this.target = target;
        this.spec = spec;
        this.out = out;
        this.handlerCpu = new CpuUsage.ThreadSpan("handler", spec.records());
        this.producerCpu = new CpuUsage.ThreadSpan("producer", spec.records());
        this.warmedUp = new CountDownLatch(spec.partitions() + spec.warmupRecords());
    }

    public PerfStats.Snapshot run() throws InterruptedException {
        String group = "gmq-perf-e2e-" + UUID.randomUUID().toString().substring(0, 8);
        GmqClient consumer = GmqClient.connect(target.config()
                .consumerGroup(group)
                .startFrom(OffsetSpec.earliest())
                .ackMode(AckMode.AUTO)
                .ordering(spec.ordering())
                .messageHandler(this::onMessage)
                .build());
        GmqClient producer = null;
        try {
            producer = target.sharesOneClient()
                    ? consumer
                    : GmqClient.connect(target.config().build());
            PerfTarget.ensureTopic(producer, spec.topic(), spec.partitions());
            consumer.subscribe(spec.topic());
            warmUp(producer);
            PerfStats.Snapshot total;
            long startNanos;
            try (ProgressReporter ignored = new ProgressReporter(stats, out)) {
                startNanos = System.nanoTime();
                publishAll(producer, startNanos);
                RunWaiter.await(done, received::get, spec.idleTimeoutMillis(), "perf e2e");
                total = stats.total(startNanos, System.nanoTime());
            }
            out.println(total.summaryLine());
            out.flush();
            return total;
        } finally {
            if (producer != null && producer != consumer) {
                producer.close();
            }
            consumer.close();
        }
    }

    private void warmUp(GmqClient producer) throws InterruptedException {
        for (int p = 0; p < spec.partitions(); p++) {
            producer.publish(spec.topic(), payload(WARM_UP), PublishOption.partition(p), PublishOption.qos(spec.qos()));
        }
        Pacer pacer = Pacer.of(spec.rate(), System.nanoTime());
        PublishOption qos = PublishOption.qos(spec.qos());
        for (int i = 0; i < spec.warmupRecords(); i++) {
            pacer.awaitSlot(i);
            producer.publishAsync(spec.topic(), payload(WARM_UP), qos);
        }
        producer.flush();
        if (!warmedUp.await(WARM_UP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
            throw new GmqException(
                    ErrorCode.DEADLINE_EXCEEDED,
                    "perf e2e: the consumer did not receive the warm-up records within " + WARM_UP_TIMEOUT_MILLIS
                            + " ms; is the group stuck rebalancing?");
        }
    }

    private void publishAll(GmqClient producer, long startNanos) throws InterruptedException {
        Pacer pacer = Pacer.of(spec.rate(), startNanos);
        PublishOption qos = PublishOption.qos(spec.qos());
        PublishOption[] keys = ProducePerf.keyOptions(spec.keys());
        Semaphore outstanding = new Semaphore(spec.maxOutstanding());
        for (long i = 0; i < spec.records(); i++) {
            long due = pacer.awaitSlot(i);
            outstanding.acquire();
            producerCpu.at(i);
            (keys.length == 0
                            ? producer.publishAsync(spec.topic(), payload(due), qos)
                            : producer.publishAsync(spec.topic(), payload(due), qos, keys[(int) (i % keys.length)]))
                    .whenComplete((r, e) -> {
                        if (e != null) {
                            publishError.compareAndSet(null, e);
                            done.countDown(); // the run cannot complete: stop waiting
                        }
                        outstanding.release();
                    });
            if (publishError.get() != null) {
                break;
            }
        }
        producer.flush();
        Throwable e = publishError.get();
        if (e != null) {
            Throwable cause = e.getCause() != null && !(e instanceof GmqException) ? e.getCause() : e;
            throw cause instanceof GmqException g
                    ? g
                    : new GmqException(ErrorCode.UNAVAILABLE, "publish failed: " + cause, cause);
        }
    }

    /** CPU of the handler and the producer thread over the steady part of the run (lines, null if incomplete). */
    public java.util.List<String> threadCpuLines() {
        return java.util.Arrays.asList(producerCpu.line(), handlerCpu.line());
    }

    private byte[] payload(long sendNanos) {
        byte[] payload = new byte[spec.recordSize()];
        ByteBuffer.wrap(payload).putLong(sendNanos);
        return payload;
    }

    private void onMessage(ConsumeMessage m) {
        long now = System.nanoTime();
        long sentAt = m.payloadBuffer().getLong(0);
        if (sentAt == WARM_UP) {
            warmedUp.countDown();
            return;
        }
        stats.record(now - sentAt, m.payloadSize());
        long n = received.incrementAndGet();
        handlerCpu.at(n - 1);
        if (n == spec.records()) {
            stats.flush();
            done.countDown();
        }
    }
}
