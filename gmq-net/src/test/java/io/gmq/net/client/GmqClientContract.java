package io.gmq.net.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.AckMode;
import io.gmq.AssignmentListener;
import io.gmq.ConsumeMessage;
import io.gmq.ErrorCode;
import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.GroupDescription;
import io.gmq.MessageHandler;
import io.gmq.OffsetSpec;
import io.gmq.PartitionInfo;
import io.gmq.PublishOption;
import io.gmq.PublishResult;
import io.gmq.QoS;
import io.gmq.TopicDescription;
import io.gmq.TopicInfo;
import io.gmq.TopicPartition;
import io.gmq.broker.Partitioner;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.wire.GrpcErrors;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The behaviour of {@link GmqClient}, written once and run against every way of reaching an engine:
 * embedded (in this JVM, no gRPC), a broker over grpc in-process transport, and a standalone server
 * on 127.0.0.1 port 0. A difference between them is a bug in the client or the network layer.
 *
 * <p>The engine runs with short timeouts (ack timeout {@link #ACK_TIMEOUT}) so redelivery is quick;
 * every wait polls a condition with a deadline.
 */
abstract class GmqClientContract {
    static final Duration ACK_TIMEOUT = Duration.ofMillis(500);
    static final int MAX_MESSAGE_BYTES = 64 * 1024;
    private static final long WAIT_SECONDS = 30;

    @TempDir
    Path dir;

    private final List<GmqClient> clients = new ArrayList<>();
    /** Administers and publishes; connected before each test. */
    GmqClient admin;

    /** Starts what this mode's clients talk to: an engine with {@code engine}'s settings. */
    abstract void start(GmqConfig engine) throws Exception;

    /** A new client of this mode with {@code settings}; the mode sets where it connects. */
    abstract GmqClient newClient(ClientConfig.Builder settings);

    /** Stops what {@link #start} started. */
    abstract void stop() throws Exception;

    @BeforeEach
    void startEngine() throws Exception {
        start(GmqConfig.builder()
                .dataDir(dir.resolve("data"))
                .flushPolicy(FlushPolicy.OS)
                .defaultPartitions(3)
                .ackTimeout(ACK_TIMEOUT)
                .commitInterval(Duration.ofMillis(20))
                .sessionTimeout(Duration.ofSeconds(3))
                .maxMessageBytes(MAX_MESSAGE_BYTES)
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

    /** A client closed after the test (before the engine). */
    GmqClient client(ClientConfig.Builder settings) {
        GmqClient c = newClient(settings);
        clients.add(0, c);
        return c;
    }

    /** A member of {@code group} running {@code handler}, not yet subscribed. */
    GmqClient member(String group, AckMode ackMode, MessageHandler handler) {
        return client(ClientConfig.builder()
                .consumerGroup(group)
                .ackMode(ackMode)
                .pullInterval(Duration.ofMillis(20))
                .messageHandler(handler));
    }

    GmqClient member(String group, AckMode ackMode, MessageHandler handler, AssignmentListener listener) {
        return client(ClientConfig.builder()
                .consumerGroup(group)
                .ackMode(ackMode)
                .pullInterval(Duration.ofMillis(20))
                .messageHandler(handler)
                .assignmentListener(listener));
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

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The code of the GmqException {@code call} throws (directly or through a future). */
    static ErrorCode codeOf(Executable call) {
        GmqException e = assertThrows(GmqException.class, () -> {
            try {
                call.execute();
            } catch (ExecutionException ex) {
                throw GrpcErrors.toGmq(ex.getCause());
            }
        });
        assertNotNull(e.getMessage());
        return e.code();
    }

    interface Executable {
        void execute() throws Exception;
    }

    private long committed(String group, TopicPartition tp) {
        return admin.describeGroup(group).partitions().stream()
                .filter(p -> p.topicPartition().equals(tp))
                .mapToLong(GroupDescription.PartitionProgress::committedOffset)
                .findFirst()
                .orElse(-1);
    }

    private Map<String, Set<TopicPartition>> ownership(String group) {
        return admin.describeGroup(group).members().stream()
                .collect(Collectors.toMap(GroupDescription.Member::clientId, GroupDescription.Member::assigned));
    }

    // ---- publish ----------------------------------------------------------------------------------

    @Test
    void publishToAnExplicitPartitionReturnsConsecutiveOffsets() {
        admin.createTopic("orders", 3);
        for (int i = 0; i < 3; i++) {
            PublishResult r = admin.publish("orders", utf8("o" + i), PublishOption.partition(1));
            assertEquals(new PublishResult("orders", 1, i), r);
        }
        PartitionInfo p1 = admin.describeTopic("orders").partitions().get(1);
        assertEquals(new TopicPartition("orders", 1), p1.topicPartition());
        assertEquals(3, p1.highWatermark());
    }

    @Test
    void aKeyedPublishLandsOnTheMurmur2PartitionOfItsKey() {
        admin.createTopic("keyed", 5);
        int expected = new Partitioner().choose("keyed", null, utf8("user_id_123"), 5);
        for (int i = 0; i < 4; i++) {
            PublishResult r = admin.publish("keyed", utf8("k" + i), PublishOption.partitionKey("user_id_123"));
            assertEquals(expected, r.partition());
            assertEquals(i, r.offset());
        }
    }

    @Test
    void anExplicitPartitionWinsOverTheKey() {
        admin.createTopic("both", 4);
        int byKey = new Partitioner().choose("both", null, utf8("k"), 4);
        int explicit = (byKey + 1) % 4;
        PublishResult r =
                admin.publish("both", utf8("x"), PublishOption.partitionKey("k"), PublishOption.partition(explicit));
        assertEquals(explicit, r.partition());
    }

    @Test
    void keyHeadersAndTimestampReachTheConsumerUnchanged() {
        admin.createTopic("meta", 1);
        admin.publish(
                "meta",
                utf8("payload"),
                PublishOption.partitionKey("user-1"),
                PublishOption.header("trace-id", "abc"),
                PublishOption.header("bin", new byte[] {0, 1, 2}),
                PublishOption.timestamp(1_700_000_000_123L));
        List<ConsumeMessage> got = new CopyOnWriteArrayList<>();
        member("meta-readers", AckMode.AUTO, got::add).subscribe("meta");
        await("the message is consumed", () -> got.size() == 1);
        ConsumeMessage m = got.get(0);
        assertEquals("payload", m.payloadAsString());
        assertEquals("user-1", m.keyAsString());
        assertEquals("abc", new String(m.header("trace-id").value(), StandardCharsets.UTF_8));
        assertEquals(List.of(0, 1, 2), toList(m.header("bin").value()));
        assertEquals(1_700_000_000_123L, m.timestamp());
        assertEquals(QoS.AT_LEAST_ONCE, m.qos());
        assertEquals(1, m.deliveryCount());
        assertEquals(new TopicPartition("meta", 0), new TopicPartition(m.topic(), m.partition()));
    }

    private static List<Integer> toList(byte[] bytes) {
        List<Integer> out = new ArrayList<>();
        for (byte b : bytes) {
            out.add((int) b);
        }
        return out;
    }

    @Test
    void aQos0PublishIsStoredAndDeliveredAsAtMostOnce() {
        admin.createTopic("fire", 1);
        PublishResult r = admin.publish("fire", utf8("f0"), PublishOption.qos(QoS.AT_MOST_ONCE));
        assertEquals("fire", r.topic());
        assertEquals(0, r.partition());
        List<ConsumeMessage> got = new CopyOnWriteArrayList<>();
        member("fire-readers", AckMode.AUTO, got::add).subscribe("fire");
        await("the QoS 0 message is consumed", () -> got.size() == 1);
        assertEquals("f0", got.get(0).payloadAsString());
        assertEquals(QoS.AT_MOST_ONCE, got.get(0).qos());
    }

    @Test
    void everyAsyncPublishCompletesWithItsOwnOffset() throws Exception {
        admin.createTopic("async", 1);
        List<CompletableFuture<PublishResult>> futures = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            futures.add(admin.publishAsync("async", utf8("a" + i)));
        }
        admin.flush();
        Set<Long> offsets = new HashSet<>();
        for (CompletableFuture<PublishResult> f : futures) {
            offsets.add(f.get(WAIT_SECONDS, TimeUnit.SECONDS).offset());
        }
        assertEquals(50, offsets.size());
        assertEquals(0, offsets.stream().mapToLong(Long::longValue).min().orElseThrow());
        assertEquals(49, offsets.stream().mapToLong(Long::longValue).max().orElseThrow());
    }

    @Test
    void aTopicIsCreatedOnFirstPublishWithTheDefaultPartitionCount() {
        admin.publish("auto", utf8("x"));
        assertEquals(3, admin.describeTopic("auto").partitionCount());
        assertEquals(1, admin.describeTopic("auto").messageCount());
    }

    // ---- consume ----------------------------------------------------------------------------------

    @Test
    void aMemberReceivesAPartitionInOffsetOrderAndTheGroupCommitsIt() {
        admin.createTopic("ordered", 1);
        for (int i = 0; i < 20; i++) {
            admin.publish("ordered", utf8("m" + i));
        }
        List<Long> offsets = new CopyOnWriteArrayList<>();
        member("readers", AckMode.AUTO, m -> offsets.add(m.offset())).subscribe("ordered");
        await("20 messages consumed", () -> offsets.size() >= 20);
        List<Long> expected = new ArrayList<>();
        for (long i = 0; i < 20; i++) {
            expected.add(i);
        }
        assertEquals(expected, offsets.subList(0, 20));
        await("the group committed offset 20", () -> committed("readers", new TopicPartition("ordered", 0)) == 20);
    }

    @Test
    void aNackedMessageIsDeliveredAgainWithAHigherDeliveryCount() {
        admin.createTopic("nacks", 1);
        admin.publish("nacks", utf8("n0"));
        List<Integer> deliveries = new CopyOnWriteArrayList<>();
        member("nackers", AckMode.MANUAL, m -> {
                    deliveries.add(m.deliveryCount());
                    if (m.deliveryCount() == 1) {
                        m.nack();
                    } else {
                        m.ack();
                    }
                })
                .subscribe("nacks");
        await("the message came twice", () -> deliveries.size() >= 2);
        assertEquals(List.of(1, 2), deliveries.subList(0, 2));
        await("the group committed past it", () -> committed("nackers", new TopicPartition("nacks", 0)) == 1);
    }

    @Test
    void aThrowingHandlerInAutoModeIsANack() {
        admin.createTopic("throws", 1);
        admin.publish("throws", utf8("t0"));
        List<Integer> deliveries = new CopyOnWriteArrayList<>();
        member("throwers", AckMode.AUTO, m -> {
                    deliveries.add(m.deliveryCount());
                    if (m.deliveryCount() == 1) {
                        throw new IllegalStateException("first attempt fails");
                    }
                })
                .subscribe("throws");
        await("the message came twice", () -> deliveries.size() >= 2);
        assertEquals(List.of(1, 2), deliveries.subList(0, 2));
    }

    @Test
    void anUnacknowledgedMessageIsDeliveredAgainAfterTheAckTimeout() {
        admin.createTopic("slow", 1);
        admin.publish("slow", utf8("s0"));
        List<Integer> deliveries = new CopyOnWriteArrayList<>();
        List<Long> receivedAtNanos = new CopyOnWriteArrayList<>();
        member("forgetters", AckMode.MANUAL, m -> {
                    deliveries.add(m.deliveryCount());
                    receivedAtNanos.add(System.nanoTime());
                    if (m.deliveryCount() >= 2) {
                        m.ack(); // the first delivery is never acknowledged
                    }
                })
                .subscribe("slow");
        await("the message came again", () -> deliveries.size() >= 2);
        assertEquals(List.of(1, 2), deliveries.subList(0, 2));
        long gapMillis = TimeUnit.NANOSECONDS.toMillis(receivedAtNanos.get(1) - receivedAtNanos.get(0));
        assertTrue(gapMillis >= ACK_TIMEOUT.toMillis() / 2, "redelivered after " + gapMillis + " ms");
        await("the group committed past it", () -> committed("forgetters", new TopicPartition("slow", 0)) == 1);
    }

    @Test
    void aSecondMemberTakesHalfThePartitionsAndLeavingGivesThemBack() {
        admin.createTopic("shared", 4);
        Set<TopicPartition> heldByFirst = ConcurrentHashMap.newKeySet();
        AssignmentListener tracker = new AssignmentListener() {
            @Override
            public void onAssigned(Set<TopicPartition> partitions) {
                heldByFirst.addAll(partitions);
            }

            @Override
            public void onRevoked(Set<TopicPartition> partitions) {
                heldByFirst.removeAll(partitions);
            }
        };
        GmqClient first = client(ClientConfig.builder()
                .clientId("first")
                .consumerGroup("sharers")
                .pullInterval(Duration.ofMillis(20))
                .messageHandler(m -> {})
                .assignmentListener(tracker));
        first.subscribe("shared");
        await(
                "the only member owns all 4",
                () -> heldByFirst.size() == 4 && ownership("sharers").equals(Map.of("first", heldByFirst)));

        GmqClient second = newClient(ClientConfig.builder()
                .clientId("second")
                .consumerGroup("sharers")
                .pullInterval(Duration.ofMillis(20))
                .messageHandler(m -> {}));
        try {
            second.subscribe("shared");
            await("two members own 2 each", () -> {
                Map<String, Set<TopicPartition>> owners = ownership("sharers");
                return owners.size() == 2
                        && owners.get("first").size() == 2
                        && owners.get("second").size() == 2
                        && heldByFirst.equals(owners.get("first"));
            });
            Map<String, Set<TopicPartition>> split = ownership("sharers");
            Set<TopicPartition> union = new HashSet<>(split.get("first"));
            union.addAll(split.get("second"));
            assertEquals(4, union.size(), "the two halves are disjoint: " + split);
        } finally {
            second.close();
        }
        await(
                "the remaining member owns all 4 again",
                () -> heldByFirst.size() == 4 && ownership("sharers").equals(Map.of("first", heldByFirst)));
    }

    @Test
    void unsubscribeLeavesTheGroup() {
        admin.createTopic("leaving", 2);
        GmqClient m = member("leavers", AckMode.AUTO, x -> {});
        m.subscribe("leaving");
        await("one member", () -> admin.describeGroup("leavers").members().size() == 1);
        m.unsubscribe("leaving");
        await("no members", () -> admin.describeGroup("leavers").members().isEmpty());
    }

    // ---- admin ------------------------------------------------------------------------------------

    @Test
    void createdTopicsAreListedAndDescribed() {
        assertEquals(new TopicInfo("alpha", 2), admin.createTopic("alpha", 2));
        assertEquals(new TopicInfo("beta", 5), admin.createTopic("beta", 5));
        Set<TopicInfo> listed = new HashSet<>(admin.listTopics());
        assertTrue(listed.contains(new TopicInfo("alpha", 2)), listed.toString());
        assertTrue(listed.contains(new TopicInfo("beta", 5)), listed.toString());
        admin.publish("beta", utf8("b"), PublishOption.partition(4));
        TopicDescription d = admin.describeTopic("beta");
        assertEquals("beta", d.name());
        assertEquals(5, d.partitionCount());
        assertEquals(5, d.partitions().size());
        assertEquals(1, d.partitions().get(4).highWatermark());
        assertEquals(1, d.messageCount());
    }

    @Test
    void creatingAnExistingTopicWithAnotherPartitionCountIsAlreadyExists() {
        admin.createTopic("twice", 2);
        assertEquals(ErrorCode.ALREADY_EXISTS, codeOf(() -> admin.createTopic("twice", 3)));
    }

    @Test
    void aDeletedTopicIsGone() {
        admin.createTopic("doomed", 1);
        admin.deleteTopic("doomed");
        assertFalse(admin.listTopics().stream().anyMatch(t -> t.name().equals("doomed")));
        assertEquals(ErrorCode.NOT_FOUND, codeOf(() -> admin.describeTopic("doomed")));
    }

    @Test
    void describeGroupShowsMembersOwnershipAndCommittedOffsets() {
        admin.createTopic("described", 2);
        admin.publish("described", utf8("d0"), PublishOption.partition(0));
        admin.publish("described", utf8("d1"), PublishOption.partition(1));
        Set<Long> seen = ConcurrentHashMap.newKeySet();
        client(ClientConfig.builder()
                        .clientId("describer")
                        .consumerGroup("describers")
                        .pullInterval(Duration.ofMillis(20))
                        .messageHandler(m -> seen.add(m.offset())))
                .subscribe("described");
        await(
                "both partitions committed",
                () -> committed("describers", new TopicPartition("described", 0)) == 1
                        && committed("describers", new TopicPartition("described", 1)) == 1);
        GroupDescription g = admin.describeGroup("describers");
        assertEquals("describers", g.group());
        assertEquals(1, g.members().size());
        assertEquals("describer", g.members().get(0).clientId());
        assertEquals(Set.of("described"), g.members().get(0).topics());
        assertEquals(2, g.partitions().size());
        for (GroupDescription.PartitionProgress p : g.partitions()) {
            assertEquals(g.members().get(0).memberId(), p.ownerMemberId());
            assertEquals(1, p.highWatermark());
            assertEquals(0, p.lag());
        }
        assertTrue(admin.listGroups().contains("describers"), admin.listGroups().toString());
    }

    @Test
    void resetOffsetsOfAGroupWithoutMembersReplaysFromThere() {
        admin.createTopic("replay", 1);
        for (int i = 0; i < 5; i++) {
            admin.publish("replay", utf8("r" + i));
        }
        TopicPartition tp = new TopicPartition("replay", 0);
        List<Long> firstPass = new CopyOnWriteArrayList<>();
        GmqClient reader = member("replayers", AckMode.AUTO, m -> firstPass.add(m.offset()));
        reader.subscribe("replay");
        await("the group committed all 5", () -> committed("replayers", tp) == 5);

        assertEquals(
                ErrorCode.FAILED_PRECONDITION,
                codeOf(() -> admin.resetOffsets("replayers", "replay", OffsetSpec.earliest())));

        reader.unsubscribe("replay");
        await(
                "the group has no members",
                () -> admin.describeGroup("replayers").members().isEmpty());
        admin.resetOffsets("replayers", tp, OffsetSpec.offset(3));
        assertEquals(3, committed("replayers", tp));
        admin.resetOffsets("replayers", "replay", OffsetSpec.earliest());
        assertEquals(0, committed("replayers", tp));

        List<Long> secondPass = new CopyOnWriteArrayList<>();
        member("replayers", AckMode.AUTO, m -> secondPass.add(m.offset())).subscribe("replay");
        await("all 5 came again", () -> secondPass.size() >= 5);
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L), secondPass.subList(0, 5));
    }

    @Test
    void deleteGroupForgetsItsOffsetsOnceItHasNoMembers() {
        admin.createTopic("gone", 1);
        admin.publish("gone", utf8("a"));
        TopicPartition tp = new TopicPartition("gone", 0);
        List<Long> seen = new CopyOnWriteArrayList<>();
        GmqClient reader = member("leavers", AckMode.AUTO, m -> seen.add(m.offset()));
        reader.subscribe("gone");
        await("the group committed the message", () -> committed("leavers", tp) == 1);
        assertEquals(ErrorCode.FAILED_PRECONDITION, codeOf(() -> admin.deleteGroup("leavers")));

        reader.unsubscribe("gone");
        await(
                "the group has no members",
                () -> admin.describeGroup("leavers").members().isEmpty());
        admin.deleteGroup("leavers");
        assertFalse(admin.listGroups().contains("leavers"));
        assertEquals(ErrorCode.NOT_FOUND, codeOf(() -> admin.describeGroup("leavers")));
        assertEquals(ErrorCode.NOT_FOUND, codeOf(() -> admin.deleteGroup("leavers")));
        assertEquals(ErrorCode.INVALID_ARGUMENT, codeOf(() -> admin.deleteGroup("")));
    }

    @Test
    void aReaderReadsAPartitionFromAnyPositionWithoutAGroup() {
        admin.createTopic("replayed", 2);
        for (int i = 0; i < 5; i++) {
            admin.publish(
                    "replayed",
                    utf8("m" + i),
                    PublishOption.partition(1),
                    PublishOption.header("n", utf8(Integer.toString(i))),
                    PublishOption.timestamp(1_700_000_000_000L + i));
        }
        TopicPartition tp = new TopicPartition("replayed", 1);

        io.gmq.PartitionReader fromTwo = admin.reader(tp, OffsetSpec.offset(2));
        List<ConsumeMessage> got = fromTwo.poll(2, Duration.ofSeconds(5));
        assertEquals(List.of(2L, 3L), got.stream().map(ConsumeMessage::offset).toList());
        assertEquals("m2", got.get(0).payloadAsString());
        assertEquals("2", new String(got.get(0).header("n").value(), StandardCharsets.UTF_8));
        assertEquals(1_700_000_000_002L, got.get(0).timestamp());
        assertEquals(4, fromTwo.position());
        assertEquals(
                List.of(4L),
                fromTwo.poll(10, Duration.ofSeconds(5)).stream()
                        .map(ConsumeMessage::offset)
                        .toList());

        io.gmq.PartitionReader earliest = admin.reader(tp, OffsetSpec.earliest());
        assertEquals(0, earliest.position());
        assertEquals(5, earliest.poll(100, Duration.ofSeconds(5)).size());

        io.gmq.PartitionReader latest = admin.reader(tp, OffsetSpec.latest());
        assertEquals(5, latest.position());
        assertTrue(latest.poll(10, Duration.ofMillis(50)).isEmpty(), "nothing after the end yet");
        admin.publish("replayed", utf8("m5"), PublishOption.partition(1));
        List<ConsumeMessage> next = new ArrayList<>();
        await("the new record is read", () -> {
            next.addAll(latest.poll(10, Duration.ofMillis(500)));
            return !next.isEmpty();
        });
        assertEquals("m5", next.get(0).payloadAsString());
        assertEquals(5, next.get(0).offset());

        assertEquals(List.of(), admin.listGroups(), "reading joined no group");
        assertEquals(
                ErrorCode.NOT_FOUND,
                codeOf(() -> admin.reader(new TopicPartition("no-such-topic", 0), OffsetSpec.earliest())
                        .poll(1, Duration.ZERO)));
    }

    // ---- static membership ------------------------------------------------------------------------

    /** What one consumer's listener heard: its partitions and how many changes. */
    static final class HeldPartitions implements AssignmentListener {
        final Set<TopicPartition> held = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final java.util.concurrent.atomic.AtomicInteger changes = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void onAssigned(Set<TopicPartition> partitions) {
            held.addAll(partitions);
            changes.incrementAndGet();
        }

        @Override
        public void onRevoked(Set<TopicPartition> partitions) {
            held.removeAll(partitions);
            changes.incrementAndGet();
        }
    }

    GmqClient staticMember(String group, String instanceId, AssignmentListener listener) {
        return client(ClientConfig.builder()
                .consumerGroup(group)
                .groupInstanceId(instanceId)
                .sessionTimeout(Duration.ofSeconds(30))
                .pullInterval(Duration.ofMillis(20))
                .messageHandler(m -> {})
                .assignmentListener(listener));
    }

    @Test
    void aStaticMemberThatClosesAndSubscribesAgainGetsItsPartitionsBackWithoutARebalance() {
        admin.createTopic("static", 4);
        HeldPartitions first = new HeldPartitions();
        HeldPartitions other = new HeldPartitions();
        GmqClient one = staticMember("sg", "one", first);
        one.subscribe("static");
        staticMember("sg", "two", other).subscribe("static");
        await("each member holds 2 partitions", () -> first.held.size() == 2 && other.held.size() == 2);
        Set<TopicPartition> held = Set.copyOf(first.held);
        Set<TopicPartition> otherHeld = Set.copyOf(other.held);
        int otherChanges = other.changes.get();
        int generation = admin.describeGroup("sg").generation();

        one.close(); // a static member's close keeps its membership
        assertEquals(2, admin.describeGroup("sg").members().size(), "the closed static member stays");

        HeldPartitions again = new HeldPartitions();
        staticMember("sg", "one", again).subscribe("static");
        await("the same partitions come back", () -> again.held.equals(held));
        assertEquals(generation, admin.describeGroup("sg").generation(), "no rebalance");
        assertEquals(otherHeld, Set.copyOf(other.held));
        assertEquals(otherChanges, other.changes.get(), "the other member saw no assignment change");
    }

    @Test
    void aSecondLiveMemberWithTheSameInstanceIdFencesTheFirstWithAnErrorNamingIt() {
        admin.createTopic("static-dup", 2);
        GmqClient first = staticMember("dg", "same", new HeldPartitions());
        first.subscribe("static-dup");
        HeldPartitions second = new HeldPartitions();
        staticMember("dg", "same", second).subscribe("static-dup");
        await("the newer member holds both partitions", () -> second.held.size() == 2);
        await("the older member was fenced", () -> first.subscriptionError("static-dup") != null);
        GmqException e = first.subscriptionError("static-dup");
        assertEquals(ErrorCode.ALREADY_EXISTS, e.code());
        assertTrue(e.getMessage().contains("'same'"), e.getMessage());
        assertEquals(1, admin.describeGroup("dg").members().size());
    }

    @Test
    void aGroupInstanceIdWithAControlCharacterIsRefusedByTheConfig() {
        for (String bad : List.of("a\u0000b", " ")) {
            GmqException e = assertThrows(
                    GmqException.class,
                    () -> ClientConfig.builder().groupInstanceId(bad).build());
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().contains("groupInstanceId"), e.getMessage());
        }
    }

    // ---- errors -----------------------------------------------------------------------------------

    @Test
    void aBadTopicNameIsInvalidArgumentForEveryCall() {
        assertEquals(ErrorCode.INVALID_ARGUMENT, codeOf(() -> admin.publish("a/b", utf8("x"))));
        assertEquals(
                ErrorCode.INVALID_ARGUMENT,
                codeOf(() -> admin.publishAsync("a/b", utf8("x")).get(WAIT_SECONDS, TimeUnit.SECONDS)));
        assertEquals(ErrorCode.INVALID_ARGUMENT, codeOf(() -> admin.createTopic("a/b", 1)));
        assertEquals(ErrorCode.INVALID_ARGUMENT, codeOf(() -> admin.createTopic("../escape", 1)));
        assertEquals(
                ErrorCode.INVALID_ARGUMENT,
                codeOf(() -> member("g", AckMode.AUTO, m -> {}).subscribe("a/b")));
        assertFalse(admin.listTopics().stream().anyMatch(t -> t.name().contains("/")));
    }

    @Test
    void aTopicWithoutPartitionsIsInvalidArgument() {
        assertEquals(ErrorCode.INVALID_ARGUMENT, codeOf(() -> admin.createTopic("empty", 0)));
    }

    @Test
    void anOversizedMessageIsResourceExhaustedAndNotStored() {
        admin.createTopic("big", 1);
        byte[] tooBig = new byte[MAX_MESSAGE_BYTES + 1];
        assertEquals(ErrorCode.RESOURCE_EXHAUSTED, codeOf(() -> admin.publish("big", tooBig)));
        assertEquals(
                ErrorCode.RESOURCE_EXHAUSTED,
                codeOf(() -> admin.publishAsync("big", tooBig).get(WAIT_SECONDS, TimeUnit.SECONDS)));
        assertEquals(0, admin.describeTopic("big").messageCount());
        assertEquals(0, admin.publish("big", utf8("small")).offset(), "the next message is the first stored");
    }

    @Test
    void anUnknownPartitionIsInvalidArgument() {
        admin.createTopic("two", 2);
        assertEquals(
                ErrorCode.INVALID_ARGUMENT, codeOf(() -> admin.publish("two", utf8("x"), PublishOption.partition(7))));
        assertEquals(
                ErrorCode.INVALID_ARGUMENT, codeOf(() -> admin.publish("two", utf8("x"), PublishOption.partition(-1))));
        assertEquals(0, admin.describeTopic("two").messageCount());
    }

    @Test
    void describingAnUnknownTopicIsNotFound() {
        assertEquals(ErrorCode.NOT_FOUND, codeOf(() -> admin.describeTopic("never-made")));
    }

    @Test
    void subscribingWithoutAGroupIsInvalidArgument() {
        GmqClient noGroup = client(ClientConfig.builder().messageHandler(m -> {}));
        assertEquals(ErrorCode.INVALID_ARGUMENT, codeOf(() -> noGroup.subscribe("orders")));
    }
}
