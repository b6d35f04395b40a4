package io.gmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.junit.GmqExtension;
import io.gmq.junit.MessageCollector;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Growing a topic's partitions in the embedded engine while a keyed producer and a group run. */
class PartitionGrowthTest {
    @RegisterExtension
    GmqExtension gmq = GmqExtension.create()
            .withConfig(c -> c.commitInterval(Duration.ofMillis(20))
                    .maxInFlightPerPartition(8)
                    .flushPolicy(FlushPolicy.OS));

    static final int KEYS = 24;
    static final int MESSAGES = 1_500;

    /** First deliveries per key: each key's sequence numbers must come in increasing order. */
    static final class KeyOrder implements MessageHandler {
        final Set<String> delivered = ConcurrentHashMap.newKeySet();
        final Map<String, Integer> last = new ConcurrentHashMap<>();
        final List<String> violations = java.util.Collections.synchronizedList(new ArrayList<>());
        final Set<Integer> partitions = ConcurrentHashMap.newKeySet();

        @Override
        public synchronized void handle(ConsumeMessage m) {
            String id = m.payloadAsString();
            partitions.add(m.partition());
            if (delivered.add(id)) {
                int seq = Integer.parseInt(id.substring(id.indexOf('#') + 1));
                Integer prev = last.put(m.keyAsString(), seq);
                if (prev != null && prev > seq) {
                    violations.add(
                            m.keyAsString() + ": #" + prev + " then #" + seq + " from partition " + m.partition());
                }
            }
            // A slow consumer: the partitions keep a backlog across the change.
            if (m.partition() < 2) {
                java.util.concurrent.locks.LockSupport.parkNanos(200_000);
            }
        }
    }

    @Test
    void aKeyedProducerRunningThroughTheGrowthKeepsEveryKeysOrderAndLosesNothing() throws Exception {
        Gmq g = gmq.gmq();
        g.admin().createTopic("orders", 2);
        KeyOrder seen = new KeyOrder();
        List<Subscription> members = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            members.add(g.subscribe(
                    ConsumerConfig.builder()
                            .consumerGroup("shippers")
                            .pullInterval(Duration.ofMillis(20))
                            .messageHandler(seen)
                            .build(),
                    "orders"));
        }
        AtomicInteger published = new AtomicInteger();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread producer = new Thread(
                () -> {
                    try {
                        for (int i = 0; i < MESSAGES; i++) {
                            String key = "customer-" + (i % KEYS);
                            String id = key + "#" + (i / KEYS);
                            g.publish("orders", id.getBytes(StandardCharsets.UTF_8), PublishOption.partitionKey(key));
                            published.incrementAndGet();
                        }
                    } catch (Throwable t) {
                        failed.set(t);
                    }
                },
                "keyed-producer");
        producer.start();
        await("a third published", () -> published.get() >= MESSAGES / 3 || failed.get() != null);
        TopicInfo grown = g.admin().createPartitions("orders", 5);
        producer.join(60_000);
        assertEquals(null, failed.get(), "the producer failed");
        assertEquals(5, grown.partitions());
        await("every message delivered", () -> seen.delivered.size() >= MESSAGES);

        assertEquals(MESSAGES, seen.delivered.size());
        assertTrue(seen.violations.isEmpty(), "key order broken: " + seen.violations);
        assertTrue(seen.partitions.stream().anyMatch(p -> p >= 2), "new partitions delivered " + seen.partitions);
        members.forEach(Subscription::close);
    }

    @Test
    void aGroupThatStartsAfterTheGrowthReadsEveryPartitionInKeyOrder() {
        Gmq g = gmq.gmq();
        g.admin().createTopic("orders", 1);
        for (int i = 0; i < 30; i++) {
            gmq.publish("orders", "k" + (i % 3) + "#" + i, PublishOption.partitionKey("k" + (i % 3)));
        }
        g.admin().createPartitions("orders", 3);
        for (int i = 30; i < 60; i++) {
            gmq.publish("orders", "k" + (i % 3) + "#" + i, PublishOption.partitionKey("k" + (i % 3)));
        }
        MessageCollector c = gmq.collect("orders", "late-group");
        List<ConsumeMessage> got = c.await(60, Duration.ofSeconds(20));
        Map<String, Integer> last = new java.util.HashMap<>();
        for (ConsumeMessage m : got) {
            String id = m.payloadAsString();
            int seq = Integer.parseInt(id.substring(id.indexOf('#') + 1));
            Integer prev = last.put(m.keyAsString(), seq);
            assertTrue(prev == null || prev < seq, m.keyAsString() + ": #" + prev + " then #" + seq);
        }
    }

    @Test
    void shrinkingIsRefusedAndChangesNothing() {
        Gmq g = gmq.gmq();
        g.admin().createTopic("orders", 3);
        GmqException e = assertThrows(GmqException.class, () -> g.admin().createPartitions("orders", 2));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertEquals(3, g.admin().describeTopic("orders").partitions().size());
        assertEquals(
                ErrorCode.NOT_FOUND,
                assertThrows(GmqException.class, () -> g.admin().createPartitions("missing", 4))
                        .code());
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000); // polling with a deadline
        }
    }
}
