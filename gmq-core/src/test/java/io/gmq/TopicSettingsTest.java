package io.gmq;

import static io.gmq.internal.log.LogTestSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.junit.GmqExtension;
import io.gmq.junit.MessageCollector;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Per-topic settings, embedded: each one takes effect on its topic only (another topic keeps the
 * engine's value), a change made while the topic is in use applies from then on, settings
 * survive a restart, and a bad key or value changes nothing.
 */
class TopicSettingsTest {
    @RegisterExtension
    GmqExtension gmq = GmqExtension.create()
            .withConfig(c -> c.retentionCheckInterval(Duration.ofMillis(50)).commitInterval(Duration.ofMillis(20)));

    private GmqAdmin admin() {
        return gmq.gmq().admin();
    }

    @Test
    void settingsAreStoredWithTheTopicShownByDescribeAndSurviveARestart() {
        TopicInfo t = admin().createTopic(
                        "orders", 2, Map.of(TopicConfig.RETENTION_AGE, "24h", TopicConfig.MAX_DELIVERIES, "5"));
        assertEquals(
                Map.of("max-deliveries", "5", "retention-age", "1d"), t.config().values());

        TopicDescription d = admin().describeTopic("orders");
        assertEquals(TopicConfig.KEYS, List.copyOf(d.config().keySet()));
        assertEquals("1d", d.config().get(TopicConfig.RETENTION_AGE));
        assertEquals("5", d.config().get(TopicConfig.MAX_DELIVERIES));
        assertEquals(
                TopicConfig.durationText(gmq.gmq().config().ackTimeout()),
                d.config().get(TopicConfig.ACK_TIMEOUT));
        assertEquals(t.config(), d.own());

        // Creating it again with the same settings is a no-op; with others it is refused.
        assertEquals(t, admin().createTopic("orders", 2, Map.of("retention-age", "1d", "max-deliveries", "5")));
        GmqException other =
                assertThrows(GmqException.class, () -> admin().createTopic("orders", 2, Map.of("max-deliveries", "6")));
        assertEquals(ErrorCode.ALREADY_EXISTS, other.code());

        // An empty value goes back to the engine's.
        TopicInfo altered = admin().alterTopicConfig("orders", Map.of("retention-age", "", "nack-backoff", "2s"));
        assertEquals(
                Map.of("max-deliveries", "5", "nack-backoff", "2s"),
                altered.config().values());

        gmq.restart();
        assertEquals(
                altered,
                admin().listTopics().stream()
                        .filter(x -> x.name().equals("orders"))
                        .findFirst()
                        .orElseThrow());
    }

    @Test
    void aBadKeyOrValueIsRefusedNamingItAndChangesNothing() {
        GmqException unknown = assertThrows(
                GmqException.class, () -> admin().createTopic("orders", 1, Map.of("retention.ms", "1000")));
        assertEquals(ErrorCode.INVALID_ARGUMENT, unknown.code());
        assertTrue(unknown.getMessage().contains("retention.ms"), unknown.getMessage());
        assertTrue(admin().listTopics().isEmpty(), "no topic was created");

        admin().createTopic("orders", 1, Map.of("ack-timeout", "5s"));
        for (Map.Entry<String, String> bad : List.of(
                Map.entry("ack-timeout", "soon"),
                Map.entry("ack-timeout", "0ms"),
                Map.entry("max-deliveries", "-2"),
                Map.entry("segment-bytes", "12"),
                Map.entry("max-message-bytes", "1 MB"))) {
            GmqException e = assertThrows(
                    GmqException.class,
                    () -> admin().alterTopicConfig(
                                    "orders", Map.of(bad.getKey(), bad.getValue(), "nack-backoff", "1s")));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), bad.toString());
            assertTrue(e.getMessage().contains(bad.getKey()), e.getMessage());
        }
        assertEquals(
                Map.of("ack-timeout", "5s"),
                admin().describeTopic("orders").own().values());
        assertEquals(
                ErrorCode.NOT_FOUND,
                assertThrows(GmqException.class, () -> admin().alterTopicConfig("nowhere", Map.of("ack-timeout", "1s")))
                        .code());
    }

    @Test
    void retentionBytesAndSegmentBytesActOnTheirTopicOnly() {
        Map<String, String> small = Map.of(TopicConfig.SEGMENT_BYTES, "1KiB", TopicConfig.RETENTION_BYTES, "2KiB");
        admin().createTopic("short", 1, small);
        admin().createTopic("long", 1, Map.of(TopicConfig.SEGMENT_BYTES, "1KiB"));
        admin().createTopic("plain", 1);
        String payload = "x".repeat(400);
        for (int i = 0; i < 20; i++) {
            for (String topic : List.of("short", "long", "plain")) {
                gmq.publish(topic, payload, PublishOption.partition(0));
            }
        }
        // Down to its 2 KiB, give or take the segment that holds the boundary.
        await(
                "retention to bring topic short within its 2 KiB",
                () -> part("short").sizeBytes() <= 2048 + 1024);
        assertTrue(start("short") >= 10, part("short").toString());
        assertEquals(0, start("long"));
        assertEquals(0, start("plain"));
        assertTrue(part("long").sizeBytes() > 8_000, "long keeps every record");
        // 1 KiB segments on both small-segment topics, one segment on the plain one.
        assertTrue(segments("long") >= 8, "segments of long: " + segments("long"));
        assertEquals(1, segments("plain"));
    }

    @Test
    void retentionAgeChangedWhileInUseDeletesOldSegmentsFromThen() {
        admin().createTopic("aged", 1, Map.of(TopicConfig.SEGMENT_BYTES, "1KiB"));
        admin().createTopic("kept", 1, Map.of(TopicConfig.SEGMENT_BYTES, "1KiB"));
        for (int i = 0; i < 10; i++) {
            gmq.publish("aged", "y".repeat(400), PublishOption.partition(0));
            gmq.publish("kept", "y".repeat(400), PublishOption.partition(0));
        }
        assertEquals(0, start("aged"));
        admin().alterTopicConfig("aged", Map.of(TopicConfig.RETENTION_AGE, "1ms"));
        await("retention by age on topic aged", () -> start("aged") > 0);
        assertEquals(0, start("kept"));
    }

    @Test
    void maxMessageBytesRefusesLargerMessagesOfThatTopicOnly() {
        admin().createTopic("small", 1, Map.of(TopicConfig.MAX_MESSAGE_BYTES, "1KiB"));
        admin().createTopic("large", 1);
        String big = "z".repeat(2_000);
        GmqException e = assertThrows(GmqException.class, () -> gmq.publish("small", big));
        assertEquals(ErrorCode.RESOURCE_EXHAUSTED, e.code());
        assertTrue(e.getMessage().contains("topic small") && e.getMessage().contains("1024"), e.getMessage());
        assertEquals(0, part("small").highWatermark(), "nothing stored");
        gmq.publish("large", big);
        gmq.publish("small", "fits");

        admin().alterTopicConfig("small", Map.of(TopicConfig.MAX_MESSAGE_BYTES, "4KiB"));
        gmq.publish("small", big);
        assertEquals(2, part("small").highWatermark());
    }

    @Test
    void maxDeliveriesTurnsDeadLetteringOnForThatTopicOnly() {
        admin().createTopic("orders", 1, Map.of(TopicConfig.MAX_DELIVERIES, "2"));
        admin().createTopic("audit", 1);
        Map<String, AtomicInteger> attempts = new HashMap<>();
        for (String topic : List.of("orders", "audit")) {
            AtomicInteger n = new AtomicInteger();
            attempts.put(topic, n);
            gmq.gmq()
                    .subscribe(
                            ConsumerConfig.builder()
                                    .consumerGroup("failing-" + topic)
                                    .messageHandler(m -> {
                                        n.incrementAndGet();
                                        throw new IllegalStateException("cannot handle it");
                                    })
                                    .build(),
                            topic);
        }
        MessageCollector dead = gmq.collect("orders.dlq", "dlq-readers");
        gmq.publish("orders", "poison");
        gmq.publish("audit", "poison");
        assertEquals("poison", dead.await(1).get(0).payloadAsString());
        assertEquals(2, attempts.get("orders").get());
        // Without the setting (the engine's 0) the other topic's message keeps coming back.
        await(
                "audit's message to be redelivered past 2",
                () -> attempts.get("audit").get() > 3);
        assertFalse(admin().listTopics().stream().anyMatch(t -> t.name().equals("audit.dlq")));
    }

    @Test
    void ackTimeoutAndNackBackoffApplyToTheirTopic() {
        admin().createTopic("quick", 1, Map.of(TopicConfig.ACK_TIMEOUT, "150ms"));
        MessageCollector c =
                gmq.collect(ConsumerConfig.builder().consumerGroup("slow").ackMode(AckMode.MANUAL), "quick");
        gmq.publish("quick", "unacked");
        assertEquals(1, c.await(1).get(0).deliveryCount());
        ConsumeMessage again = c.await(2).get(1);
        assertEquals(2, again.deliveryCount(), "redelivered after the topic's 150 ms, not the engine's 30 s");
        again.ack();

        admin().createTopic("patient", 1, Map.of(TopicConfig.NACK_BACKOFF, "400ms"));
        MessageCollector p =
                gmq.collect(ConsumerConfig.builder().consumerGroup("nackers").ackMode(AckMode.MANUAL), "patient");
        gmq.publish("patient", "later");
        ConsumeMessage first = p.await(1).get(0);
        long nackedAt = System.nanoTime();
        first.nack();
        ConsumeMessage second = p.await(2).get(1);
        long waitedMillis = (System.nanoTime() - nackedAt) / 1_000_000;
        assertEquals(2, second.deliveryCount());
        assertTrue(waitedMillis >= 400, "redelivered after " + waitedMillis + " ms, before the 400 ms backoff");
        second.ack();
    }

    private PartitionInfo part(String topic) {
        return admin().describeTopic(topic).partitions().get(0);
    }

    private long start(String topic) {
        return part(topic).logStartOffset();
    }

    private long segments(String topic) {
        try (var files = java.nio.file.Files.list(
                gmq.dataDir().resolve("logs").resolve(topic).resolve("0"))) {
            return files.filter(f -> f.toString().endsWith(".log")).count();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
