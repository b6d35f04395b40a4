package io.gmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.junit.GmqExtension;
import io.gmq.junit.MessageCollector;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's meters (GmqConfig.meterRegistry) in a {@link SimpleMeterRegistry}: each counts what
 * happened, and the engine removes them with their topic, group or itself. Names are the
 * documented ones (docs/OPERATIONS.md, "Metrics").
 */
class EngineMetricsTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @RegisterExtension
    GmqExtension gmq = GmqExtension.create()
            .withConfig(c -> c.meterRegistry(registry)
                    .commitInterval(Duration.ofMillis(20))
                    .ackTimeout(Duration.ofMillis(300))
                    .maxDeliveries(3));

    @TempDir
    Path dir;

    @Test
    void publishedRecordsAndBytesAreCountedPerTopic() {
        publish("orders", 100, 0);
        publish("audit", 7, 0);

        assertEquals(100, counter("gmq.published.records", "topic", "orders"));
        assertEquals(7, counter("gmq.published.records", "topic", "audit"));
        // 100 records of 10-byte payloads: at least the payloads, plus frame and record headers.
        double bytes = counter("gmq.published.bytes", "topic", "orders");
        assertTrue(bytes > 100 * 10 && bytes < 100 * 200, "bytes: " + bytes);
    }

    @Test
    void publishLatencyFsyncAndGroupCommitsAreRecordedPerBatchAndCycle() {
        publish("orders", 50, 0);

        Timer publish = registry.find("gmq.publish.latency").timer();
        assertNotNull(publish);
        long batches = publish.count();
        assertTrue(batches >= 1 && batches <= 50, "publish batches: " + batches);
        assertTrue(publish.totalTime(TimeUnit.NANOSECONDS) > 0);

        Timer fsync = registry.find("gmq.log.fsync").timer();
        assertNotNull(fsync);
        assertTrue(fsync.count() >= 1, "fsyncs: " + fsync.count()); // FlushPolicy.SYNC: one per group commit at least

        DistributionSummary commits =
                registry.find("gmq.log.group.commit.batches").summary();
        assertNotNull(commits);
        assertTrue(commits.count() >= 1 && commits.count() <= batches, "cycles: " + commits.count());
        assertEquals(batches, (long) commits.totalAmount(), "every batch appended was in one group commit");
        DistributionSummary commitBytes =
                registry.find("gmq.log.group.commit.bytes").summary();
        assertEquals(counter("gmq.published.bytes", "topic", "orders"), commitBytes.totalAmount());
    }

    @Test
    void lagAndInFlightAreTheUnconsumedAndUnacknowledgedRecordsOfEachPartition() {
        gmq.gmq().admin().createTopic("orders", 2);
        MessageCollector c = gmq.collect(
                ConsumerConfig.builder()
                        .consumerGroup("billing")
                        .ackMode(AckMode.MANUAL)
                        .pullInterval(Duration.ofMillis(20)),
                "orders");
        publish("orders", 100, 0);
        publish("orders", 30, 1);
        List<ConsumeMessage> got = c.await(130);
        assertEquals(130, counter("gmq.deliveries", "group", "billing", "topic", "orders"));

        // Acknowledge the first 60 records of partition 0 and all of partition 1.
        for (ConsumeMessage m : got) {
            if (m.partition() == 1 || m.offset() < 60) {
                m.ack();
            }
        }
        awaitValue(40, () -> gauge("gmq.consumer.inflight", "group", "billing", "topic", "orders", "partition", "0"));
        awaitValue(0, () -> gauge("gmq.consumer.inflight", "group", "billing", "topic", "orders", "partition", "1"));
        awaitValue(40, () -> gauge("gmq.consumer.lag", "group", "billing", "topic", "orders", "partition", "0"));
        awaitValue(0, () -> gauge("gmq.consumer.lag", "group", "billing", "topic", "orders", "partition", "1"));

        // Lag follows the log: 5 more records nobody consumed yet.
        c.close();
        publish("orders", 5, 1);
        assertEquals(5, gauge("gmq.consumer.lag", "group", "billing", "topic", "orders", "partition", "1"));
        // The member left: its in-flight gauges and the group's counters are gone, the lag stays.
        assertNull(registry.find("gmq.consumer.inflight").gauge());
        assertNull(registry.find("gmq.deliveries").counter());

        // The committed offsets are durable: after a restart the lag is there from the start.
        gmq.restart();
        assertEquals(40, gauge("gmq.consumer.lag", "group", "billing", "topic", "orders", "partition", "0"));
        assertEquals(5, gauge("gmq.consumer.lag", "group", "billing", "topic", "orders", "partition", "1"));
    }

    @Test
    void redeliveriesAndDeadLettersAreCountedPerGroup() {
        gmq.gmq()
                .subscribe(
                        ConsumerConfig.builder()
                                .consumerGroup("picky")
                                .messageHandler(m -> {
                                    throw new IllegalArgumentException("cannot handle " + m.payloadAsString());
                                })
                                .build(),
                        "orders");
        MessageCollector dead = gmq.collect("orders.dlq", "dlq-readers");
        gmq.publish("orders", "poison", PublishOption.partition(1));
        dead.await(1);

        awaitValue(1, () -> counter("gmq.dead.lettered", "group", "picky", "topic", "orders"));
        // maxDeliveries 3: delivered once, again twice (each handler failure is a nack), then dead-lettered.
        assertEquals(1, counter("gmq.deliveries", "group", "picky", "topic", "orders"));
        assertEquals(2, counter("gmq.redeliveries", "group", "picky", "topic", "orders"));
        assertEquals(1, counter("gmq.published.records", "topic", "orders.dlq"));
        assertEquals(1, counter("gmq.deliveries", "group", "dlq-readers", "topic", "orders.dlq"));
        assertEquals(0, counter("gmq.redeliveries", "group", "dlq-readers", "topic", "orders.dlq"));
    }

    @Test
    void aDeletedTopicTakesItsMetersWith() {
        MessageCollector c = gmq.collect("doomed", "readers");
        publish("doomed", 3, 0);
        c.await(3);
        awaitValue(0, () -> gauge("gmq.consumer.lag", "group", "readers", "topic", "doomed", "partition", "0"));
        c.close();
        publish("kept", 1, 0);

        gmq.gmq().admin().deleteTopic("doomed");

        assertNull(registry.find("gmq.published.records").tag("topic", "doomed").counter());
        assertNull(registry.find("gmq.published.bytes").tag("topic", "doomed").counter());
        assertNull(registry.find("gmq.consumer.lag").tag("topic", "doomed").gauge());
        assertEquals(1, counter("gmq.published.records", "topic", "kept"));
    }

    @Test
    void aClosedEngineLeavesNoMeterBehind() {
        SimpleMeterRegistry own = new SimpleMeterRegistry();
        GmqConfig config = GmqConfig.builder()
                .dataDir(dir)
                .meterRegistry(own)
                .commitInterval(Duration.ofMillis(20))
                .build();
        try (Gmq engine = Gmq.open(config)) {
            engine.subscribe(
                    ConsumerConfig.builder()
                            .consumerGroup("g")
                            .messageHandler(m -> {})
                            .build(),
                    "t");
            engine.publish("t", "x".getBytes(StandardCharsets.UTF_8));
            for (String name : List.of("gmq.published.records", "gmq.consumer.inflight", "gmq.consumer.lag")) {
                awaitValue(1, () -> own.find(name).meters().isEmpty() ? 0 : 1);
            }
        }
        List<String> left = new ArrayList<>();
        for (Meter m : own.getMeters()) {
            left.add(m.getId().toString());
        }
        assertEquals(List.of(), left);
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** Publishes {@code n} 10-byte records to one partition in a few batches and waits for them. */
    private void publish(String topic, int n, int partition) {
        List<PublishRequest> requests = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            requests.add(PublishRequest.of(
                    topic,
                    String.format("record%04d", i).getBytes(StandardCharsets.UTF_8),
                    PublishOption.partition(partition)));
        }
        gmq.gmq().publishAllAsync(requests).join();
    }

    private double counter(String name, String... tags) {
        Counter c = Search.in(registry).name(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    private double gauge(String name, String... tags) {
        Gauge g = Search.in(registry).name(name).tags(tags).gauge();
        assertNotNull(g, name + " " + List.of(tags) + " is not registered");
        return g.value();
    }

    /** Polls {@code value} until it equals {@code expected}, for at most 10 s. */
    private static void awaitValue(double expected, DoubleSupplier value) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        double last = Double.NaN;
        while (System.nanoTime() < deadline) {
            try {
                last = value.getAsDouble();
            } catch (AssertionError notYetRegistered) {
                last = Double.NaN;
            }
            if (last == expected) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        assertEquals(expected, last, "value after 10 s");
    }
}
