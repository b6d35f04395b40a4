package io.gmq;

import static io.gmq.EmbeddedGmqTest.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.internal.schedule.DelayScheduler;
import io.gmq.junit.GmqExtension;
import io.gmq.junit.MessageCollector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Delayed publish, embedded: a message published with {@code delay} / {@code deliverAt} waits in
 * storage's durable schedule and is appended to its partition once the (injected) wall clock
 * reaches its time, exactly once, also across a restart; later immediate messages are not held
 * back; describeGroup counts it as scheduled until then.
 */
class DelayedPublishTest {
    /** Real monotonic time; a wall clock the test steps forward (what a due time is read against). */
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

        void step(Duration d) {
            aheadMillis.addAndGet(d.toMillis());
        }
    }

    private final SteppedClock clock = new SteppedClock();

    @RegisterExtension
    GmqExtension gmq = GmqExtension.create().withConfig(c -> c.timeSource(clock).commitInterval(Duration.ofMillis(20)));

    private long scheduled(String group) {
        return gmq.gmq().admin().describeGroup(group).partitions().stream()
                .mapToLong(GroupDescription.PartitionProgress::scheduled)
                .sum();
    }

    private long highWatermark(String topic) {
        return gmq.gmq().admin().describeTopic(topic).partitions().stream()
                .mapToLong(PartitionInfo::highWatermark)
                .sum();
    }

    @Test
    void delayedMessageWaitsInTheScheduleWhileALaterImmediateOneIsDelivered() {
        gmq.gmq().admin().createTopic("jobs", 1);
        MessageCollector c = gmq.collect("jobs", "g");

        PublishResult delayed = gmq.publish("jobs", "later", PublishOption.delay(Duration.ofHours(1)));
        assertTrue(delayed.scheduled(), "a delayed publish has no offset yet: " + delayed);
        assertEquals(PublishResult.SCHEDULED, delayed.offset());
        assertEquals(0, delayed.partition());
        PublishResult now = gmq.publish("jobs", "now");
        assertEquals(0, now.offset(), "the delayed message is not in the log: the immediate one is first");

        assertEquals(
                List.of("now"),
                c.await(1).stream().map(ConsumeMessage::payloadAsString).toList());
        assertEquals(1, scheduled("g"));
        // The wall clock has not reached the due time, so the scheduler cannot have fired: the
        // log still holds the immediate message alone.
        assertEquals(1, highWatermark("jobs"));

        clock.step(Duration.ofHours(1));
        List<ConsumeMessage> got = c.await(2);
        assertEquals("later", got.get(1).payloadAsString());
        assertEquals(1, got.get(1).offset());
        assertNotNull(got.get(1).header(DelayScheduler.SCHEDULE_ID_HEADER), "fired records carry their schedule id");
        assertTrue(
                got.get(1).timestamp()
                        >= clock.wallMillis() - Duration.ofMinutes(1).toMillis(),
                "the fired record is stamped with the time it was appended");
        waitUntil("nothing scheduled", () -> scheduled("g") == 0);
        assertEquals(2, highWatermark("jobs"));
    }

    @Test
    void deliverAtInTheFutureIsScheduledAndAZeroDelayOrPastTimePublishesAtOnce() {
        gmq.gmq().admin().createTopic("jobs", 1);
        assertEquals(
                0,
                gmq.publish("jobs", "zero", PublishOption.delay(Duration.ZERO)).offset());
        Instant past = Instant.ofEpochMilli(clock.wallMillis()).minusSeconds(60);
        assertEquals(
                1, gmq.publish("jobs", "past", PublishOption.deliverAt(past)).offset());
        Instant future = Instant.ofEpochMilli(clock.wallMillis()).plusSeconds(600);
        assertTrue(
                gmq.publish("jobs", "future", PublishOption.deliverAt(future)).scheduled());
        assertEquals(2, highWatermark("jobs"));

        clock.step(Duration.ofSeconds(600));
        waitUntil("the future message is appended", () -> highWatermark("jobs") == 3);
    }

    @Test
    void scheduledMessageSurvivesRestartAndIsDeliveredOnce() {
        gmq.gmq().admin().createTopic("jobs", 2);
        for (int i = 0; i < 10; i++) {
            assertTrue(gmq.publish("jobs", "m" + i, PublishOption.delay(Duration.ofMinutes(5 + i)))
                    .scheduled());
        }
        gmq.restart();
        assertEquals(0, highWatermark("jobs"));
        MessageCollector c = gmq.collect("jobs", "g");
        waitUntil("the group is described", () -> scheduled("g") == 10);

        clock.step(Duration.ofMinutes(30));
        List<ConsumeMessage> got = c.await(10);
        assertEquals(10, got.size());
        waitUntil("nothing scheduled", () -> scheduled("g") == 0);
        gmq.restart();
        assertEquals(10, highWatermark("jobs"), "a restart after firing appends nothing again");
    }

    @Test
    void keyedDelayedMessageGoesToItsKeysPartition() {
        gmq.gmq().admin().createTopic("jobs", 3);
        int keyed =
                gmq.publish("jobs", "x", PublishOption.partitionKey("user-7")).partition();
        PublishResult r = gmq.publish(
                "jobs", "y", PublishOption.partitionKey("user-7"), PublishOption.delay(Duration.ofMinutes(1)));
        assertTrue(r.scheduled());
        assertEquals(keyed, r.partition());
        clock.step(Duration.ofMinutes(1));
        waitUntil(
                "appended to the key's partition",
                () -> gmq.gmq()
                                .admin()
                                .describeTopic("jobs")
                                .partitions()
                                .get(keyed)
                                .highWatermark()
                        == 2);
    }

    @Test
    void negativeDelayIsRefusedAndChangesNothing() {
        gmq.gmq().admin().createTopic("jobs", 1);
        GmqException e = assertThrows(
                GmqException.class, () -> gmq.publish("jobs", "x", PublishOption.delay(Duration.ofSeconds(-1))));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("delay must not be negative"), e.getMessage());
        assertEquals(0, highWatermark("jobs"));
    }

    @Test
    void aDeliveryTimeBeyondWhatMillisHoldIsRefusedAsTooFar() {
        gmq.gmq().admin().createTopic("jobs", 1);
        GmqException e =
                assertThrows(GmqException.class, () -> gmq.publish("jobs", "x", PublishOption.deliverAt(Instant.MAX)));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertEquals(0, highWatermark("jobs"));
    }

    @Test
    void delayBeyondTheMaximumIsRefusedAndNothingIsScheduled() {
        gmq.gmq().admin().createTopic("jobs", 1);
        MessageCollector c = gmq.collect("jobs", "g");
        GmqException e = assertThrows(
                GmqException.class, () -> gmq.publish("jobs", "x", PublishOption.delay(Duration.ofDays(400))));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("maximum delay"), e.getMessage());
        waitUntil(
                "the group is described",
                () -> !gmq.gmq().admin().describeGroup("g").partitions().isEmpty());
        assertEquals(0, scheduled("g"));
        clock.step(Duration.ofDays(401));
        gmq.publish("jobs", "marker");
        assertEquals(
                List.of("marker"),
                c.await(1).stream().map(ConsumeMessage::payloadAsString).toList());
        assertEquals(1, highWatermark("jobs"));
    }

    @Test
    void oversizedDelayedMessageIsRefused() {
        gmq.gmq().admin().createTopic("jobs", 1);
        byte[] big = new byte[2 * 1024 * 1024];
        GmqException e = assertThrows(
                GmqException.class, () -> gmq.gmq().publish("jobs", big, PublishOption.delay(Duration.ofMinutes(1))));
        assertEquals(ErrorCode.RESOURCE_EXHAUSTED, e.code());
        clock.step(Duration.ofMinutes(2));
        gmq.publish("jobs", "marker");
        assertEquals(1, highWatermark("jobs"));
    }

    @Test
    void deletingTheTopicDropsItsScheduledMessages() {
        gmq.gmq().admin().createTopic("jobs", 1);
        assertTrue(gmq.publish("jobs", "x", PublishOption.delay(Duration.ofMinutes(1)))
                .scheduled());
        gmq.gmq().admin().deleteTopic("jobs");
        gmq.gmq().admin().createTopic("jobs", 1);
        MessageCollector c = gmq.collect("jobs", "g");
        clock.step(Duration.ofMinutes(2));
        gmq.publish("jobs", "marker");
        assertEquals(
                List.of("marker"),
                c.await(1).stream().map(ConsumeMessage::payloadAsString).toList());
        assertEquals(0, scheduled("g"));
        assertEquals(1, highWatermark("jobs"), "the deleted topic's scheduled message never arrives");
    }

    @Test
    void fullScheduleIsResourceExhaustedAndKeepsNothing() throws Exception {
        Path dir = Files.createTempDirectory("gmq-schedule-full-");
        GmqConfig config = GmqConfig.builder()
                .dataDir(dir)
                .timeSource(clock)
                .scheduleLimits(new ScheduleLimits(Duration.ofDays(1), 200))
                .build();
        try (Gmq small = Gmq.open(config)) {
            small.admin().createTopic("jobs", 1);
            assertTrue(small.publish("jobs", new byte[100], PublishOption.delay(Duration.ofMinutes(1)))
                    .scheduled());
            GmqException e = assertThrows(
                    GmqException.class,
                    () -> small.publish("jobs", new byte[100], PublishOption.delay(Duration.ofMinutes(1))));
            assertEquals(ErrorCode.RESOURCE_EXHAUSTED, e.code());
            assertTrue(e.getMessage().contains("schedule of delayed messages is full"), e.getMessage());
            clock.step(Duration.ofMinutes(1));
            waitUntil(
                    "the first is appended",
                    () -> small.admin()
                                    .describeTopic("jobs")
                                    .partitions()
                                    .get(0)
                                    .highWatermark()
                            == 1);
            // Its space came back: the schedule takes another.
            waitUntil("space is back", () -> {
                try {
                    return small.publish("jobs", new byte[100], PublishOption.delay(Duration.ofMinutes(1)))
                            .scheduled();
                } catch (GmqException full) {
                    return false;
                }
            });
            assertEquals(
                    1, small.admin().describeTopic("jobs").partitions().get(0).highWatermark());
        }
    }

    @Test
    void metricsCountWaitingAndFiredMessages() throws Exception {
        Path dir = Files.createTempDirectory("gmq-schedule-metrics-");
        var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        GmqConfig config = GmqConfig.builder()
                .dataDir(dir)
                .timeSource(clock)
                .meterRegistry(registry)
                .build();
        try (Gmq g = Gmq.open(config)) {
            g.admin().createTopic("jobs", 1);
            g.publish("jobs", new byte[10], PublishOption.delay(Duration.ofMinutes(1)));
            g.publish("jobs", new byte[10], PublishOption.delay(Duration.ofMinutes(1)));
            assertEquals(2, registry.get("gmq.scheduled.messages").gauge().value());
            clock.step(Duration.ofMinutes(1));
            waitUntil(
                    "both fired",
                    () -> registry.get("gmq.scheduled.fired").functionCounter().count() == 2
                            && registry.get("gmq.scheduled.messages").gauge().value() == 0);
        }
    }
}
