package io.gmq.net.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ConsumeMessage;
import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.MessageHandler;
import io.gmq.PublishOption;
import io.gmq.TopicInfo;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.net.server.GmqServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Growing a topic over the network while a keyed producer and a consumer group run: one storage
 * process and two brokers on 127.0.0.1. The topic grows through broker A; the producer publishes
 * through broker B, whose client and broker still know the old count, so its first keyed batch
 * after the change is refused as stale and routed again; the group has a member on each broker.
 */
final class PartitionGrowthNetworkTest {
    @TempDir
    Path dir;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() {
        for (AutoCloseable c : toClose) {
            try {
                c.close();
            } catch (Exception ignored) {
                // keep closing the rest
            }
        }
    }

    private <T extends AutoCloseable> T own(T c) {
        toClose.add(0, c);
        return c;
    }

    static final int KEYS = 24;
    static final int MESSAGES = 900;

    /** First deliveries per key must come in increasing sequence order. */
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
            if (m.partition() < 2) {
                java.util.concurrent.locks.LockSupport.parkNanos(5_000_000); // a slow consumer keeps a backlog
            }
        }
    }

    @Test
    void aKeyedProducerThroughAnotherBrokerKeepsEveryKeysOrderAndLosesNothing() throws Exception {
        GmqConfig config = GmqConfig.builder()
                .dataDir(dir)
                .flushPolicy(FlushPolicy.OS)
                .commitInterval(Duration.ofMillis(20))
                .maxInFlightPerPartition(8)
                .build();
        GmqServer storage = own(GmqServer.storage(config, "127.0.0.1", 0));
        String storageAddress = "127.0.0.1:" + storage.port();
        GmqServer brokerA = own(GmqServer.broker(config, "127.0.0.1", 0, storageAddress));
        GmqServer brokerB = own(GmqServer.broker(config, "127.0.0.1", 0, storageAddress));
        String a = "127.0.0.1:" + brokerA.port();
        String b = "127.0.0.1:" + brokerB.port();
        GmqClient admin =
                own(GmqClient.connect(ClientConfig.builder().serverAddr(a).build()));
        admin.createTopic("orders", 2);

        KeyOrder seen = new KeyOrder();
        for (String addr : List.of(a, b)) {
            GmqClient member = own(GmqClient.connect(ClientConfig.builder()
                    .serverAddr(addr)
                    .consumerGroup("shippers")
                    .pullInterval(Duration.ofMillis(20))
                    .messageHandler(seen)
                    .build()));
            member.subscribe("orders");
        }
        GmqClient producerClient =
                own(GmqClient.connect(ClientConfig.builder().serverAddr(b).build()));
        AtomicInteger published = new AtomicInteger();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread producer = new Thread(
                () -> {
                    try {
                        for (int i = 0; i < MESSAGES; i++) {
                            String key = "customer-" + (i % KEYS);
                            String id = key + "#" + (i / KEYS);
                            producerClient.publish(
                                    "orders", id.getBytes(StandardCharsets.UTF_8), PublishOption.partitionKey(key));
                            published.incrementAndGet();
                        }
                    } catch (Throwable t) {
                        failed.set(t);
                    }
                },
                "keyed-producer");
        producer.setDaemon(true);
        producer.start();
        GmqClientTest.await("a third published", () -> published.get() >= MESSAGES / 3 || failed.get() != null);
        TopicInfo grown = admin.createPartitions("orders", 5);
        producer.join(60_000);
        assertNull(failed.get(), () -> "the producer failed: " + failed.get());
        assertEquals(5, grown.partitions());
        GmqClientTest.await("every message delivered", () -> seen.delivered.size() >= MESSAGES);

        assertEquals(MESSAGES, seen.delivered.size());
        assertTrue(seen.violations.isEmpty(), "key order broken: " + seen.violations);
        assertTrue(seen.partitions.stream().anyMatch(p -> p >= 2), "new partitions delivered " + seen.partitions);
    }
}
