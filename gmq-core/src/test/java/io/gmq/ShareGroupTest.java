package io.gmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.broker.GroupSubscription;
import io.gmq.junit.GmqExtension;
import io.gmq.junit.MessageCollector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Share groups embedded: many members on few partitions, locks, release, reject, restart, type rules. */
class ShareGroupTest {
    @RegisterExtension
    GmqExtension gmq = GmqExtension.create()
            .withConfig(c -> c.maxDeliveries(3).maxInFlightPerPartition(8).commitInterval(Duration.ofMillis(20)));

    private static ConsumerConfig.Builder share(String group) {
        return ConsumerConfig.builder()
                .consumerGroup(group)
                .groupType(GroupType.SHARE)
                .pullInterval(Duration.ofMillis(20));
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.onSpinWait();
            try {
                Thread.sleep(5); // polling interval of the condition, not a synchronisation
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** A nack's own delay wins over the topic's backoff in share groups too (here: an hour). */
    @Test
    void aNackWithADelayOfZeroReleasesAtOnceDespiteTheTopicsBackoff() {
        gmq.gmq().admin().createTopic("retries", 1, Map.of("nack-backoff", "1h"));
        MessageCollector c = gmq.collect(share("retriers").ackMode(AckMode.MANUAL), "retries");
        gmq.publish("retries", "once-more");
        ConsumeMessage first = c.await(1).get(0);
        assertEquals(1, first.deliveryCount());
        first.nack(Duration.ZERO);
        await(() -> c.messages().size() == 2, "the record again, without the topic's hour of backoff");
        assertEquals(2, c.messages().get(1).deliveryCount());
        c.messages().get(1).ack();
    }

    @Test
    void tenMembersOnThreePartitionsAllReceiveAndEveryRecordOnceWhenAllAccept() {
        gmq.gmq().admin().createTopic("jobs", 3);
        Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
        Map<Integer, AtomicInteger> perMember = new ConcurrentHashMap<>();
        List<Subscription> subs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            int member = i;
            perMember.put(member, new AtomicInteger());
            subs.add(gmq.gmq()
                    .subscribe(
                            share("workers")
                                    .messageHandler(m -> {
                                        seen.computeIfAbsent(m.payloadAsString(), k -> new AtomicInteger())
                                                .incrementAndGet();
                                        perMember.get(member).incrementAndGet();
                                        Thread.sleep(2); // the work a member does per record
                                    })
                                    .build(),
                            "jobs"));
        }
        int n = 600;
        for (int i = 0; i < n; i++) {
            gmq.publish("jobs", "job-" + i, PublishOption.partition(i % 3));
        }
        await(() -> seen.size() == n, "all " + n + " records");
        await(
                () -> gmq.gmq().admin().describeGroup("workers").partitions().stream()
                        .allMatch(p -> p.committedOffset() == n / 3),
                "every share start offset at the end");
        seen.forEach((payload, count) -> assertEquals(1, count.get(), payload + " delivered more than once"));
        perMember.forEach((member, count) -> assertTrue(count.get() > 0, "member " + member + " received nothing"));
        assertEquals(10, subs.stream().map(Subscription::memberId).distinct().count());
        assertEquals(3, subs.get(0).assignment().size(), "every member consumes every partition");
    }

    @Test
    void recordsInLargeBatchesAreAllAcquiredAcrossManyAcquisitions() {
        gmq.gmq().admin().createTopic("bulk", 1);
        List<PublishRequest> batch = new ArrayList<>();
        int n = 3000;
        for (int i = 0; i < n; i++) {
            batch.add(PublishRequest.of("bulk", ("b" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        gmq.gmq().publishAllAsync(batch).join();
        AtomicInteger got = new AtomicInteger();
        gmq.gmq()
                .subscribe(
                        share("bulk-readers")
                                .messageHandler(m -> got.incrementAndGet())
                                .build(),
                        "bulk");
        await(() -> got.get() == n, "all " + n + " records of the large batches");
    }

    @Test
    void aRecordWhoseLockExpiresIsDeliveredAgainWithItsCountRaised() {
        MessageCollector c =
                gmq.collect(share("slow").ackMode(AckMode.MANUAL).lockDuration(Duration.ofMillis(300)), "orders");
        gmq.publish("orders", "late", PublishOption.partition(0));
        ConsumeMessage first = c.await(1).get(0);
        assertEquals(1, first.deliveryCount());
        ConsumeMessage again = c.await(2).get(1);
        assertEquals("late", again.payloadAsString());
        assertEquals(first.offset(), again.offset());
        assertEquals(2, again.deliveryCount());
        again.ack();
        first.ack(); // its lock ended: ignored
        await(
                () -> gmq.gmq().admin().describeGroup("slow").partitions().stream()
                        .anyMatch(
                                p -> p.topicPartition().partition() == 0 && p.committedOffset() == first.offset() + 1),
                "the start offset past the accepted record");
    }

    @Test
    void aLockedRecordGoesToNoOtherMemberUntilItIsReleased() {
        MessageCollector holder = gmq.collect(share("pair").ackMode(AckMode.MANUAL), "tasks");
        gmq.publish("tasks", "held", PublishOption.partition(0));
        ConsumeMessage held = holder.await(1).get(0);
        MessageCollector other = gmq.collect(share("pair").ackMode(AckMode.MANUAL), "tasks");
        gmq.publish("tasks", "next", PublishOption.partition(0));
        await(() -> holder.messages().size() + other.messages().size() == 2, "the next record");
        assertEquals(
                1,
                holder.messages().size()
                        + other.messages().stream()
                                .filter(m -> m.payloadAsString().equals("held"))
                                .count());
        held.release();
        await(() -> holder.messages().size() + other.messages().size() == 3, "the released record again");
        List<ConsumeMessage> all = new ArrayList<>(holder.messages());
        all.addAll(other.messages());
        ConsumeMessage again = all.stream()
                .filter(m -> m.payloadAsString().equals("held") && m.deliveryCount() == 2)
                .findFirst()
                .orElseThrow();
        again.ack();
    }

    @Test
    void aRejectedRecordIsNotDeliveredAgainAndTooManyReleasesDeadLetterIt() {
        MessageCollector c = gmq.collect(share("judges").ackMode(AckMode.MANUAL), "claims");
        MessageCollector dead = gmq.collect("claims.dlq", "dlq-readers");
        gmq.publish("claims", "bad", PublishOption.partition(0));
        gmq.publish("claims", "flaky", PublishOption.partition(0));
        List<ConsumeMessage> got = c.await(2);
        got.stream()
                .filter(m -> m.payloadAsString().equals("bad"))
                .findFirst()
                .orElseThrow()
                .reject();
        for (int delivery = 1; delivery <= 3; delivery++) {
            int d = delivery;
            await(
                    () -> c.messages().stream()
                            .anyMatch(m -> m.payloadAsString().equals("flaky") && m.deliveryCount() == d),
                    "delivery " + d);
            c.messages().stream()
                    .filter(m -> m.payloadAsString().equals("flaky") && m.deliveryCount() == d)
                    .findFirst()
                    .orElseThrow()
                    .release();
        }
        ConsumeMessage dl = dead.await(1).get(0);
        assertEquals("flaky", dl.payloadAsString());
        assertEquals("3", dl.header(GroupSubscription.DLQ_DELIVERY_COUNT).valueAsString());
        assertEquals("judges", dl.header(GroupSubscription.DLQ_GROUP).valueAsString());
        await(
                () -> gmq.gmq().admin().describeGroup("judges").partitions().stream()
                        .anyMatch(p -> p.topicPartition().partition() == 0 && p.committedOffset() == 2),
                "both records settled");
        assertEquals(
                1,
                c.messages().stream()
                        .filter(m -> m.payloadAsString().equals("bad"))
                        .count());
        assertEquals(
                3,
                c.messages().stream()
                        .filter(m -> m.payloadAsString().equals("flaky"))
                        .count());
    }

    @Test
    void aRestartDeliversAgainOnlyFromTheShareStartOffset() {
        gmq.gmq().admin().createTopic("ledger", 1);
        for (int i = 0; i < 10; i++) {
            gmq.publish("ledger", "r" + i);
        }
        ConcurrentLinkedQueue<ConsumeMessage> got = new ConcurrentLinkedQueue<>();
        gmq.gmq()
                .subscribe(
                        share("books")
                                .ackMode(AckMode.MANUAL)
                                .messageHandler(got::add)
                                .build(),
                        "ledger");
        await(() -> got.size() >= 8, "the first window");
        for (ConsumeMessage m : got) {
            if (m.offset() < 4) {
                m.ack();
            }
        }
        await(
                () -> gmq.gmq()
                                .admin()
                                .describeGroup("books")
                                .partitions()
                                .get(0)
                                .committedOffset()
                        == 4,
                "start offset 4");
        Gmq restarted = gmq.restart();
        assertEquals(
                4, restarted.admin().describeGroup("books").partitions().get(0).committedOffset());
        ConcurrentLinkedQueue<ConsumeMessage> after = new ConcurrentLinkedQueue<>();
        restarted.subscribe(share("books").messageHandler(after::add).build(), "ledger");
        await(() -> after.size() >= 6, "the unsettled records");
        assertEquals(4, after.stream().mapToLong(ConsumeMessage::offset).min().orElseThrow());
    }

    @Test
    void aGroupNameHasOneType() {
        gmq.collect("plain", "ordered-group");
        GmqException e = assertThrows(
                GmqException.class,
                () -> gmq.gmq()
                        .subscribe(
                                share("ordered-group").messageHandler(m -> {}).build(), "plain"));
        assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
        assertTrue(e.getMessage().contains("ordered consumer group"), e.getMessage());
        gmq.collect(share("shared-group"), "plain");
        GmqException back = assertThrows(
                GmqException.class,
                () -> gmq.gmq()
                        .subscribe(
                                ConsumerConfig.builder()
                                        .consumerGroup("shared-group")
                                        .messageHandler(m -> {})
                                        .build(),
                                "plain"));
        assertEquals(ErrorCode.FAILED_PRECONDITION, back.code());
        assertTrue(back.getMessage().contains("share group"), back.getMessage());
        assertTrue(gmq.gmq().admin().listGroups().contains("shared-group"));
    }

    @Test
    void inKeyModeAKeyStaysWithOneMemberWhileItsRecordsAreInFlight() {
        gmq.gmq().admin().createTopic("accounts", 1);
        MessageCollector a = gmq.collect(share("tellers").ordering(Ordering.KEY).ackMode(AckMode.MANUAL), "accounts");
        gmq.publish("accounts", "k1-0", PublishOption.partitionKey("k1"));
        ConsumeMessage k1 = a.await(1).get(0);
        MessageCollector b = gmq.collect(share("tellers").ordering(Ordering.KEY).ackMode(AckMode.MANUAL), "accounts");
        gmq.publish("accounts", "k1-1", PublishOption.partitionKey("k1"));
        gmq.publish("accounts", "k2-0", PublishOption.partitionKey("k2"));
        await(() -> a.messages().size() + b.messages().size() == 2, "k2-0 at a member");
        // Key order: k1-1 reaches no handler while k1-0 is in flight, and b may not take k1 meanwhile.
        assertTrue(
                b.messages().stream().noneMatch(m -> m.keyAsString().equals("k1")),
                "k1 is held by a while k1-0 is in flight");
        assertEquals(
                1,
                a.messages().stream().filter(m -> m.keyAsString().equals("k1")).count());
        assertEquals("k1", k1.keyAsString());
        k1.ack();
        await(
                () -> a.messages().stream().anyMatch(m -> m.payloadAsString().equals("k1-1")),
                "k1-1 at the member holding k1");
        assertTrue(b.messages().stream().noneMatch(m -> m.keyAsString().equals("k1")));
        a.messages().forEach(ConsumeMessage::ack);
        b.messages().forEach(ConsumeMessage::ack);
    }
}
