package io.gmq.net.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ConsumeMessage;
import io.gmq.ErrorCode;
import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.PublishOption;
import io.gmq.PublishResult;
import io.gmq.QoS;
import io.gmq.TopicPartition;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client SDK against real servers on 127.0.0.1 (port 0). */
final class GmqClientTest {
    @TempDir
    Path dir;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose) {
            try {
                c.close();
            } catch (Exception ignored) {
                // keep closing the rest
            }
        }
    }

    private GmqConfig config(Path data) {
        return GmqConfig.builder()
                .dataDir(data)
                .flushPolicy(FlushPolicy.OS)
                .commitInterval(Duration.ofMillis(20))
                .sessionTimeout(Duration.ofSeconds(3))
                .build();
    }

    private <T extends AutoCloseable> T own(T c) {
        toClose.add(0, c);
        return c;
    }

    /** Starts a standalone server on 127.0.0.1, closed after the test; returns its address. */
    private String startServer() {
        GmqServer server = own(GmqServer.standalone(config(dir), "127.0.0.1", 0));
        return "127.0.0.1:" + server.port();
    }

    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    @Test
    void publishedMessagesAreConsumedAndAcknowledged() {
        String addr = startServer();
        GmqClient producer =
                own(GmqClient.connect(ClientConfig.builder().serverAddr(addr).build()));
        producer.createTopic("orders", 3);
        for (int i = 0; i < 30; i++) {
            PublishResult r = producer.publish(
                    "orders",
                    ("order-" + i).getBytes(StandardCharsets.UTF_8),
                    PublishOption.partitionKey("user-" + (i % 5)));
            assertEquals("orders", r.topic());
        }
        Map<String, ConsumeMessage> seen = new ConcurrentHashMap<>();
        Set<TopicPartition> assigned = ConcurrentHashMap.newKeySet();
        GmqClient consumer = own(GmqClient.connect(ClientConfig.builder()
                .serverAddr(addr)
                .consumerGroup("processors")
                .pullInterval(Duration.ofMillis(20))
                .messageHandler(m -> seen.put(m.payloadAsString(), m))
                .assignmentListener(new io.gmq.AssignmentListener() {
                    @Override
                    public void onAssigned(Set<TopicPartition> partitions) {
                        assigned.addAll(partitions);
                    }
                })
                .build()));
        consumer.subscribe("orders");
        await("30 messages consumed", () -> seen.size() == 30);
        await("the sole member heard it owns all 3 partitions", () -> assigned.size() == 3);
        await(
                "the group committed all 30",
                () -> producer.describeGroup("processors").partitions().stream()
                                .mapToLong(p -> p.committedOffset() < 0 ? 0 : p.committedOffset())
                                .sum()
                        == 30);
        assertTrue(seen.values().stream().allMatch(m -> m.qos() == QoS.AT_LEAST_ONCE));
    }

    /** A producer client on {@code addr} that has published {@code n} messages to a new one-partition topic. */
    private GmqClient producerOf(String addr, String topic, int n) {
        GmqClient producer =
                own(GmqClient.connect(ClientConfig.builder().serverAddr(addr).build()));
        producer.createTopic(topic, 1);
        for (int i = 0; i < n; i++) {
            producer.publish(topic, ("m" + i).getBytes(StandardCharsets.UTF_8));
        }
        return producer;
    }

    /** A consumer of {@code group} with manual acks (not yet subscribed). */
    private static GmqClient manualAckConsumer(String addr, String group, io.gmq.MessageHandler handler) {
        return GmqClient.connect(ClientConfig.builder()
                .serverAddr(addr)
                .consumerGroup(group)
                .ackMode(io.gmq.AckMode.MANUAL)
                .messageHandler(handler)
                .build());
    }

    private static long committed(GmqClient client, String group) {
        return client.describeGroup(group).partitions().get(0).committedOffset();
    }

    @Test
    void acksSentJustBeforeCloseAreCommitted() {
        String addr = startServer();
        GmqClient producer = producerOf(addr, "closing", 5);
        Set<Long> acked = ConcurrentHashMap.newKeySet();
        GmqClient consumer = manualAckConsumer(addr, "closers", m -> {
            m.ack();
            acked.add(m.offset());
        });
        consumer.subscribe("closing");
        await("5 acked", () -> acked.size() == 5);
        consumer.close();
        assertEquals(5, committed(producer, "closers"));
    }

    @Test
    void acksOfTheLastRecordsAreCommittedWhenCloseFollowsTheHandlerAtOnce() throws Exception {
        String addr = startServer();
        GmqClient producer = producerOf(addr, "quick-close", 200);
        CountDownLatch lastAcked = new CountDownLatch(1);
        GmqClient consumer = manualAckConsumer(addr, "quick-closers", m -> {
            m.ack(); // on the dispatcher: extends its run of acks, handed over after the handler
            if (m.offset() == 199) {
                lastAcked.countDown();
            }
        });
        consumer.subscribe("quick-close");
        assertTrue(lastAcked.await(30, TimeUnit.SECONDS));
        consumer.close(); // races the dispatcher's hand-over of its run: close waits for it
        await("all 200 committed", () -> committed(producer, "quick-closers") == 200);
    }

    @Test
    void acksOfAHandlerThatUnsubscribesAreCommitted() throws Exception {
        String addr = startServer();
        GmqClient producer = producerOf(addr, "self-close", 50);
        AtomicReference<GmqClient> self = new AtomicReference<>();
        CountDownLatch unsubscribed = new CountDownLatch(1);
        GmqClient consumer = own(manualAckConsumer(addr, "self-closers", m -> {
            m.ack();
            if (m.offset() == 49) {
                self.get().unsubscribe("self-close"); // from the dispatcher thread itself
                unsubscribed.countDown();
            }
        }));
        self.set(consumer);
        consumer.subscribe("self-close");
        assertTrue(unsubscribed.await(30, TimeUnit.SECONDS));
        await("all 50 committed", () -> committed(producer, "self-closers") == 50);
    }

    @Test
    void aFailedHandlerIsRedeliveredWhileTheRestOfItsDeliveryIsCommitted() {
        String addr = startServer();
        GmqClient producer =
                own(GmqClient.connect(ClientConfig.builder().serverAddr(addr).build()));
        producer.createTopic("flaky", 1);
        for (int i = 0; i < 500; i++) {
            producer.publishAsync("flaky", ("m" + i).getBytes(StandardCharsets.UTF_8), PublishOption.partition(0));
        }
        producer.flush();
        Map<Long, List<Integer>> deliveries = new ConcurrentHashMap<>();
        GmqClient consumer = own(GmqClient.connect(ClientConfig.builder()
                .serverAddr(addr)
                .consumerGroup("flaky-readers")
                .consumerCredits(64) // hand-overs inside a delivery, not only at its end
                .messageHandler(m -> {
                    deliveries
                            .computeIfAbsent(m.offset(), o -> new java.util.concurrent.CopyOnWriteArrayList<>())
                            .add(m.deliveryCount());
                    assertEquals(
                            "m" + m.offset(),
                            StandardCharsets.UTF_8.decode(m.payloadBuffer()).toString());
                    if (m.offset() == 137 && m.deliveryCount() == 1) {
                        throw new IllegalStateException("fails once");
                    }
                })
                .build()));
        consumer.subscribe("flaky");
        await(
                "offset 137 delivered again",
                () -> deliveries.getOrDefault(137L, List.of()).size() == 2);
        await(
                "all 500 committed",
                () -> producer.describeGroup("flaky-readers")
                                .partitions()
                                .get(0)
                                .committedOffset()
                        == 500);
        assertEquals(List.of(1, 2), deliveries.get(137L), "the failed record comes back as a redelivery");
        for (long o = 0; o < 500; o++) {
            if (o != 137) {
                assertEquals(List.of(1), deliveries.get(o), "offset " + o + " handled once, acked with its run");
            }
        }
    }

    @Test
    void manualAcksFromTheHandlerAndFromAnotherThreadAreAllCommitted() throws Exception {
        String addr = startServer();
        GmqClient producer =
                own(GmqClient.connect(ClientConfig.builder().serverAddr(addr).build()));
        producer.createTopic("mixed", 2);
        for (int i = 0; i < 400; i++) {
            producer.publishAsync("mixed", new byte[] {(byte) i}, PublishOption.partition(i % 2));
        }
        producer.flush();
        java.util.concurrent.ExecutorService later = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            Set<String> seen = ConcurrentHashMap.newKeySet();
            List<ConsumeMessage> kept = new java.util.concurrent.CopyOnWriteArrayList<>();
            GmqClient consumer = own(GmqClient.connect(ClientConfig.builder()
                    .serverAddr(addr)
                    .consumerGroup("mixers")
                    .ackMode(io.gmq.AckMode.MANUAL)
                    .consumerCredits(32)
                    .messageHandler(m -> {
                        kept.add(m);
                        assertTrue(seen.add(m.partition() + "@" + m.offset()), "no record delivered twice");
                        if (m.offset() % 3 == 0) {
                            later.execute(m::ack); // out of order, from a thread of the application
                        } else {
                            m.ack();
                        }
                    })
                    .build()));
            consumer.subscribe("mixed");
            await("every record seen", () -> seen.size() == 400);
            await(
                    "both partitions committed to their end",
                    () -> producer.describeGroup("mixers").partitions().stream()
                            .allMatch(p -> p.committedOffset() == 200));
            // Messages are views into their deliveries: read long after later deliveries arrived,
            // each still holds its own payload (message i went to partition i % 2 at offset i / 2).
            assertEquals(400, kept.size());
            for (ConsumeMessage m : kept) {
                assertEquals(
                        (byte) (2 * m.offset() + m.partition()),
                        m.payloadBuffer().get(0));
                assertEquals(1, m.payloadSize());
            }
        } finally {
            later.shutdownNow();
        }
    }

    @Test
    void asyncPublishesAreBatchedAndAllAcknowledgedInPartitionOrder() {
        GmqServer server = own(GmqServer.standalone(config(dir), "127.0.0.1", 0));
        GmqClient client = own(GmqClient.connect(ClientConfig.builder()
                .serverAddr("127.0.0.1:" + server.port())
                .linger(Duration.ofMillis(5))
                .build()));
        client.createTopic("bulk", 2);
        List<CompletableFuture<PublishResult>> futures = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            futures.add(client.publishAsync("bulk", new byte[100], PublishOption.partition(i % 2)));
        }
        client.flush();
        long[] next = new long[2];
        for (CompletableFuture<PublishResult> f : futures) {
            PublishResult r = f.join();
            assertEquals(next[r.partition()]++, r.offset(), "offsets follow publish order within a partition");
        }
        assertEquals(1000, client.describeTopic("bulk").partitions().get(0).highWatermark());
    }

    @Test
    void keylessPublishesFillWholeBatchesAndSpreadOverEveryPartition() {
        GmqServer server = own(GmqServer.standalone(config(dir), "127.0.0.1", 0));
        GmqClient client = own(GmqClient.connect(ClientConfig.builder()
                .serverAddr("127.0.0.1:" + server.port())
                .maxBatchBytes(4096) // ~30 records a batch: many batches, so the sticky partition moves
                .linger(Duration.ofMillis(50))
                .build()));
        client.createTopic("spread", 3);
        client.createTopic("other", 3);
        List<CompletableFuture<PublishResult>> futures = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            // two topics interleaved (and a topic String that is equal but not the same object)
            // exercise the shortcut to the last keyless batch and its fallback
            String topic = i % 3 == 0 ? new String("other".toCharArray()) : "spread";
            futures.add(client.publishAsync(topic, new byte[100]));
        }
        client.flush();
        Map<String, long[]> next = Map.of("spread", new long[3], "other", new long[3]);
        for (CompletableFuture<PublishResult> f : futures) {
            PublishResult r = f.join();
            assertEquals(next.get(r.topic())[r.partition()]++, r.offset(), "offsets are dense per partition");
        }
        for (String topic : List.of("spread", "other")) {
            long total = 0;
            for (int p = 0; p < 3; p++) {
                long hw = client.describeTopic(topic).partitions().get(p).highWatermark();
                assertTrue(hw > 0, topic + "-" + p + " got no message: keyless batches must rotate partitions");
                assertEquals(next.get(topic)[p], hw);
                total += hw;
            }
            assertEquals(topic.equals("spread") ? 2000 : 1000, total);
        }
    }

    @Test
    void atMostOnceMessagesArriveMarkedQos0AndNeedNoAck() {
        String addr = startServer();
        GmqClient producer =
                own(GmqClient.connect(ClientConfig.builder().serverAddr(addr).build()));
        producer.createTopic("fire", 1);
        for (int i = 0; i < 10; i++) {
            producer.publishAsync(
                    "fire", ("f" + i).getBytes(StandardCharsets.UTF_8), PublishOption.qos(QoS.AT_MOST_ONCE));
        }
        producer.flush();
        List<ConsumeMessage> got = new java.util.concurrent.CopyOnWriteArrayList<>();
        own(GmqClient.connect(ClientConfig.builder()
                        .serverAddr(addr)
                        .consumerGroup("q0")
                        .pullInterval(Duration.ofMillis(20))
                        .messageHandler(got::add)
                        .build()))
                .subscribe("fire");
        await("10 QoS 0 messages", () -> got.size() >= 10);
        assertTrue(got.stream().allMatch(m -> m.qos() == QoS.AT_MOST_ONCE));
        await(
                "QoS 0 progress committed without acks",
                () -> producer.describeGroup("q0").partitions().get(0).committedOffset() == 10);
    }

    @Test
    void badTopicNameIsInvalidArgument() {
        GmqServer server = own(GmqServer.standalone(config(dir), "127.0.0.1", 0));
        GmqClient client = own(GmqClient.connect(
                ClientConfig.builder().serverAddr("127.0.0.1:" + server.port()).build()));
        GmqException e = assertThrows(GmqException.class, () -> client.publish("bad/name", new byte[1]));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    }

    @Test
    void subscribingWithABadGroupNameThrowsInvalidArgument() {
        GmqServer server = own(GmqServer.standalone(config(dir), "127.0.0.1", 0));
        GmqClient client = own(GmqClient.connect(ClientConfig.builder()
                .serverAddr("127.0.0.1:" + server.port())
                .consumerGroup("g".repeat(300))
                .messageHandler(m -> {})
                .build()));
        GmqException e = assertThrows(GmqException.class, () -> client.subscribe("t"));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    }

    @Test
    void stoppedBrokerIsUnavailableWithAOneLineReason() {
        GmqServer server = GmqServer.standalone(config(dir), "127.0.0.1", 0);
        int port = server.port();
        server.close();
        GmqException e = assertThrows(
                GmqException.class,
                () -> GmqClient.connect(
                        ClientConfig.builder().serverAddr("127.0.0.1:" + port).build()));
        assertEquals(ErrorCode.UNAVAILABLE, e.code());
        assertEquals("cannot reach GMQ broker at 127.0.0.1:" + port + ": connection refused", e.getMessage());
    }

    @Test
    void clientFailsOverToTheNextBrokerAndKeepsPublishingAndConsuming() {
        GmqServer storage = own(GmqServer.storage(config(dir), "127.0.0.1", 0));
        String storageAddr = "127.0.0.1:" + storage.port();
        GmqServer first = GmqServer.broker(config(dir), "127.0.0.1", 0, storageAddr);
        own(first);
        GmqServer second = own(GmqServer.broker(config(dir), "127.0.0.1", 0, storageAddr));
        String addrs = "127.0.0.1:" + first.port() + ",127.0.0.1:" + second.port();
        Set<String> seen = ConcurrentHashMap.newKeySet();
        GmqClient client = own(GmqClient.connect(ClientConfig.builder()
                .serverAddr(addrs)
                .consumerGroup("g")
                .pullInterval(Duration.ofMillis(20))
                .messageHandler(m -> seen.add(m.payloadAsString()))
                .build()));
        client.createTopic("fo", 1);
        client.subscribe("fo");
        client.publish("fo", "before".getBytes(StandardCharsets.UTF_8));
        await("'before' consumed", () -> seen.contains("before"));

        first.close();

        PublishResult after = client.publish("fo", "after".getBytes(StandardCharsets.UTF_8));
        assertEquals(new TopicPartition("fo", 0), new TopicPartition(after.topic(), after.partition()));
        await("'after' consumed through the second broker", () -> seen.contains("after"));
    }

    @Test
    void embeddedModeIsChosenByTheAddressAlone() {
        Set<String> seen = ConcurrentHashMap.newKeySet();
        try (GmqClient client = GmqClient.connect(ClientConfig.builder()
                .serverAddr("embedded:" + dir.resolve("emb"))
                .consumerGroup("local")
                .pullInterval(Duration.ofMillis(20))
                .messageHandler(m -> seen.add(m.payloadAsString()))
                .build())) {
            client.publish("inproc", "hello".getBytes(StandardCharsets.UTF_8));
            client.subscribe("inproc");
            await("embedded delivery", () -> seen.contains("hello"));
            assertEquals(3, client.describeTopic("inproc").partitionCount());
        }
    }
}
