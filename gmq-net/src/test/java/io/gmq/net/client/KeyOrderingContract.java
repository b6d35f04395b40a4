package io.gmq.net.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.AckMode;
import io.gmq.ConsumeMessage;
import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.MessageHandler;
import io.gmq.Ordering;
import io.gmq.PublishOption;
import io.gmq.RetryBackoff;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.testkit.ManualClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key-ordered redelivery, nack delays and the group's backoff, through {@link GmqClient}: written
 * once, run embedded and over a loopback server. The engine's clock is a {@link ManualClock}, so
 * backoffs pass only when a test moves it: what waits and what flows is decided by the clock, not
 * by timing. Ack timeout and session timeout are far beyond any clock move.
 */
abstract class KeyOrderingContract {
    private static final long WAIT_SECONDS = 30;
    private static final RetryBackoff ONE_MINUTE = RetryBackoff.fixed(Duration.ofMinutes(1));

    @TempDir
    Path dir;

    final ManualClock clock = new ManualClock();
    private final List<GmqClient> clients = new ArrayList<>();
    GmqClient admin;

    abstract void start(GmqConfig engine) throws Exception;

    abstract GmqClient newClient(ClientConfig.Builder settings);

    abstract void stop() throws Exception;

    @BeforeEach
    void startEngine() throws Exception {
        start(GmqConfig.builder()
                .dataDir(dir.resolve("data"))
                .flushPolicy(FlushPolicy.OS)
                .timeSource(clock)
                .ackTimeout(Duration.ofHours(1))
                .sessionTimeout(Duration.ofHours(1))
                .commitInterval(Duration.ofMillis(20))
                .build());
        admin = client(ClientConfig.builder().clientId("admin"));
    }

    @AfterEach
    void closeEverything() throws Exception {
        try {
            for (GmqClient c : clients) {
                try {
                    c.close();
                } catch (RuntimeException e) {
                    // keep closing the rest; the engine goes next
                }
            }
        } finally {
            stop();
        }
    }

    private GmqClient client(ClientConfig.Builder settings) {
        GmqClient c = newClient(settings);
        clients.add(0, c);
        return c;
    }

    private GmqClient member(String group, Ordering ordering, AckMode ackMode, MessageHandler handler) {
        return client(ClientConfig.builder()
                .consumerGroup(group)
                .ordering(ordering)
                .retryBackoff(ONE_MINUTE)
                .ackMode(ackMode)
                .pullInterval(Duration.ofMillis(20))
                .messageHandler(handler));
    }

    /** Publishes {@code keyAndPayload} pairs ("A", "A1", ...) to the one partition of {@code topic}. */
    private void publish(String topic, String... keyAndPayload) {
        for (int i = 0; i < keyAndPayload.length; i += 2) {
            admin.publish(
                    topic,
                    keyAndPayload[i + 1].getBytes(StandardCharsets.UTF_8),
                    PublishOption.partitionKey(keyAndPayload[i]));
        }
    }

    /** Handlers record "payload#deliveryCount"; a handler of AUTO mode throws on {@code failOnce}'s first delivery. */
    private static MessageHandler recording(List<String> seen, String failOnce) {
        return m -> {
            seen.add(m.payloadAsString() + "#" + m.deliveryCount());
            if (m.payloadAsString().equals(failOnce) && m.deliveryCount() == 1) {
                throw new IllegalStateException("fails once: " + failOnce);
            }
        };
    }

    private static List<String> ofKey(List<String> seen, String key) {
        return seen.stream()
                .filter(s -> s.startsWith(key))
                .map(s -> s.substring(0, s.indexOf('#')))
                .collect(Collectors.toList());
    }

    @Test
    void keyOrderRedeliversTheNackedMessageBeforeTheLaterOnesOfItsKeyWhileOtherKeysFlow() {
        admin.createTopic("orders", 1);
        List<String> seen = new CopyOnWriteArrayList<>();
        member("g", Ordering.KEY, AckMode.AUTO, recording(seen, "A1")).subscribe("orders");
        publish("orders", "A", "A1", "B", "B1", "A", "A2", "B", "B2", "A", "A3");

        await("key B flowed past the failed A1", () -> seen.contains("B2#1"));
        assertEquals(List.of("A1#1", "B1#1", "B2#1"), List.copyOf(seen), "A2 and A3 wait behind A1");

        clock.advanceMillis(Duration.ofMinutes(1).toMillis() + 1);
        await("A1 and the rest of key A handled", () -> ofKey(seen, "A").size() == 4);
        assertEquals(List.of("A1", "A1", "A2", "A3"), ofKey(seen, "A"));
        assertEquals(List.of("B1", "B2"), ofKey(seen, "B"));
        assertEquals("A1#2", seen.get(3), "A1 comes again first: " + seen);
    }

    @Test
    void partitionOrderHandsTheLaterMessagesOfTheKeyBeforeTheNackedOneComesAgain() {
        admin.createTopic("orders", 1);
        List<String> seen = new CopyOnWriteArrayList<>();
        member("g", Ordering.PARTITION, AckMode.AUTO, recording(seen, "A1")).subscribe("orders");
        publish("orders", "A", "A1", "B", "B1", "A", "A2", "B", "B2", "A", "A3");

        await("every first delivery handled", () -> seen.contains("A3#1"));
        assertEquals(List.of("A1#1", "B1#1", "A2#1", "B2#1", "A3#1"), List.copyOf(seen));

        clock.advanceMillis(Duration.ofMinutes(1).toMillis() + 1);
        await("A1 again", () -> seen.contains("A1#2"));
        assertEquals(List.of("A1", "A2", "A3", "A1"), ofKey(seen, "A"), "the old order: A1 after A3");
    }

    @Test
    void manualAcksHandAKeysNextMessageOnlyAfterThePreviousOneIsSettled() {
        admin.createTopic("orders", 1);
        List<ConsumeMessage> got = new CopyOnWriteArrayList<>();
        member("g", Ordering.KEY, AckMode.MANUAL, got::add).subscribe("orders");
        publish("orders", "A", "A1", "B", "B1", "A", "A2", "C", "C1");

        await("A1, B1, C1 handed", () -> payloads(got).contains("C1"));
        assertEquals(List.of("A1", "B1", "C1"), payloads(got), "A2 waits until A1 is settled");

        got.get(0).ack();
        await("A2 handed after A1's ack", () -> payloads(got).contains("A2"));
        ConsumeMessage a2 = got.get(3);
        assertEquals("A2", a2.payloadAsString());

        a2.nack(Duration.ZERO); // wins over the group's one-minute backoff
        await("A2 again, at once", () -> got.size() == 5);
        assertEquals("A2", got.get(4).payloadAsString());
        assertEquals(2, got.get(4).deliveryCount());
        got.get(4).ack();
        got.get(1).ack();
        got.get(2).ack();
        await("everything committed", () -> committed("g") == 4);
    }

    @Test
    void aNackDelayHoldsTheMessageUntilTheClockPassesIt() {
        admin.createTopic("orders", 1);
        List<ConsumeMessage> got = new CopyOnWriteArrayList<>();
        member("g", Ordering.PARTITION, AckMode.MANUAL, got::add).subscribe("orders");
        publish("orders", "B", "B0", "A", "A1");
        await("B0 and A1 handed", () -> got.size() == 2);

        got.get(1).nack(Duration.ofMinutes(5));
        got.get(0).ack(); // sent with the nack or after it: once B0 is committed, the broker has the nack
        await("B0 committed", () -> committed("g") == 1);
        clock.advanceMillis(Duration.ofMinutes(4).toMillis());
        // An observation window, not synchronisation: a dozen redelivery ticks run in it.
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300));
        assertEquals(2, got.size(), "not before its five minutes: " + payloads(got));

        clock.advanceMillis(Duration.ofMinutes(1).toMillis());
        await("A1 after its delay", () -> got.size() == 3);
        assertEquals("A1", got.get(2).payloadAsString());
        assertEquals(2, got.get(2).deliveryCount());
        got.get(2).ack();
    }

    @Test
    void aNegativeNackDelayIsRefusedAndChangesNothing() {
        admin.createTopic("orders", 1);
        List<ConsumeMessage> got = new CopyOnWriteArrayList<>();
        member("g", Ordering.KEY, AckMode.MANUAL, got::add).subscribe("orders");
        publish("orders", "A", "A1");
        await("A1 handed", () -> got.size() == 1);
        io.gmq.GmqException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.gmq.GmqException.class, () -> got.get(0).nack(Duration.ofMillis(-1)));
        assertEquals(io.gmq.ErrorCode.INVALID_ARGUMENT, e.code());
        got.get(0).ack();
        await("A1 committed: the refused nack changed nothing", () -> committed("g") == 1);
        assertFalse(got.size() > 1);
        assertTrue(got.get(0).deliveryCount() == 1);
    }

    private long committed(String group) {
        return admin.describeGroup(group).partitions().stream()
                .mapToLong(p -> p.committedOffset())
                .findFirst()
                .orElse(-1);
    }

    private static List<String> payloads(List<ConsumeMessage> got) {
        return got.stream().map(ConsumeMessage::payloadAsString).collect(Collectors.toList());
    }

    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + WAIT_SECONDS + " s waiting until " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }
}
