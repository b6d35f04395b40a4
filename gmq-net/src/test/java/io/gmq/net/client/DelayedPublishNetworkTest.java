package io.gmq.net.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.AckMode;
import io.gmq.ConsumeMessage;
import io.gmq.ErrorCode;
import io.gmq.FlushPolicy;
import io.gmq.Gmq;
import io.gmq.GmqConfig;
import io.gmq.GroupDescription;
import io.gmq.PublishOption;
import io.gmq.PublishResult;
import io.gmq.TimeSource;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.client.internal.EmbeddedGmqClient;
import io.gmq.net.server.GmqServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Delayed publish through the client API, the same test embedded and over the network (a
 * standalone server on 127.0.0.1, port 0): the delayed message is acknowledged as scheduled, a
 * later immediate message is consumed first, describeGroup counts it as scheduled, and it arrives
 * once the engine's (stepped) wall clock reaches its time.
 */
class DelayedPublishNetworkTest {
    /** Real monotonic time; a wall clock the test steps forward. */
    static final class SteppedClock implements TimeSource {
        final AtomicLong aheadMillis = new AtomicLong();

        @Override
        public long wallMillis() {
            return System.currentTimeMillis() + aheadMillis.get();
        }

        @Override
        public long nanoTime() {
            return System.nanoTime();
        }
    }

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"embedded", "network"})
    void delayedMessageArrivesAfterItsTimeAndALaterImmediateOneFirst(String mode) {
        SteppedClock clock = new SteppedClock();
        GmqConfig config = GmqConfig.builder()
                .dataDir(dir.resolve("data"))
                .flushPolicy(FlushPolicy.OS)
                .timeSource(clock)
                .commitInterval(Duration.ofMillis(20))
                .build();
        List<AutoCloseable> started = new ArrayList<>();
        try {
            java.util.function.Function<ClientConfig.Builder, GmqClient> client;
            if (mode.equals("embedded")) {
                Gmq gmq = Gmq.open(config);
                started.add(gmq);
                client = b -> EmbeddedGmqClient.over(
                        b.serverAddr(ClientConfig.EMBEDDED_PREFIX + config.dataDir())
                                .build(),
                        gmq);
            } else {
                GmqServer server = GmqServer.standalone(config, "127.0.0.1", 0);
                started.add(server);
                client = b -> GmqClient.connect(
                        b.serverAddr("127.0.0.1:" + server.port()).build());
            }
            GmqClient admin = client.apply(ClientConfig.builder().clientId("admin"));
            started.add(0, admin);
            admin.createTopic("jobs", 1);
            List<ConsumeMessage> got = new CopyOnWriteArrayList<>();
            GmqClient member = client.apply(ClientConfig.builder()
                    .consumerGroup("g")
                    .ackMode(AckMode.AUTO)
                    .pullInterval(Duration.ofMillis(20))
                    .messageHandler(got::add));
            started.add(0, member);
            member.subscribe("jobs");

            Instant due = Instant.ofEpochMilli(clock.wallMillis()).plus(Duration.ofHours(1));
            PublishResult delayed = admin.publish("jobs", utf8("later"), PublishOption.deliverAt(due));
            assertTrue(delayed.scheduled(), mode + ": " + delayed);
            assertEquals(PublishResult.SCHEDULED, delayed.offset());
            assertEquals(0, admin.publish("jobs", utf8("now")).offset(), "the delayed message is not in the log");

            GmqClientContract.await("the immediate message is consumed", () -> got.size() == 1);
            assertEquals("now", got.get(0).payloadAsString());
            GmqClientContract.await(
                    "the group lists the partition",
                    () -> !admin.describeGroup("g").partitions().isEmpty());
            assertEquals(1, scheduled(admin, "g"), "describeGroup counts the waiting message");

            clock.aheadMillis.addAndGet(Duration.ofHours(1).toMillis());
            GmqClientContract.await("the delayed message is consumed", () -> got.size() == 2);
            assertEquals("later", got.get(1).payloadAsString());
            assertEquals(1, got.get(1).offset());
            GmqClientContract.await("nothing scheduled", () -> scheduled(admin, "g") == 0);
            assertEquals(2, admin.describeTopic("jobs").partitions().get(0).highWatermark());

            assertEquals(
                    ErrorCode.INVALID_ARGUMENT,
                    GmqClientContract.codeOf(() ->
                            admin.publish("jobs", utf8("x"), PublishOption.deliverAt(due.plus(Duration.ofDays(400))))));
            assertEquals(2, admin.describeTopic("jobs").partitions().get(0).highWatermark());
        } finally {
            for (AutoCloseable c : started) {
                try {
                    c.close();
                } catch (Exception e) {
                    // keep closing the rest
                }
            }
        }
    }

    private static long scheduled(GmqClient admin, String group) {
        return admin.describeGroup(group).partitions().stream()
                .mapToLong(GroupDescription.PartitionProgress::scheduled)
                .sum();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
