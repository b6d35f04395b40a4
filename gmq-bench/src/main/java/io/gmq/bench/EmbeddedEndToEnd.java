package io.gmq.bench;

import io.gmq.ConsumerConfig;
import io.gmq.FlushPolicy;
import io.gmq.Gmq;
import io.gmq.GmqConfig;
import io.gmq.PublishOption;
import io.gmq.PublishResult;
import io.gmq.QoS;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * Embedded publish -> handler -> ack, end to end, through the public API.
 *
 * <pre>
 * java -cp gmq-bench/target/benchmarks.jar io.gmq.bench.EmbeddedEndToEnd \
 *     [records=1000000] [size=100] [qos=1] [flush=sync|os|MS] [rate=-1 (as fast as possible) | msg/s]
 * </pre>
 *
 * Prints throughput (records/s, MB/s) and end-to-end latency percentiles (publish call to
 * handler), recorded with HdrHistogram; at a fixed rate latency is measured from the intended
 * send time, so it is corrected for coordinated omission.
 */
public final class EmbeddedEndToEnd {
    private EmbeddedEndToEnd() {}

    public static void main(String[] args) throws Exception {
        long records = arg(args, 0, 1_000_000L);
        int size = (int) arg(args, 1, 100L);
        QoS qos = arg(args, 2, 1L) == 0 ? QoS.AT_MOST_ONCE : QoS.AT_LEAST_ONCE;
        FlushPolicy flush = FlushPolicy.parse(args.length > 3 ? args[3] : "sync");
        long rate = arg(args, 4, -1L);
        Path dir = Files.createTempDirectory("gmq-e2e-");
        GmqConfig config = GmqConfig.builder()
                .dataDir(dir)
                .flushPolicy(flush)
                .maxInFlightPerPartition(10_000)
                .build();
        Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        AtomicLong received = new AtomicLong();
        Object done = new Object();
        try (Gmq gmq = Gmq.open(config)) {
            gmq.admin().createTopic("bench", 3);
            gmq.subscribe(
                    ConsumerConfig.builder()
                            .consumerGroup("bench")
                            .pullInterval(Duration.ofMillis(100))
                            .messageHandler(m -> {
                                long sentAt = ByteBuffer.wrap(m.payload()).getLong();
                                long now = System.nanoTime();
                                synchronized (latency) {
                                    latency.recordValue(Math.max(0, now - sentAt));
                                }
                                if (received.incrementAndGet() == records) {
                                    synchronized (done) {
                                        done.notifyAll();
                                    }
                                }
                            })
                            .build(),
                    "bench");
            Semaphore inFlight = new Semaphore(20_000);
            long start = System.nanoTime();
            long intervalNanos = rate > 0 ? 1_000_000_000L / rate : 0;
            PublishOption q = PublishOption.qos(qos);
            for (long i = 0; i < records; i++) {
                long intended = start + i * intervalNanos;
                if (rate > 0) {
                    while (System.nanoTime() < intended) {
                        LockSupport.parkNanos(Math.max(1, intended - System.nanoTime() - 20_000));
                    }
                }
                byte[] payload = new byte[size];
                ByteBuffer.wrap(payload).putLong(rate > 0 ? intended : System.nanoTime());
                inFlight.acquire();
                CompletableFuture<PublishResult> f = gmq.publishAsync("bench", payload, q);
                f.whenComplete((r, e) -> inFlight.release());
            }
            long published = System.nanoTime();
            synchronized (done) {
                long deadline = System.currentTimeMillis() + 300_000;
                while (received.get() < records && System.currentTimeMillis() < deadline) {
                    done.wait(1000);
                }
            }
            long end = System.nanoTime();
            double secs = (end - start) / 1e9;
            double pubSecs = (published - start) / 1e9;
            System.out.printf(
                    "embedded e2e: %d records of %d B, qos %s, flush %s, rate %s%n",
                    records, size, qos, flush, rate > 0 ? rate + "/s" : "max");
            System.out.printf("publish: %.0f records/s%n", records / pubSecs);
            System.out.printf(
                    "%d records, %.0f records/s, %.1f MB/s, avg %.3f ms, p50 %.3f ms, p99 %.3f ms, "
                            + "p99.9 %.3f ms, max %.3f ms%n",
                    received.get(),
                    received.get() / secs,
                    received.get() * (double) size / secs / 1e6,
                    latency.getMean() / 1e6,
                    latency.getValueAtPercentile(50) / 1e6,
                    latency.getValueAtPercentile(99) / 1e6,
                    latency.getValueAtPercentile(99.9) / 1e6,
                    latency.getMaxValue() / 1e6);
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder())
                        .forEach(p -> p.toFile().delete());
            }
        }
    }

    private static long arg(String[] args, int i, long dflt) {
        return args.length > i ? Long.parseLong(args[i]) : dflt;
    }
}
