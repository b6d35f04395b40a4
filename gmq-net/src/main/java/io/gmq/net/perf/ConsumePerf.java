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
 * {@code perf consume}: one group member (or {@code members} of them, of an ordered or a share
 * group) consumes N records (from the earliest offset for a new
 * group) and acknowledges each (QoS 1 acks; manual mode, so records past N stay with the group).
 * Throughput spans the first to the N-th delivery, so group join time is left out. The latency
 * columns are the records' age on arrival: now minus the publisher's timestamp (millisecond
 * resolution); for a backlog produced earlier that is the backlog's age, for a live stream it is
 * the end-to-end delay. With {@code warmupRecords}, that many records are consumed and
 * acknowledged first and not measured (JIT compilation of a fresh JVM is then left out).
 */
public final class ConsumePerf {
    private static final long NANOS_PER_MILLI = 1_000_000;

    /**
     * @param members how many members consume, each on its own connection (default 1)
     * @param share   a share group ({@link io.gmq.GroupType#SHARE}) instead of an ordered one
     */
    public record Spec(
            String topic,
            long records,
            String group,
            int credits,
            long idleTimeoutMillis,
            long warmupRecords,
            Ordering ordering,
            int members,
            boolean share) {
        /** One member of an ordered group, partition ordering. */
        public Spec(String topic, long records, String group, int credits, long idleTimeoutMillis, long warmupRecords) {
            this(topic, records, group, credits, idleTimeoutMillis, warmupRecords, Ordering.PARTITION, 1, false);
        }

        public Spec {
            ProducePerf.require(ordering != null, "--ordering must be partition or key");
            ProducePerf.require(records > 0, "--records must be positive");
            ProducePerf.require(credits >= 1, "--credits must be positive");
            ProducePerf.require(warmupRecords >= 0, "--warmup-records must not be negative");
            ProducePerf.require(members >= 1 && members <= 1000, "--members must be between 1 and 1000");
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
        // one member: one handler thread records; several: one handler thread each
        PerfStats stats = spec.members() == 1 ? new PerfStats(true) : new PerfStats();
        AtomicLong consumed = new AtomicLong();
        AtomicLong firstNanos = new AtomicLong();
        AtomicLong lastNanos = new AtomicLong();
        CountDownLatch done = new CountDownLatch(1);
        long n = spec.records();
        PerfStats.Snapshot total;
        java.util.List<GmqClient> clients = new java.util.ArrayList<>();
        try (ProgressReporter ignored = new ProgressReporter(stats, out)) {
            for (int i = 0; i < spec.members(); i++) {
                GmqClient client = GmqClient.connect(target.config()
                        .consumerGroup(spec.group())
                        .groupType(spec.share() ? io.gmq.GroupType.SHARE : io.gmq.GroupType.ORDERED)
                        .startFrom(OffsetSpec.earliest())
                        .ackMode(AckMode.MANUAL)
                        .ordering(spec.ordering())
                        .consumerCredits(spec.credits())
                        .messageHandler(m -> onMessage(m, stats, consumed, firstNanos, lastNanos, done))
                        .build());
                clients.add(client);
                client.subscribe(spec.topic());
            }
            RunWaiter.await(done, consumed::get, spec.idleTimeoutMillis(), "perf consume");
            total = stats.total(firstNanos.get(), lastNanos.get());
        } finally {
            for (GmqClient c : clients) {
                c.close();
            }
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
        if (spec.members() == 1) {
            handlerCpu.at(i - 1); // the one handler thread (several members: several threads)
        }
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
