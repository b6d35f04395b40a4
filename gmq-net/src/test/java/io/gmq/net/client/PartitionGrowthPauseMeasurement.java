package io.gmq.net.client;

import io.gmq.ConsumeMessage;
import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.PublishOption;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.net.server.GmqServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pause a consuming group sees when its topic grows (not part of the build: run it with
 * {@code mvn -pl gmq-net test -Dtest=PartitionGrowthPauseMeasurement}). A standalone server on
 * 127.0.0.1 and one network consumer of a 2-partition topic; {@code N} keyed records are published
 * and acknowledged by storage, the topic is grown to 4 at once (time 0) while a keyed producer
 * goes on publishing a record per millisecond, and the time until the group gets its first record
 * from a new partition is printed, next to the time until it had consumed the {@code N} records
 * from before the change. Three rounds per {@code N} ({@code -Dgmq.measure.inflight=0,1000,10000}).
 */
class PartitionGrowthPauseMeasurement {
    @TempDir
    Path dir;

    @Test
    void pauseAtTheGrowth() throws Exception {
        String[] counts =
                System.getProperty("gmq.measure.inflight", "0,1000,10000").split(",");
        GmqConfig config =
                GmqConfig.builder().dataDir(dir).flushPolicy(FlushPolicy.OS).build();
        try (GmqServer server = GmqServer.standalone(config, "127.0.0.1", 0);
                GmqClient producer = GmqClient.connect(ClientConfig.builder()
                        .serverAddr("127.0.0.1:" + server.port())
                        .build())) {
            int round = 0;
            for (String c : counts) {
                int n = Integer.parseInt(c.trim());
                for (int r = 0; r < 3; r++) {
                    measure(server, producer, "t" + round++, n);
                }
            }
        }
    }

    private static void measure(GmqServer server, GmqClient producer, String topic, int n) throws Exception {
        producer.createTopic(topic, 2);
        AtomicLong firstNewNanos = new AtomicLong();
        AtomicLong oldSeen = new AtomicLong();
        AtomicLong oldDoneNanos = new AtomicLong();
        try (GmqClient consumer = GmqClient.connect(ClientConfig.builder()
                .serverAddr("127.0.0.1:" + server.port())
                .consumerGroup("g-" + topic)
                .pullInterval(Duration.ofMillis(100))
                .messageHandler((ConsumeMessage m) -> {
                    if (m.partition() >= 2) {
                        firstNewNanos.compareAndSet(0, System.nanoTime());
                    } else if (m.payloadAsString().startsWith("old") && oldSeen.incrementAndGet() == n) {
                        oldDoneNanos.compareAndSet(0, System.nanoTime());
                    }
                })
                .build())) {
            consumer.subscribe(topic);
            List<CompletableFuture<?>> sent = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                sent.add(producer.publishAsync(
                        topic, ("old" + i).getBytes(StandardCharsets.UTF_8), PublishOption.partitionKey("k" + i % 64)));
            }
            producer.flush();
            CompletableFuture.allOf(sent.toArray(new CompletableFuture<?>[0])).join();
            long t0 = System.nanoTime();
            producer.createPartitions(topic, 4);
            long deadline = t0 + Duration.ofSeconds(60).toNanos();
            int i = 0;
            while (firstNewNanos.get() == 0 && System.nanoTime() < deadline) {
                producer.publish(
                        topic, ("new" + i).getBytes(StandardCharsets.UTF_8), PublishOption.partitionKey("k" + i % 64));
                i++;
                LockSupport.parkNanos(1_000_000);
            }
            long pause = (firstNewNanos.get() - t0) / 1_000_000;
            long drained = n == 0 ? 0 : (oldDoneNanos.get() - t0) / 1_000_000;
            System.out.printf(
                    "growth 2->4 with %d records before it: first record from a new partition after %d ms;"
                            + " the old records consumed after %d ms%n",
                    n, pause, drained);
        }
    }
}
