package io.gmq.net.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.broker.BrokerEngine;
import io.gmq.broker.Storages;
import io.gmq.net.storage.RemoteStorage;
import io.gmq.net.storage.StorageService;
import io.gmq.net.testing.SessionProbe;
import io.gmq.proto.Acks;
import io.gmq.proto.ClientFrame;
import io.gmq.proto.CreateTopicRequest;
import io.gmq.proto.Credits;
import io.gmq.proto.DeleteTopicRequest;
import io.gmq.proto.DescribeGroupRequest;
import io.gmq.proto.DescribeTopicRequest;
import io.gmq.proto.DescribeTopicResponse;
import io.gmq.proto.ErrorCode;
import io.gmq.proto.GetTopicMetadataRequest;
import io.gmq.proto.GmqBrokerGrpc;
import io.gmq.proto.GroupDescription;
import io.gmq.proto.Heartbeat;
import io.gmq.proto.ListGroupsRequest;
import io.gmq.proto.ListTopicsRequest;
import io.gmq.proto.OffsetSpec;
import io.gmq.proto.PartitionOffsets;
import io.gmq.proto.PublishAck;
import io.gmq.proto.PublishBatch;
import io.gmq.proto.QoS;
import io.gmq.proto.ResetOffsetsRequest;
import io.gmq.proto.ServerFrame;
import io.gmq.proto.Subscribe;
import io.gmq.proto.TopicInfo;
import io.gmq.storage.BatchBuilder;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.Storage;
import io.gmq.wire.Protos;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every broker RPC and its error codes, over in-process gRPC against a real engine and Storage. */
final class BrokerServiceTest {
    static final int MAX_BATCH = 64 * 1024;

    @TempDir
    Path dir;

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private GmqBrokerGrpc.GmqBrokerBlockingStub admin;
    private GmqBrokerGrpc.GmqBrokerStub async;

    @BeforeEach
    void start() throws Exception {
        GmqConfig config = config();
        Storage storage = Storages.openLocal(config);
        toClose.add(0, storage);
        startBroker(storage, config);
    }

    private GmqConfig config() {
        return GmqConfig.builder()
                .dataDir(dir)
                .flushPolicy(FlushPolicy.OS)
                .maxMessageBytes(MAX_BATCH)
                .maxBatchBytes(MAX_BATCH)
                .commitInterval(Duration.ofMillis(20))
                .build();
    }

    private void startBroker(Storage storage, GmqConfig config) throws Exception {
        BrokerEngine engine = new BrokerEngine(storage, config);
        toClose.add(0, engine);
        String name = InProcessServerBuilder.generateName();
        Server server = InProcessServerBuilder.forName(name)
                .addService(new BrokerService(engine))
                .build()
                .start();
        toClose.add(0, server::shutdownNow);
        ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
        toClose.add(0, channel::shutdownNow);
        admin = GmqBrokerGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        async = GmqBrokerGrpc.newStub(channel);
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    static ByteBuffer frame(boolean atLeastOnce, String... values) {
        BatchBuilder b = new BatchBuilder();
        b.attributes(atLeastOnce ? BatchFormat.ATTR_QOS_AT_LEAST_ONCE : 0);
        for (String v : values) {
            b.add(1L, null, v.getBytes(StandardCharsets.UTF_8), List.of());
        }
        return b.buildCopy();
    }

    static ClientFrame publish(long id, String topic, int partition, ByteBuffer frame) {
        return ClientFrame.newBuilder()
                .setPublish(PublishBatch.newBuilder()
                        .setRequestId(id)
                        .setTopic(topic)
                        .setPartition(partition)
                        .setQos(QoS.QOS_AT_LEAST_ONCE)
                        .setBatch(Protos.bytes(frame)))
                .build();
    }

    static Status.Code codeOf(Runnable call) {
        return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
    }

    private PublishAck publishAndAwait(SessionProbe s, long id, String topic, int partition, ByteBuffer frame)
            throws InterruptedException {
        s.send(publish(id, topic, partition, frame));
        return s.await(f -> f.hasPublishAck() && f.getPublishAck().getRequestId() == id)
                .getPublishAck();
    }

    // ---- admin ------------------------------------------------------------------------------------

    @Test
    void topicMetadataAutoCreatesWithTheDefaultPartitionCount() {
        TopicInfo t = admin.getTopicMetadata(GetTopicMetadataRequest.newBuilder()
                .setTopic("auto")
                .setAutoCreate(true)
                .build());
        assertEquals(3, t.getPartitions());
        assertEquals(
                Status.Code.NOT_FOUND,
                codeOf(() -> admin.getTopicMetadata(
                        GetTopicMetadataRequest.newBuilder().setTopic("absent").build())));
    }

    @Test
    void topicsAreCreatedListedDescribedAndDeleted() {
        admin.createTopic(
                CreateTopicRequest.newBuilder().setTopic("t").setPartitions(2).build());
        assertTrue(admin.listTopics(ListTopicsRequest.getDefaultInstance())
                .getTopicsList()
                .contains(TopicInfo.newBuilder().setName("t").setPartitions(2).build()));
        DescribeTopicResponse d = admin.describeTopic(
                DescribeTopicRequest.newBuilder().setTopic("t").build());
        assertEquals(2, d.getPartitionsCount());
        assertEquals(0, d.getPartitions(1).getHighWatermark());
        admin.deleteTopic(DeleteTopicRequest.newBuilder().setTopic("t").build());
        assertEquals(
                Status.Code.NOT_FOUND,
                codeOf(() -> admin.describeTopic(
                        DescribeTopicRequest.newBuilder().setTopic("t").build())));
    }

    @Test
    void badTopicNameIsInvalidArgument() {
        assertEquals(
                Status.Code.INVALID_ARGUMENT,
                codeOf(() -> admin.createTopic(CreateTopicRequest.newBuilder()
                        .setTopic("a/b")
                        .setPartitions(1)
                        .build())));
    }

    @Test
    void recreatingWithAnotherPartitionCountIsAlreadyExists() {
        admin.createTopic(
                CreateTopicRequest.newBuilder().setTopic("t").setPartitions(2).build());
        assertEquals(
                Status.Code.ALREADY_EXISTS,
                codeOf(() -> admin.createTopic(CreateTopicRequest.newBuilder()
                        .setTopic("t")
                        .setPartitions(4)
                        .build())));
    }

    @Test
    void unknownGroupIsNotFound() {
        assertEquals(
                Status.Code.NOT_FOUND,
                codeOf(() -> admin.describeGroup(
                        DescribeGroupRequest.newBuilder().setGroup("nobody").build())));
    }

    @Test
    void pingAnswers() {
        assertTrue(admin.ping(Heartbeat.getDefaultInstance()).getTimestampMillis() > 0);
    }

    // ---- session: publish -------------------------------------------------------------------------

    @Test
    void publishedBatchIsAcknowledgedWithItsOffsets() throws Exception {
        admin.createTopic(
                CreateTopicRequest.newBuilder().setTopic("p").setPartitions(1).build());
        try (SessionProbe s = new SessionProbe(async)) {
            PublishAck first = publishAndAwait(s, 1, "p", 0, frame(true, "a", "b"));
            PublishAck second = publishAndAwait(s, 2, "p", 0, frame(true, "c"));
            assertEquals(0, first.getBaseOffset());
            assertEquals(2, first.getRecordCount());
            assertEquals(2, second.getBaseOffset());
        }
    }

    @Test
    void publishToUnknownPartitionIsInvalidArgument() throws Exception {
        admin.createTopic(
                CreateTopicRequest.newBuilder().setTopic("p").setPartitions(1).build());
        try (SessionProbe s = new SessionProbe(async)) {
            assertEquals(
                    ErrorCode.INVALID_ARGUMENT,
                    publishAndAwait(s, 1, "p", 9, frame(true, "x")).getError().getCode());
        }
    }

    @Test
    void publishWithBadTopicNameIsInvalidArgument() throws Exception {
        try (SessionProbe s = new SessionProbe(async)) {
            assertEquals(
                    ErrorCode.INVALID_ARGUMENT,
                    publishAndAwait(s, 1, "../etc", 0, frame(true, "x"))
                            .getError()
                            .getCode());
        }
    }

    @Test
    void oversizedBatchIsResourceExhausted() throws Exception {
        admin.createTopic(
                CreateTopicRequest.newBuilder().setTopic("p").setPartitions(1).build());
        String big = "x".repeat(MAX_BATCH / 2);
        try (SessionProbe s = new SessionProbe(async)) {
            assertEquals(
                    ErrorCode.RESOURCE_EXHAUSTED,
                    publishAndAwait(s, 1, "p", 0, frame(true, big, big, big))
                            .getError()
                            .getCode());
            // the session survives the rejected batch
            assertEquals(0, publishAndAwait(s, 2, "p", 0, frame(true, "small")).getBaseOffset());
        }
    }

    // ---- session: subscribe, deliver, ack, credits ---------------------------------------------------

    private static ClientFrame subscribe(long id, String group, String topic, int credits) {
        return ClientFrame.newBuilder()
                .setSubscribe(Subscribe.newBuilder()
                        .setSubscriptionId(id)
                        .setClientId("test")
                        .setGroup(group)
                        .addTopics(topic)
                        .setInitialCredits(credits)
                        .setPullIntervalMillis(20)
                        .setStartFrom(OffsetSpec.newBuilder().setKind(OffsetSpec.Kind.EARLIEST)))
                .build();
    }

    @Test
    void subscriberReceivesPublishedRecordsAndItsAcksAreCommitted() throws Exception {
        admin.createTopic(
                CreateTopicRequest.newBuilder().setTopic("s").setPartitions(1).build());
        try (SessionProbe producer = new SessionProbe(async);
                SessionProbe consumer = new SessionProbe(async)) {
            publishAndAwait(producer, 1, "s", 0, frame(true, "a", "b", "c"));
            consumer.send(subscribe(7, "readers", "s", 100));
            consumer.await(ServerFrame::hasSubscribed);
            long delivered = 0;
            while (delivered < 3) {
                io.gmq.proto.Delivery d =
                        consumer.await(ServerFrame::hasDelivery).getDelivery();
                assertEquals(7, d.getSubscriptionId());
                Acks.Builder acks = Acks.newBuilder().setSubscriptionId(7);
                PartitionOffsets.Builder po =
                        PartitionOffsets.newBuilder().setTopic("s").setPartition(0);
                for (long o = d.getFromOffset(); o < d.getToOffset(); o++) {
                    po.addOffsets(o);
                }
                consumer.send(ClientFrame.newBuilder().setAcks(acks.addAcks(po)).build());
                delivered += d.getToOffset() - d.getFromOffset();
            }
            assertEquals(3, delivered);
            assertTrue(admin.listGroups(ListGroupsRequest.getDefaultInstance())
                    .getGroupsList()
                    .contains("readers"));
            awaitCommitted("readers", 3);
        }
    }

    @Test
    void ackRangesAreCommittedAndMalformedRangesAreRefusedWithoutEffect() throws Exception {
        admin.createTopic(CreateTopicRequest.newBuilder()
                .setTopic("ranges")
                .setPartitions(1)
                .build());
        try (SessionProbe producer = new SessionProbe(async);
                SessionProbe consumer = new SessionProbe(async)) {
            publishAndAwait(producer, 1, "ranges", 0, frame(true, "a", "b", "c", "d", "e"));
            consumer.send(subscribe(9, "rangers", "ranges", 100));
            consumer.await(ServerFrame::hasSubscribed);
            long delivered = 0;
            while (delivered < 5) {
                io.gmq.proto.Delivery d =
                        consumer.await(ServerFrame::hasDelivery).getDelivery();
                delivered += d.getToOffset() - d.getFromOffset();
            }
            // malformed: an odd count, then a reversed pair next to a good one; neither frame acks anything
            sendAcks(
                    consumer,
                    9,
                    PartitionOffsets.newBuilder().addRanges(0).addRanges(2).addRanges(4));
            assertEquals(
                    ErrorCode.INVALID_ARGUMENT,
                    consumer.await(ServerFrame::hasError).getError().getError().getCode());
            sendAcks(
                    consumer,
                    9,
                    PartitionOffsets.newBuilder()
                            .addRanges(0)
                            .addRanges(3)
                            .addRanges(4)
                            .addRanges(3));
            assertEquals(
                    ErrorCode.INVALID_ARGUMENT,
                    consumer.await(ServerFrame::hasError).getError().getError().getCode());
            // [0, 2) and [3, 5) leave offset 2 unacknowledged: the group commits 2, no further
            sendAcks(
                    consumer,
                    9,
                    PartitionOffsets.newBuilder()
                            .addRanges(0)
                            .addRanges(2)
                            .addRanges(3)
                            .addRanges(5));
            awaitCommitted("rangers", 2);
            // one offset acked one by one closes the gap
            sendAcks(consumer, 9, PartitionOffsets.newBuilder().addOffsets(2));
            awaitCommitted("rangers", 5);
        }
    }

    @Test
    void nackDelaysAreAppliedAndMalformedOnesAreRefusedWithoutEffect() throws Exception {
        admin.createTopic(CreateTopicRequest.newBuilder()
                .setTopic("ranges")
                .setPartitions(1)
                .build());
        try (SessionProbe producer = new SessionProbe(async);
                SessionProbe consumer = new SessionProbe(async)) {
            publishAndAwait(producer, 1, "ranges", 0, frame(true, "a", "b", "c"));
            consumer.send(subscribe(9, "nackers", "ranges", 100));
            consumer.await(ServerFrame::hasSubscribed);
            long delivered = 0;
            while (delivered < 3) {
                io.gmq.proto.Delivery d =
                        consumer.await(ServerFrame::hasDelivery).getDelivery();
                delivered += d.getToOffset() - d.getFromOffset();
            }
            // a delay below -1, then one delay for two offsets: refused, and the acks with them too
            sendAcksAndNacks(
                    consumer,
                    PartitionOffsets.newBuilder().addRanges(1).addRanges(3),
                    PartitionOffsets.newBuilder().addOffsets(0).addNackDelayMillis(-5));
            assertEquals(
                    ErrorCode.INVALID_ARGUMENT,
                    consumer.await(ServerFrame::hasError).getError().getError().getCode());
            sendAcksAndNacks(
                    consumer,
                    PartitionOffsets.newBuilder().addRanges(1).addRanges(3),
                    PartitionOffsets.newBuilder().addOffsets(0).addOffsets(1).addNackDelayMillis(0));
            assertEquals(
                    ErrorCode.INVALID_ARGUMENT,
                    consumer.await(ServerFrame::hasError).getError().getError().getCode());
            // well formed: 1 and 2 acked, 0 nacked with no delay comes again at once
            sendAcksAndNacks(
                    consumer,
                    PartitionOffsets.newBuilder().addRanges(1).addRanges(3),
                    PartitionOffsets.newBuilder().addOffsets(0).addNackDelayMillis(0));
            io.gmq.proto.Delivery again =
                    consumer.await(ServerFrame::hasDelivery).getDelivery();
            assertEquals(0, again.getFromOffset());
            assertEquals(2, again.getDeliveryCount());
            sendAcks(consumer, 9, PartitionOffsets.newBuilder().addOffsets(0));
            awaitCommitted("nackers", 3);
        }
    }

    private static void sendAcksAndNacks(
            SessionProbe session, PartitionOffsets.Builder acks, PartitionOffsets.Builder nacks) {
        session.send(ClientFrame.newBuilder()
                .setAcks(Acks.newBuilder()
                        .setSubscriptionId(9)
                        .addAcks(acks.setTopic("ranges").setPartition(0))
                        .addNacks(nacks.setTopic("ranges").setPartition(0)))
                .build());
    }

    private static void sendAcks(SessionProbe session, long subscription, PartitionOffsets.Builder po) {
        session.send(ClientFrame.newBuilder()
                .setAcks(Acks.newBuilder()
                        .setSubscriptionId(subscription)
                        .addAcks(po.setTopic("ranges").setPartition(0)))
                .build());
    }

    @Test
    void deliveriesStopAtTheGrantedCreditsAndResumeWithMore() throws Exception {
        admin.createTopic(
                CreateTopicRequest.newBuilder().setTopic("c").setPartitions(1).build());
        try (SessionProbe producer = new SessionProbe(async);
                SessionProbe consumer = new SessionProbe(async)) {
            for (int i = 0; i < 5; i++) {
                publishAndAwait(producer, i + 1, "c", 0, frame(true, "m" + i));
            }
            consumer.send(subscribe(1, "slow", "c", 2));
            long got = 0;
            got = receiveUpTo(consumer, got, 2);
            assertEquals(2, got);
            assertNull(consumer.awaitOrNull(ServerFrame::hasDelivery, 300), "nothing beyond the credits");
            consumer.send(ClientFrame.newBuilder()
                    .setCredits(Credits.newBuilder().setSubscriptionId(1).setRecords(3))
                    .build());
            got = receiveUpTo(consumer, got, 5);
            assertEquals(5, got);
        }
    }

    /** Takes deliveries until {@code upTo} records arrived in all; returns the count. */
    private static long receiveUpTo(SessionProbe consumer, long got, long upTo) {
        while (got < upTo) {
            io.gmq.proto.Delivery d = consumer.await(ServerFrame::hasDelivery).getDelivery();
            got += d.getToOffset() - d.getFromOffset();
        }
        return got;
    }

    @Test
    void creditsReturnedInsideAcksResumeDeliveriesLikeACreditsFrame() throws Exception {
        admin.createTopic(
                CreateTopicRequest.newBuilder().setTopic("ca").setPartitions(1).build());
        try (SessionProbe producer = new SessionProbe(async);
                SessionProbe consumer = new SessionProbe(async)) {
            for (int i = 0; i < 5; i++) {
                publishAndAwait(producer, i + 1, "ca", 0, frame(true, "m" + i));
            }
            consumer.send(subscribe(1, "acks-carry-credits", "ca", 2));
            assertTrue(
                    consumer.await(ServerFrame::hasSubscribed).getSubscribed().getCreditsInAcks(),
                    "the broker says it takes credits inside Acks");
            long got = 0;
            got = receiveUpTo(consumer, got, 2);
            assertEquals(2, got);
            // One frame: the two records acknowledged and three records of credit returned.
            consumer.send(ClientFrame.newBuilder()
                    .setAcks(Acks.newBuilder()
                            .setSubscriptionId(1)
                            .addAcks(PartitionOffsets.newBuilder()
                                    .setTopic("ca")
                                    .setPartition(0)
                                    .addRanges(0)
                                    .addRanges(2))
                            .setCredits(3))
                    .build());
            got = receiveUpTo(consumer, got, 5);
            assertEquals(5, got);
        }
    }

    @Test
    void resetOffsetsWhileTheGroupHasMembersIsFailedPrecondition() throws Exception {
        admin.createTopic(
                CreateTopicRequest.newBuilder().setTopic("r").setPartitions(1).build());
        try (SessionProbe consumer = new SessionProbe(async)) {
            consumer.send(subscribe(1, "busy", "r", 10));
            consumer.await(ServerFrame::hasSubscribed);
            assertEquals(
                    Status.Code.FAILED_PRECONDITION,
                    codeOf(() -> admin.resetOffsets(ResetOffsetsRequest.newBuilder()
                            .setGroup("busy")
                            .setTopic("r")
                            .setSpec(OffsetSpec.newBuilder().setKind(OffsetSpec.Kind.LATEST))
                            .build())));
        }
    }

    @Test
    void subscribingWithABadGroupNameIsASessionError() throws Exception {
        try (SessionProbe consumer = new SessionProbe(async)) {
            consumer.send(subscribe(3, "", "x", 10));
            ServerFrame f = consumer.await(ServerFrame::hasError);
            assertEquals(3, f.getError().getSubscriptionId());
            assertEquals(ErrorCode.INVALID_ARGUMENT, f.getError().getError().getCode());
        }
    }

    private void awaitCommitted(String group, long offset) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            GroupDescription d = admin.describeGroup(
                    DescribeGroupRequest.newBuilder().setGroup(group).build());
            if (d.getPartitionsCount() > 0 && d.getPartitions(0).getCommittedOffset() == offset) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("committed offset never reached " + offset + ": " + d);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    // ---- storage down -----------------------------------------------------------------------------

    @Test
    void brokerAnswersUnavailableWhileItsStorageIsDown() throws Exception {
        stop();
        toClose.clear();
        GmqConfig config = config();
        Storage local = Storages.openLocal(config);
        toClose.add(0, local);
        String name = InProcessServerBuilder.generateName();
        Server storageServer = InProcessServerBuilder.forName(name)
                .addService(new StorageService(local))
                .build()
                .start();
        RemoteStorage remote =
                new RemoteStorage(InProcessChannelBuilder.forName(name).build(), true);
        toClose.add(0, remote);
        startBroker(remote, config);
        admin.createTopic(
                CreateTopicRequest.newBuilder().setTopic("d").setPartitions(1).build());

        storageServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);

        assertEquals(Status.Code.UNAVAILABLE, codeOf(() -> admin.listTopics(ListTopicsRequest.getDefaultInstance())));
        try (SessionProbe s = new SessionProbe(async)) {
            assertEquals(
                    ErrorCode.UNAVAILABLE,
                    publishAndAwait(s, 1, "d", 0, frame(true, "x")).getError().getCode());
        }
    }
}
