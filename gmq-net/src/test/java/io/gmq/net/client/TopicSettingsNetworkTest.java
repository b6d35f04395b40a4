package io.gmq.net.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.TopicConfig;
import io.gmq.TopicDescription;
import io.gmq.TopicInfo;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.net.server.GmqServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-topic settings over the network: two brokers over one storage process on 127.0.0.1. A
 * setting changed through one broker reaches the other (its cached topic metadata follows within
 * its refresh), settings travel with create, describe and list, and a bad one is refused with
 * INVALID_ARGUMENT naming it.
 */
final class TopicSettingsNetworkTest {
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

    private <T extends AutoCloseable> T own(T c) {
        toClose.add(0, c);
        return c;
    }

    @Test
    void aChangeThroughOneBrokerReachesTheOther() {
        GmqConfig config =
                GmqConfig.builder().dataDir(dir).flushPolicy(FlushPolicy.OS).build();
        GmqServer storage = own(GmqServer.storage(config, "127.0.0.1", 0));
        String storageAddress = "127.0.0.1:" + storage.port();
        GmqServer brokerA = own(GmqServer.broker(config, "127.0.0.1", 0, storageAddress));
        GmqServer brokerB = own(GmqServer.broker(config, "127.0.0.1", 0, storageAddress));
        GmqClient viaA = own(GmqClient.connect(
                ClientConfig.builder().serverAddr("127.0.0.1:" + brokerA.port()).build()));
        GmqClient viaB = own(GmqClient.connect(
                ClientConfig.builder().serverAddr("127.0.0.1:" + brokerB.port()).build()));

        TopicInfo created = viaA.createTopic("orders", 2, Map.of(TopicConfig.MAX_MESSAGE_BYTES, "64KiB"));
        assertEquals(Map.of("max-message-bytes", "65536"), created.config().values());
        byte[] big = new byte[20_000];
        viaB.publish("orders", big); // broker B caches the topic with its 64 KiB

        viaA.alterTopicConfig("orders", Map.of(TopicConfig.MAX_MESSAGE_BYTES, "10KiB"));
        GmqException refusedByA = assertThrows(GmqException.class, () -> viaA.publish("orders", big));
        assertEquals(ErrorCode.RESOURCE_EXHAUSTED, refusedByA.code());
        GmqClientTest.await("broker B to apply the change made through broker A", () -> {
            try {
                viaB.publish("orders", big);
                return false;
            } catch (GmqException e) {
                assertEquals(ErrorCode.RESOURCE_EXHAUSTED, e.code(), e.getMessage());
                assertTrue(e.getMessage().contains("10240"), e.getMessage());
                return true;
            }
        });

        TopicDescription d = viaB.describeTopic("orders");
        assertEquals(Map.of("max-message-bytes", "10240"), d.own().values());
        assertEquals("10240", d.config().get(TopicConfig.MAX_MESSAGE_BYTES));
        assertEquals(TopicConfig.KEYS, List.copyOf(d.config().keySet()));
        assertEquals(
                Map.of("max-message-bytes", "10240"),
                viaB.listTopics().get(0).config().values());

        // A delivery setting, which broker B applies itself: dead-lettering turned on through broker A.
        viaA.createTopic("tasks", 1);
        java.util.concurrent.atomic.AtomicInteger attempts = new java.util.concurrent.atomic.AtomicInteger();
        GmqClient failing = own(GmqClient.connect(ClientConfig.builder()
                .serverAddr("127.0.0.1:" + brokerB.port())
                .consumerGroup("failing")
                .pullInterval(java.time.Duration.ofMillis(20))
                .messageHandler(m -> {
                    attempts.incrementAndGet();
                    throw new IllegalStateException("cannot handle " + m.payloadAsString());
                })
                .build()));
        failing.subscribe("tasks");
        viaB.publish("tasks", "poison".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        GmqClientTest.await("the message to come back without dead-lettering", () -> attempts.get() >= 3);
        viaA.alterTopicConfig("tasks", Map.of(TopicConfig.MAX_DELIVERIES, "2"));
        GmqClientTest.await(
                "broker B to dead-letter it under the setting made through broker A",
                () -> viaA.listTopics().stream().anyMatch(t -> t.name().equals("tasks.dlq"))
                        && viaA.describeTopic("tasks.dlq").messageCount() == 1);

        GmqException bad = assertThrows(
                GmqException.class, () -> viaB.alterTopicConfig("orders", Map.of("retention-age", "forever")));
        assertEquals(ErrorCode.INVALID_ARGUMENT, bad.code());
        assertTrue(bad.getMessage().contains("retention-age"), bad.getMessage());
        assertEquals(
                Map.of("max-message-bytes", "10240"),
                viaA.describeTopic("orders").own().values());
    }
}
