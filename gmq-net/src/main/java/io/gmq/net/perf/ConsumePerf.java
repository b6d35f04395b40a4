package io.gmq.net.perf;

import io.gmq.AckMode;
import io.gmq.ConsumeMessage;
import io.gmq.OffsetSpec;
import io.gmq.Ordering;
import io.gmq.client.GmqClient;
import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code perf consume}: one group member consumes N records (from the earliest offset for a new
 * group) and acknowledges each (QoS 1 acks; manual mode, so records past N stay with the group).
 * Throughput spans the first to the N-th delivery, so group join time is left out. The latency
 * columns are the records' age on arrival: now minus the publisher's timestamp (millisecond
 * resolution); for a backlog produced earlier that is the backlog's age, for a live stream it is
 * the end-to-end delay. With {@code warmupRecords}, that many records are consumed and
 * acknowledged first and not measured (JIT compilation of a fresh JVM is then left out).
 */
public final class ConsumePerf {
    private static final long NANOS_PER_MILLI = 1_000_000;

    public record Spec(
            String topic,
            long records,
            String group,
            int credits,
            long idleTimeoutMillis,
            long warmupRecords,
            Ordering ordering) {
        /** Partition ordering. */
        public Spec(String topic, long records, String group, int credits, long idleTimeoutMillis, long warmupRecords) {
            this(topic, records, group, credits, idleTimeoutMillis, warmupRecords, Ordering.PARTITION);
        }

        public Spec {
            ProducePerf.require(ordering != null, "--ordering must be partition or key");
            ProducePerf.require(records > 0, "--records must be positive");
            ProducePerf.require(credits >= 1, "--credits must be positive");
            ProducePerf.require(warmupRecords >= 0, "--warmup-records must not be negative");
        }
    }

    private final PerfTarget target;
    private final Spec spec;
    private final PrintStream out;
    private final CpuUsage.ThreadSpan handlerCpu;

    public ConsumePerf(PerfTarget target, Spec spec, PrintStream out) {
        this.target = target;
        this.spec = spec;
        this.out = out;
        this.handlerCpu = new CpuUsage.ThreadSpan("handler", spec.records());
    }

    /** CPU of the handler thread over the steady part of the run. */
    public CpuUsage.ThreadSpan handlerCpu() {
        return handlerCpu;
    }

    public PerfStats.Snapshot run() throws InterruptedException {
        PerfStats stats = new PerfStats(true); // one subscription: one handler thread records
        AtomicLong consumed = new AtomicLong();
        AtomicLong firstNanos = new AtomicLong();
        AtomicLong lastNanos = new AtomicLong();
        CountDownLatch done = new CountDownLatch(1);
        long n = spec.records();
        PerfStats.Snapshot total;
        try (GmqClient client = GmqClient.connect(target.config()
                        .consumerGroup(spec.group())
                        .startFrom(OffsetSpec.earliest())
                        .ackMode(AckMode.MANUAL)
                        .ordering(spec.ordering())
                        .consumerCredits(spec.credits())
                        .messageHandler(m -> onMessage(m, stats, consumed, firstNanos, lastNanos, done))
                        .build());
                ProgressReporter ignored = new ProgressReporter(stats, out)) {
            client.subscribe(spec.topic());
            RunWaiter.await(done, consumed::get, spec.idleTimeoutMillis(), "perf consume");
            total = stats.total(firstNanos.get(), lastNanos.get());
        }
        out.println(total.summaryLine());
        out.flush();
        return total;
    }

    private void onMessage(
            ConsumeMessage m,
            PerfStats stats,
            AtomicLong consumed,
            AtomicLong firstNanos,
            AtomicLong lastNanos,
            CountDownLatch done) {
        long now = System.nanoTime();
        long i = consumed.incrementAndGet() - spec.warmupRecords();
        if (i <= 0) {
            m.ack(); // warm-up
            return;
        }
        if (i > spec.records()) {
            return; // not acknowledged: stays with the group
        }
        if (i == 1) {
            firstNanos.set(now);
        }
        handlerCpu.at(i - 1);
        long ageMillis = System.currentTimeMillis() - m.timestamp();
        stats.record(ageMillis * NANOS_PER_MILLI, m.payloadSize());
        m.ack();
        if (i == spec.records()) {
            lastNanos.set(now);
            stats.flush();
            done.countDown();
        }
    }
}
