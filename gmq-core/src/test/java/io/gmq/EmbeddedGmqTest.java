package io.gmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.junit.GmqExtension;
import io.gmq.junit.MessageCollector;
import io.gmq.storage.GroupMembership;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class EmbeddedGmqTest {
    @RegisterExtension
    GmqExtension gmq = GmqExtension.create()
            .withConfig(c -> c.sessionTimeout(Duration.ofMillis(600)).commitInterval(Duration.ofMillis(20)));

    static void waitUntil(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.onSpinWait();
            try {
                Thread.sleep(5); // polling interval of a condition wait, not synchronisation
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void topicIsAutoCreatedWithThreePartitionsOnFirstPublish() {
        PublishResult r = gmq.publish("orders", "Order#1001");
        assertEquals("orders", r.topic());
        assertEquals(0, r.offset());
        assertEquals(3, gmq.gmq().admin().describeTopic("orders").partitionCount());
    }

    @Test
    void sameKeyAlwaysLandsOnSamePartitionAndExplicitPartitionIsHonoured() {
        Set<Integer> keyed = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            keyed.add(gmq.publish("orders", "m" + i, PublishOption.partitionKey("user_id_123"))
                    .partition());
        }
        assertEquals(1, keyed.size());
        assertEquals(2, gmq.publish("orders", "x", PublishOption.partition(2)).partition());
        GmqException e = assertThrows(GmqException.class, () -> gmq.publish("orders", "x", PublishOption.partition(3)));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    }

    @Test
    void groupConsumerReceivesEveryMessageWithItsMetadata() {
        MessageCollector received = gmq.collect("orders", "processors");
        List<PublishResult> sent = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            sent.add(gmq.publish(
                    "orders",
                    "Order#" + i,
                    PublishOption.partitionKey("k" + i),
                    PublishOption.header("source", "test")));
        }
        List<ConsumeMessage> got = received.await(30);
        assertEquals(30, got.size());
        Map<String, ConsumeMessage> byPayload =
                got.stream().collect(Collectors.toMap(ConsumeMessage::payloadAsString, m -> m));
        for (int i = 0; i < 30; i++) {
            ConsumeMessage m = byPayload.get("Order#" + i);
            assertNotNull(m, "Order#" + i);
            assertEquals(sent.get(i).partition(), m.partition());
            assertEquals(sent.get(i).offset(), m.offset());
            assertEquals("k" + i, m.keyAsString());
            assertEquals("test", m.header("source").valueAsString());
            // read long after the delivery: the view still reads this record's own bytes
            assertEquals(
                    "Order#" + i,
                    java.nio.charset.StandardCharsets.UTF_8
                            .decode(m.payloadBuffer())
                            .toString());
            assertEquals(("Order#" + i).length(), m.payloadSize());
            assertEquals(1, m.deliveryCount());
            assertEquals(QoS.AT_LEAST_ONCE, m.qos());
        }
    }

    @Test
    void perPartitionOrderIsKeptForTheOwner() {
        MessageCollector received = gmq.collect("orders", "processors");
        for (int i = 0; i < 200; i++) {
            gmq.publish("orders", Integer.toString(i), PublishOption.partitionKey("same-key"));
        }
        List<ConsumeMessage> got = received.await(200);
        List<Long> offsets = got.stream().map(ConsumeMessage::offset).toList();
        List<Long> sorted = new ArrayList<>(offsets);
        sorted.sort(null);
        assertEquals(sorted, offsets);
    }

    @Test
    void threeMembersShareThreePartitions() {
        gmq.gmq().admin().createTopic("jobs", 3);
        MessageCollector a = gmq.collect("jobs", "workers");
        MessageCollector b = gmq.collect("jobs", "workers");
        MessageCollector c = gmq.collect("jobs", "workers");
        waitUntil(
                "each member owns one partition",
                () -> a.subscription().assignment().size() == 1
                        && b.subscription().assignment().size() == 1
                        && c.subscription().assignment().size() == 1);
        Set<TopicPartition> all = new HashSet<>();
        all.addAll(a.subscription().assignment());
        all.addAll(b.subscription().assignment());
        all.addAll(c.subscription().assignment());
        assertEquals(3, all.size());
        for (int i = 0; i < 30; i++) {
            gmq.publish("jobs", "j" + i, PublishOption.partition(i % 3));
        }
        waitUntil(
                "all 30 consumed",
                () -> a.messages().size() + b.messages().size() + c.messages().size() >= 30);
        assertEquals(10, a.messages().size());
        assertEquals(10, b.messages().size());
        assertEquals(10, c.messages().size());
    }

    @Test
    void whenAMemberLeavesItsPartitionsMoveAndNothingIsLost() {
        gmq.gmq().admin().createTopic("jobs", 3);
        MessageCollector a = gmq.collect("jobs", "workers");
        MessageCollector b = gmq.collect("jobs", "workers");
        waitUntil(
                "both members own partitions",
                () -> a.subscription().assignment().size()
                                        + b.subscription().assignment().size()
                                == 3
                        && !a.subscription().assignment().isEmpty()
                        && !b.subscription().assignment().isEmpty());
        for (int i = 0; i < 60; i++) {
            gmq.publish("jobs", "j" + i);
        }
        waitUntil("all 60 consumed once", () -> distinct(a, b).size() == 60);
        b.close();
        waitUntil("a owns all partitions", () -> a.subscription().assignment().size() == 3);
        for (int i = 60; i < 120; i++) {
            gmq.publish("jobs", "j" + i);
        }
        waitUntil("all 120 consumed", () -> distinct(a, b).size() == 120);
    }

    private static Set<String> distinct(MessageCollector... cs) {
        Set<String> s = new HashSet<>();
        for (MessageCollector c : cs) {
            s.addAll(c.payloads());
        }
        return s;
    }

    @Test
    void aMemberThatStopsHeartbeatingLosesItsPartitionsToTheLiveOnes() {
        gmq.gmq().admin().createTopic("jobs", 3);
        // A member that joins and then goes silent, as a crashed process would.
        GroupMembership ghost = ((io.gmq.internal.embedded.EmbeddedGmq) gmq.gmq())
                .storage()
                .joinGroup("workers", "ghost", Set.of("jobs"), 300);
        assertEquals(3, ghost.assigned().size());
        MessageCollector live = gmq.collect("jobs", "workers");
        for (int i = 0; i < 30; i++) {
            gmq.publish("jobs", "j" + i);
        }
        waitUntil(
                "the live member gets every partition",
                () -> live.subscription().assignment().size() == 3);
        live.await(30);
        assertEquals(30, distinct(live).size());
    }

    @Test
    void restartResumesFromCommittedProgressWithoutLosingAcknowledgedWork() {
        for (int i = 0; i < 50; i++) {
            gmq.publish("orders", "m" + i);
        }
        MessageCollector first = gmq.collect("orders", "g");
        first.await(50);
        waitUntil("progress committed", () -> committedTotal("g", "orders") == 50);
        gmq.restart();
        for (int i = 50; i < 80; i++) {
            gmq.publish("orders", "m" + i);
        }
        MessageCollector second = gmq.collect("orders", "g");
        List<ConsumeMessage> got = second.await(30);
        Set<String> payloads = got.stream().map(ConsumeMessage::payloadAsString).collect(Collectors.toSet());
        assertEquals(IntStream.range(50, 80).mapToObj(i -> "m" + i).collect(Collectors.toSet()), payloads);
    }

    private long committedTotal(String group, String topic) {
        try {
            GroupDescription d = gmq.gmq().admin().describeGroup(group);
            return d.partitions().stream()
                    .filter(p -> p.topicPartition().topic().equals(topic))
                    .mapToLong(p -> Math.max(0, p.committedOffset()))
                    .sum();
        } catch (GmqException e) {
            return -1;
        }
    }

    @Test
    void aThrowingHandlerGetsTheMessageAgainWithAHigherDeliveryCount() {
        Map<String, List<Integer>> deliveries = new ConcurrentHashMap<>();
        AtomicInteger failures = new AtomicInteger();
        gmq.gmq()
                .subscribe(
                        ConsumerConfig.builder()
                                .consumerGroup("g")
                                .messageHandler(m -> {
                                    deliveries
                                            .computeIfAbsent(
                                                    m.payloadAsString(),
                                                    k -> new java.util.concurrent.CopyOnWriteArrayList<>())
                                            .add(m.deliveryCount());
                                    if (m.payloadAsString().equals("poison") && failures.getAndIncrement() < 2) {
                                        throw new IllegalStateException("not yet");
                                    }
                                })
                                .build(),
                        "orders");
        gmq.publish("orders", "poison", PublishOption.partition(0));
        waitUntil(
                "third delivery",
                () -> deliveries.getOrDefault("poison", List.of()).size() == 3);
        assertEquals(List.of(1, 2, 3), deliveries.get("poison"));
    }

    @Test
    void manualAckModeRedeliversWhatWasNotAcknowledged() {
        MessageCollector c =
                gmq.collect(ConsumerConfig.builder().consumerGroup("manual").ackMode(AckMode.MANUAL), "orders");
        gmq.publish("orders", "keep-me", PublishOption.partition(1));
        ConsumeMessage first = c.await(1).get(0);
        first.nack();
        List<ConsumeMessage> got = c.await(2);
        assertEquals("keep-me", got.get(1).payloadAsString());
        assertEquals(2, got.get(1).deliveryCount());
        got.get(1).ack();
        waitUntil("ack committed", () -> committedTotal("manual", "orders") == 1);
    }

    @Test
    void acksHeldBackForOneRunAreCommittedWhileTheHandlerBlocksOnALaterMessage() throws Exception {
        for (String m : List.of("a", "b", "c")) {
            gmq.publish("orders", m, PublishOption.partition(0));
        }
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        gmq.gmq()
                .subscribe(
                        ConsumerConfig.builder()
                                .consumerGroup("blocked")
                                .messageHandler(m -> {
                                    if (m.payloadAsString().equals("c")) {
                                        release.await(); // the acks of a and b (one delivery with c) must not wait for
                                        // this
                                    }
                                })
                                .build(),
                        "orders");
        try {
            waitUntil("a and b committed while c blocks", () -> committedTotal("blocked", "orders") == 2);
        } finally {
            release.countDown();
        }
        waitUntil("c committed", () -> committedTotal("blocked", "orders") == 3);
    }

    @Test
    void qos0MessagesNeedNoAcknowledgement() {
        MessageCollector c =
                gmq.collect(ConsumerConfig.builder().consumerGroup("q0").ackMode(AckMode.MANUAL), "metrics");
        for (int i = 0; i < 10; i++) {
            gmq.publish("metrics", "v" + i, PublishOption.qos(QoS.AT_MOST_ONCE));
        }
        List<ConsumeMessage> got = c.await(10);
        assertTrue(got.stream().allMatch(m -> m.qos() == QoS.AT_MOST_ONCE));
        waitUntil("progress committed without acks", () -> committedTotal("q0", "metrics") == 10);
    }

    @Test
    void resetToEarliestReplaysForAGroupWithoutMembers() {
        for (int i = 0; i < 5; i++) {
            gmq.publish("orders", "m" + i, PublishOption.partition(0));
        }
        MessageCollector c = gmq.collect("orders", "replayers");
        c.await(5);
        waitUntil("committed", () -> committedTotal("replayers", "orders") == 5);
        GmqException busy = assertThrows(
                GmqException.class, () -> gmq.gmq().admin().resetOffsets("replayers", "orders", OffsetSpec.earliest()));
        assertEquals(ErrorCode.FAILED_PRECONDITION, busy.code());
        c.close();
        gmq.gmq().admin().resetOffsets("replayers", "orders", OffsetSpec.earliest());
        assertEquals(0, committedTotal("replayers", "orders"));
        MessageCollector again = gmq.collect("orders", "replayers");
        assertEquals(5, again.await(5).size());
    }

    @Test
    void aNewGroupCanStartAtTheLatestOffset() {
        gmq.publish("orders", "old", PublishOption.partition(0));
        MessageCollector c =
                gmq.collect(ConsumerConfig.builder().consumerGroup("late").startFrom(OffsetSpec.latest()), "orders");
        waitUntil("assigned", () -> c.subscription().assignment().size() == 3);
        gmq.publish("orders", "new", PublishOption.partition(0));
        assertEquals(
                List.of("new"),
                c.await(1).stream().map(ConsumeMessage::payloadAsString).toList());
    }

    @Test
    void aReaderReplaysAPartitionFromAnyOffsetWithoutAGroup() {
        for (int i = 0; i < 10; i++) {
            gmq.publish("orders", "m" + i, PublishOption.partition(2));
        }
        PartitionReader r = gmq.gmq().reader(new TopicPartition("orders", 2), OffsetSpec.offset(4));
        List<ConsumeMessage> got = r.poll(100, Duration.ofSeconds(1));
        assertEquals(
                List.of("m4", "m5", "m6", "m7", "m8", "m9"),
                got.stream().map(ConsumeMessage::payloadAsString).toList());
        assertEquals(10, r.position());
        assertTrue(r.poll(10, Duration.ofMillis(10)).isEmpty());
    }

    @Test
    void badInputIsRejectedWithAClearErrorAndChangesNothing() {
        GmqException badName = assertThrows(GmqException.class, () -> gmq.publish("a/b", "x"));
        assertEquals(ErrorCode.INVALID_ARGUMENT, badName.code());
        assertTrue(badName.getMessage().contains("'/'"), badName.getMessage());
        byte[] big = new byte[gmq.gmq().config().maxMessageBytes() + 1];
        GmqException tooBig = assertThrows(GmqException.class, () -> gmq.gmq().publish("orders", big));
        assertEquals(ErrorCode.RESOURCE_EXHAUSTED, tooBig.code());
        assertTrue(
                gmq.gmq().admin().listTopics().stream().noneMatch(t -> t.name().equals("a/b")));
        GmqException missing =
                assertThrows(GmqException.class, () -> gmq.gmq().admin().describeTopic("nope"));
        assertEquals(ErrorCode.NOT_FOUND, missing.code());
    }

    @Test
    void describeGroupShowsMembersAssignmentOffsetsAndLag() {
        gmq.gmq().admin().createTopic("jobs", 2);
        for (int i = 0; i < 4; i++) {
            gmq.publish("jobs", "j" + i, PublishOption.partition(i % 2));
        }
        MessageCollector c = gmq.collect("jobs", "workers");
        c.await(4);
        waitUntil("committed", () -> committedTotal("workers", "jobs") == 4);
        GroupDescription d = gmq.gmq().admin().describeGroup("workers");
        assertEquals(1, d.members().size());
        assertEquals(2, d.members().get(0).assigned().size());
        assertEquals(
                new TreeSet<>(List.of(0L)),
                new TreeSet<>(d.partitions().stream().map(p -> p.lag()).toList()));
    }

    @Test
    void theAssignmentListenerHearsPartitionsGainedAndLost() {
        gmq.gmq().admin().createTopic("jobs", 2);
        Set<TopicPartition> owned = ConcurrentHashMap.newKeySet();
        List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        AssignmentListener listener = new AssignmentListener() {
            @Override
            public void onAssigned(Set<TopicPartition> partitions) {
                owned.addAll(partitions);
                events.add("+" + partitions.size());
            }

            @Override
            public void onRevoked(Set<TopicPartition> partitions) {
                owned.removeAll(partitions);
                events.add("-" + partitions.size());
            }
        };
        MessageCollector first =
                gmq.collect(ConsumerConfig.builder().consumerGroup("g").assignmentListener(listener), "jobs");
        waitUntil("first owns both", () -> owned.size() == 2);
        MessageCollector second = gmq.collect("jobs", "g");
        waitUntil(
                "one partition moved",
                () -> owned.size() == 1 && second.subscription().assignment().size() == 1);
        assertEquals(List.of("+2", "-1"), events);
        assertEquals(first.subscription().assignment(), owned);
    }
}
