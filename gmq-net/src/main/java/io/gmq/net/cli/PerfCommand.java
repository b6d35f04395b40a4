package io.gmq.net.cli;

import io.gmq.PublishOption;
import io.gmq.PublishResult;
import io.gmq.QoS;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Throughput of one client: publishes N messages asynchronously (batched), then consumes them
 * with a fresh group. Prints messages/s and MB/s for both phases.
 */
@Command(name = "perf", mixinStandardHelpOptions = true,
        description = "Measures publish and consume throughput of one client.")
final class PerfCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Option(names = "--topic", defaultValue = "perf")
    String topic;

    @Option(names = "--messages", defaultValue = "200000")
    int messages;

    @Option(names = "--size", defaultValue = "100", description = "Payload bytes (default ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--qos", defaultValue = "1")
    int qos;

    @Option(names = "--partitions", defaultValue = "3")
    int partitions;

    @Option(names = "--linger-ms", defaultValue = "2")
    int lingerMs;

    @Option(names = "--batch-bytes", defaultValue = "262144", description = "Client batch size (default ${DEFAULT-VALUE}).")
    int batchBytes;

    /** Publishes allowed to be pending at once: bounds memory, keeps batches full. */
    private static final int WINDOW = 50_000;

    @Override
    public Integer call() throws Exception {
        byte[] payload = new byte[size];
        PublishOption q = PublishOption.qos(qos == 0 ? QoS.AT_MOST_ONCE : QoS.AT_LEAST_ONCE);
        AtomicLong consumed = new AtomicLong();
        // One client for both phases: in embedded mode a second one could not open the same directory.
        try (GmqClient producer = GmqClient.connect(client.config().linger(Duration.ofMillis(lingerMs)).maxBatchBytes(batchBytes)
                .consumerGroup("perf-" + UUID.randomUUID().toString().substring(0, 8)).consumerCredits(5000)
                .messageHandler(m -> consumed.incrementAndGet()).build())) {
            try {
                producer.createTopic(topic, partitions);
            } catch (io.gmq.GmqException e) {
                if (e.code() != io.gmq.ErrorCode.ALREADY_EXISTS) {
                    throw e;
                }
            }
            long start = producer.describeTopic(topic).partitions().stream().mapToLong(p -> p.highWatermark()).sum();
            Semaphore window = new Semaphore(WINDOW);
            AtomicLong failed = new AtomicLong();
            long t0 = System.nanoTime();
            CompletableFuture<PublishResult> last = null;
            for (int i = 0; i < messages; i++) {
                window.acquire();
                last = producer.publishAsync(topic, payload, q);
                last.whenComplete((r, e) -> {
                    if (e != null) {
                        failed.incrementAndGet();
                    }
                    window.release();
                });
            }
            producer.flush();
            window.acquire(WINDOW);
            report("publish", messages, System.nanoTime() - t0);
            if (failed.get() > 0) {
                System.out.println("failed publishes: " + failed.get());
            }

            long target = start + messages - failed.get();
            long t1 = System.nanoTime();
            producer.subscribe(topic);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (consumed.get() < target && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(5);
            }
            report("consume", consumed.get(), System.nanoTime() - t1);
        }
        return 0;
    }

    private void report(String phase, long count, long nanos) {
        double seconds = nanos / 1e9;
        System.out.printf("%-8s %,d messages of %d bytes in %.2f s: %,.0f msg/s, %.1f MB/s%n", phase, count, size,
                seconds, count / seconds, count * (double) size / seconds / 1e6);
    }
}
