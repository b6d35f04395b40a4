package io.gmq.net.hostile;

import static io.gmq.net.hostile.HostileServer.GROUP;
import static io.gmq.net.hostile.HostileServer.PARTITIONS;
import static io.gmq.net.hostile.HostileServer.TOPIC;
import static io.gmq.net.hostile.HostileServer.tp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import io.gmq.internal.topic.TopicNames;
import io.gmq.net.testing.SessionProbe;
import io.gmq.proto.AckMode;
import io.gmq.proto.Acks;
import io.gmq.proto.ClientFrame;
import io.gmq.proto.CreateTopicRequest;
import io.gmq.proto.DeleteTopicRequest;
import io.gmq.proto.DescribeGroupRequest;
import io.gmq.proto.DescribeTopicRequest;
import io.gmq.proto.ErrorCode;
import io.gmq.proto.GetTopicMetadataRequest;
import io.gmq.proto.GmqBrokerGrpc;
import io.gmq.proto.GmqStorageGrpc;
import io.gmq.proto.OffsetSpec;
import io.gmq.proto.PartitionOffsets;
import io.gmq.proto.PublishAck;
import io.gmq.proto.ResetOffsetsRequest;
import io.gmq.proto.ServerFrame;
import io.gmq.proto.Subscribe;
import io.gmq.proto.Unsubscribe;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Hostile input on the broker's Session stream and admin calls, and on the storage service's unary
 * calls, against a real server on loopback: each bad request gets the exact status (or in-stream
 * error code), the server keeps serving, and topics, high watermarks, groups, committed offsets
 * and the data directory are exactly as before.
 */
class BrokerBadInputProperties {
    /**
     * The status of a request that is not valid protobuf: GmqServer's services refuse it before
     * any service code runs (see StrictRequests), without a stack trace in the log.
     */
    static final Status.Code PARSE_FAILURE = Status.Code.INVALID_ARGUMENT;

    private static HostileServer server;
    private static final AtomicLong ids = new AtomicLong();

    /** Unary methods whose requests can only read: any parsed request may run. */
    private static final List<MethodDescriptor<?, ?>> READ_ONLY = List.of(
            GmqBrokerGrpc.getPingMethod(),
            GmqBrokerGrpc.getListTopicsMethod(),
            GmqBrokerGrpc.getDescribeTopicMethod(),
            GmqBrokerGrpc.getListGroupsMethod(),
            GmqBrokerGrpc.getDescribeGroupMethod(),
            GmqStorageGrpc.getListTopicsMethod(),
            GmqStorageGrpc.getPartitionInfoMethod(),
            GmqStorageGrpc.getResolveOffsetMethod(),
            GmqStorageGrpc.getCommittedOffsetsMethod(),
            GmqStorageGrpc.getListGroupsMethod(),
            GmqStorageGrpc.getDescribeGroupMethod());

    /** Unary methods that may change state when their request parses and is valid. */
    private static final List<MethodDescriptor<?, ?>> MUTATING = List.of(
            GmqBrokerGrpc.getGetTopicMetadataMethod(),
            GmqBrokerGrpc.getCreateTopicMethod(),
            GmqBrokerGrpc.getDeleteTopicMethod(),
            GmqBrokerGrpc.getResetOffsetsMethod(),
            GmqStorageGrpc.getCreateTopicMethod(),
            GmqStorageGrpc.getTopicMethod(),
            GmqStorageGrpc.getDeleteTopicMethod(),
            GmqStorageGrpc.getJoinGroupMethod(),
            GmqStorageGrpc.getHeartbeatMethod(),
            GmqStorageGrpc.getLeaveGroupMethod(),
            GmqStorageGrpc.getCommitOffsetsMethod(),
            GmqStorageGrpc.getResetOffsetsMethod());

    @BeforeContainer
    static void start() throws IOException {
        server = new HostileServer();
        server.seed();
    }

    @AfterContainer
    static void stop() throws IOException {
        server.close();
    }

    // ---- malformed protobuf ------------------------------------------------------------------------

    @Provide
    Arbitrary<byte[]> garbage() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(200);
        byte[] valid = Frames.publish(1, TOPIC, 0, Frames.frame(null, "payload".getBytes()))
                .toByteArray();
        Arbitrary<byte[]> cut =
                Arbitraries.integers().between(1, valid.length - 1).map(n -> Arrays.copyOf(valid, n));
        Arbitrary<byte[]> flipped = Arbitraries.integers()
                .between(0, valid.length * 8 - 1)
                .map(bit -> {
                    byte[] b = valid.clone();
                    b[bit / 8] ^= (byte) (1 << (bit % 8));
                    return b;
                });
        return Arbitraries.oneOf(random, cut, flipped);
    }

    @Provide
    Arbitrary<MethodDescriptor<?, ?>> unaryMethods() {
        return Arbitraries.oneOf(Arbitraries.of(READ_ONLY), Arbitraries.of(MUTATING));
    }

    private static boolean parses(MethodDescriptor<?, ?> method, byte[] bytes) {
        try {
            method.parseRequest(new ByteArrayInputStream(bytes));
            return true;
        } catch (StatusRuntimeException | IllegalArgumentException e) {
            return false;
        }
    }

    @Property(tries = 150)
    void garbageOnAUnaryCallIsACleanErrorAndChangesNothing(
            @ForAll("garbage") byte[] bytes, @ForAll("unaryMethods") MethodDescriptor<?, ?> method) {
        boolean parses = parses(method, bytes);
        // A request that parses is an ordinary request; a mutating one may legitimately change state.
        Assume.that(!parses || READ_ONLY.contains(method));
        HostileServer.State before = server.state();
        Status.Code code = server.rawUnary(method, bytes);
        if (!parses) {
            assertEquals(PARSE_FAILURE, code, "unparseable request to " + method.getFullMethodName());
        } else {
            assertNotEquals(Status.Code.UNKNOWN, code, method.getFullMethodName());
        }
        assertEquals(before, server.state());
        server.assertServing();
    }

    @Property(tries = 100)
    void garbageOnTheSessionStreamIsACleanErrorAndChangesNothing(@ForAll("garbage") byte[] bytes) throws Exception {
        ClientFrame parsed = null;
        try {
            parsed = ClientFrame.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            // stays null: the server must refuse it
        }
        if (parsed != null) {
            Assume.that(!(parsed.hasSubscribe()
                    && parsed.getSubscribe().getTopicsList().stream().anyMatch(TopicNames::isValid)));
            Assume.that(!(parsed.hasPublish()
                    && Frames.structurallyValid(parsed.getPublish().getBatch().toByteArray())));
        }
        HostileServer.State before = server.state();
        HostileServer.StreamOutcome o = server.rawStream(GmqBrokerGrpc.getSessionMethod(), List.of(bytes));
        if (parsed == null) {
            assertEquals(PARSE_FAILURE, o.status().getCode(), o.status().toString());
        } else {
            assertEquals(Status.Code.OK, o.status().getCode(), o.status().toString());
            for (byte[] r : o.responses()) {
                ServerFrame f = ServerFrame.parseFrom(r);
                if (f.hasPublishAck()) {
                    // a whole frame whose bytes fail its CRC is damaged, anything else malformed
                    boolean damaged =
                            Frames.crcDamaged(parsed.getPublish().getBatch().toByteArray());
                    assertEquals(
                            damaged ? ErrorCode.DATA_LOSS : ErrorCode.INVALID_ARGUMENT,
                            f.getPublishAck().getError().getCode(),
                            f.toString());
                }
            }
        }
        assertEquals(before, server.state());
        server.assertServing();
    }

    @Example
    void aMalformedRequestIsInvalidArgument() throws Exception {
        byte[] truncated = {0x0a, 0x10, 'x'};
        assertEquals(Status.Code.INVALID_ARGUMENT, server.rawUnary(GmqBrokerGrpc.getCreateTopicMethod(), truncated));
        assertEquals(
                Status.Code.INVALID_ARGUMENT,
                server.rawStream(GmqBrokerGrpc.getSessionMethod(), List.of(truncated))
                        .status()
                        .getCode());
    }

    // ---- publish frames ----------------------------------------------------------------------------

    @Provide
    Arbitrary<byte[]> mutatedFrames() {
        Arbitrary<byte[]> base = Arbitraries.integers()
                .between(0, 60)
                .map(n -> Frames.frame(n % 3 == 0 ? null : new byte[n % 5], new byte[n], new byte[n / 2 + 1]));
        Arbitrary<byte[]> cut = base.flatMap(
                f -> Arbitraries.integers().between(0, f.length - 1).map(n -> Arrays.copyOf(f, n)));
        Arbitrary<byte[]> flipped = base.flatMap(f -> Arbitraries.integers()
                .between(0, f.length * 8 - 1)
                .map(bit -> {
                    byte[] b = f.clone();
                    b[bit / 8] ^= (byte) (1 << (bit % 8));
                    return b;
                }));
        Arbitrary<byte[]> lyingLength = base.flatMap(f -> Arbitraries.integers().map(len -> {
            byte[] b = f.clone();
            java.nio.ByteBuffer.wrap(b)
                    .order(io.gmq.storage.BatchFormat.ORDER)
                    .putInt(io.gmq.storage.BatchFormat.LENGTH_OFFSET, len);
            return b;
        }));
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(120);
        return Arbitraries.oneOf(cut, flipped, lyingLength, random);
    }

    @Property(tries = 150)
    void aMutatedPublishFrameIsRejectedAndAppendsNothing(@ForAll("mutatedFrames") byte[] frame) throws Exception {
        boolean damaged = Frames.crcDamaged(frame);
        boolean valid = Frames.structurallyValid(frame) && !damaged;
        HostileServer.State before = server.state();
        PublishAck ack;
        try (SessionProbe s = new SessionProbe(server.brokerAsync)) {
            long id = ids.incrementAndGet();
            s.send(Frames.publish(id, TOPIC, 1, frame));
            ack = s.await(f -> f.hasPublishAck() && f.getPublishAck().getRequestId() == id)
                    .getPublishAck();
        }
        HostileServer.State after = server.state();
        if (valid) {
            // The CRC covers every byte but itself, so only a mutation that leaves the original
            // bytes (a length rewritten to its own value) or clears the CRC to 0 gets here.
            assertTrue(!ack.hasError(), ack.toString());
            assertEquals(
                    before.highWatermarks().get(TOPIC + "-1") + ack.getRecordCount(),
                    after.highWatermarks().get(TOPIC + "-1"));
        } else {
            // A whole frame whose bytes no longer match its CRC was damaged on the way: DATA_LOSS;
            // anything else malformed: INVALID_ARGUMENT.
            assertEquals(
                    damaged ? ErrorCode.DATA_LOSS : ErrorCode.INVALID_ARGUMENT,
                    ack.getError().getCode(),
                    ack.toString());
            assertTrue(!ack.getError().getMessage().isBlank());
            assertEquals(before, after);
        }
    }

    // ---- oversized ---------------------------------------------------------------------------------

    private static PublishAck publishOnce(String topic, int partition, byte[] frame) throws InterruptedException {
        try (SessionProbe s = new SessionProbe(server.brokerAsync)) {
            long id = ids.incrementAndGet();
            s.send(Frames.publish(id, topic, partition, frame));
            return s.await(f -> f.hasPublishAck() && f.getPublishAck().getRequestId() == id)
                    .getPublishAck();
        }
    }

    @Example
    void aRecordOverMaxMessageBytesIsResourceExhausted() throws Exception {
        HostileServer.State before = server.state();
        PublishAck ack = publishOnce(TOPIC, 0, Frames.frame(null, new byte[HostileServer.MAX_MESSAGE + 1]));
        assertEquals(ErrorCode.RESOURCE_EXHAUSTED, ack.getError().getCode(), ack.toString());
        assertEquals(before, server.state());
    }

    @Example
    void anEmptyKeyIsAllowedAndAKeyPushingTheRecordOverTheLimitIsResourceExhausted() throws Exception {
        HostileServer.State before = server.state();
        PublishAck huge = publishOnce(TOPIC, 0, Frames.frame(new byte[HostileServer.MAX_MESSAGE - 10], new byte[10]));
        assertEquals(ErrorCode.RESOURCE_EXHAUSTED, huge.getError().getCode(), huge.toString());
        assertEquals(before, server.state());

        PublishAck empty = publishOnce(TOPIC, 0, Frames.frame(new byte[0], "v".getBytes()));
        assertTrue(!empty.hasError(), empty.toString());
        assertEquals(
                before.highWatermarks().get(TOPIC + "-0") + 1,
                server.state().highWatermarks().get(TOPIC + "-0"));
    }

    @Example
    void aBatchOverMaxBatchBytesIsResourceExhausted() throws Exception {
        byte[][] values = new byte[20][];
        Arrays.fill(values, new byte[HostileServer.MAX_MESSAGE - 100]);
        byte[] frame = Frames.frame(null, values);
        assertTrue(frame.length > HostileServer.MAX_BATCH);
        HostileServer.State before = server.state();
        PublishAck ack = publishOnce(TOPIC, 0, frame);
        assertEquals(ErrorCode.RESOURCE_EXHAUSTED, ack.getError().getCode(), ack.toString());
        assertEquals(before, server.state());
    }

    @Example
    void aGrpcMessageOverTheInboundLimitIsResourceExhaustedAndTheServerCarriesOn() throws Exception {
        HostileServer.State before = server.state();
        byte[] big = Frames.publish(1, TOPIC, 0, new byte[4 * 1024 * 1024]).toByteArray();
        HostileServer.StreamOutcome o = server.rawStream(GmqBrokerGrpc.getSessionMethod(), List.of(big));
        assertEquals(
                Status.Code.RESOURCE_EXHAUSTED, o.status().getCode(), o.status().toString());

        byte[] bigCreate = CreateTopicRequest.newBuilder()
                .setTopic("x".repeat(1024 * 1024))
                .setPartitions(1)
                .build()
                .toByteArray();
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, server.rawUnary(GmqBrokerGrpc.getCreateTopicMethod(), bigCreate));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, server.rawUnary(GmqStorageGrpc.getCreateTopicMethod(), bigCreate));
        assertEquals(before, server.state());

        PublishAck ok = publishOnce(TOPIC, 1, Frames.frame(null, "after".getBytes()));
        assertTrue(!ok.hasError(), ok.toString());
    }

    // ---- topic names, partitions, offsets ----------------------------------------------------------

    @Provide
    Arbitrary<String> badTopics() {
        return Arbitraries.oneOf(
                Arbitraries.of(
                        "../x",
                        "a/b",
                        "",
                        ".",
                        "..",
                        "a b",
                        "/abs",
                        "..\\x",
                        "t\u0000",
                        "caf\u00e9",
                        "\u65e5\u672c",
                        "x".repeat(250),
                        "a".repeat(TopicNames.MAX_LENGTH) + "b"),
                Arbitraries.strings().ofMinLength(1).ofMaxLength(300).filter(s -> !TopicNames.isValid(s)));
    }

    private static Status.Code code(Runnable call) {
        return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
    }

    @Property(tries = 40)
    void anInvalidTopicNameIsInvalidArgumentOnEveryCallAndCreatesNothing(@ForAll("badTopics") String name)
            throws Exception {
        HostileServer.State before = server.state();
        var b = server.broker();
        var st = server.storage();
        Status.Code inv = Status.Code.INVALID_ARGUMENT;
        assertEquals(
                inv,
                code(() -> b.getTopicMetadata(GetTopicMetadataRequest.newBuilder()
                        .setTopic(name)
                        .setAutoCreate(true)
                        .build())));
        assertEquals(
                inv,
                code(() -> b.createTopic(CreateTopicRequest.newBuilder()
                        .setTopic(name)
                        .setPartitions(1)
                        .build())));
        assertEquals(
                inv,
                code(() -> b.describeTopic(
                        DescribeTopicRequest.newBuilder().setTopic(name).build())));
        assertEquals(
                inv,
                code(() -> b.deleteTopic(
                        DeleteTopicRequest.newBuilder().setTopic(name).build())));
        assertEquals(
                inv,
                code(() -> b.resetOffsets(ResetOffsetsRequest.newBuilder()
                        .setGroup(GROUP)
                        .setTopic(name)
                        .setSpec(OffsetSpec.newBuilder().setKind(OffsetSpec.Kind.EARLIEST))
                        .build())));
        assertEquals(
                inv,
                code(() -> st.createTopic(CreateTopicRequest.newBuilder()
                        .setTopic(name)
                        .setPartitions(1)
                        .build())));
        assertEquals(
                inv,
                code(() -> st.topic(io.gmq.proto.TopicRequest.newBuilder()
                        .setTopic(name)
                        .setAutoCreate(true)
                        .build())));
        assertEquals(
                inv,
                code(() -> st.deleteTopic(
                        DeleteTopicRequest.newBuilder().setTopic(name).build())));
        assertEquals(inv, code(() -> st.partitionInfo(tp(name, 0))));
        assertEquals(
                inv,
                code(() -> st.resolveOffset(io.gmq.proto.ResolveOffsetRequest.newBuilder()
                        .setTopicPartition(tp(name, 0))
                        .setSpec(OffsetSpec.newBuilder().setKind(OffsetSpec.Kind.LATEST))
                        .build())));
        assertEquals(
                inv,
                code(() -> st.joinGroup(io.gmq.proto.JoinGroupRequest.newBuilder()
                        .setGroup("joiner")
                        .setClientId("c")
                        .setSessionTimeoutMillis(30_000)
                        .addTopics(name)
                        .build())));
        assertEquals(
                inv,
                code(() -> st.resetOffsets(ResetOffsetsRequest.newBuilder()
                        .setGroup(GROUP)
                        .setTopic(name)
                        .setSpec(OffsetSpec.newBuilder().setKind(OffsetSpec.Kind.EARLIEST))
                        .build())));

        try (SessionProbe s = new SessionProbe(server.brokerAsync)) {
            long id = ids.incrementAndGet();
            s.send(Frames.publish(id, name, 0, Frames.frame(null, "v".getBytes())));
            PublishAck ack = s.await(f -> f.hasPublishAck() && f.getPublishAck().getRequestId() == id)
                    .getPublishAck();
            assertEquals(ErrorCode.INVALID_ARGUMENT, ack.getError().getCode(), ack.toString());
            long sub = ids.incrementAndGet();
            s.send(ClientFrame.newBuilder()
                    .setSubscribe(Subscribe.newBuilder()
                            .setSubscriptionId(sub)
                            .setGroup("subs")
                            .addTopics(name)
                            .setInitialCredits(10))
                    .build());
            ServerFrame e = s.await(f -> f.hasError() && f.getError().getSubscriptionId() == sub);
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.getError().getError().getCode(), e.toString());
        }
        assertStorageStreamsRefuse(name, 0, 0, ErrorCode.INVALID_ARGUMENT);
        assertEquals(before, server.state());
    }

    @Provide
    Arbitrary<String> badGroups() {
        return Arbitraries.oneOf(
                Arbitraries.of("", "a\nb", "tab\there", "nul\u0000", "g".repeat(250), "bidi\u202e", "zero\u200bwidth"),
                Arbitraries.strings()
                        .withCharRange('\u0000', '\u001f')
                        .ofMinLength(1)
                        .ofMaxLength(20));
    }

    @Property(tries = 20)
    void anInvalidGroupNameIsInvalidArgumentAndCreatesNoGroup(@ForAll("badGroups") String group) throws Exception {
        HostileServer.State before = server.state();
        Status.Code inv = Status.Code.INVALID_ARGUMENT;
        assertEquals(
                inv,
                code(() -> server.storage()
                        .joinGroup(io.gmq.proto.JoinGroupRequest.newBuilder()
                                .setGroup(group)
                                .setClientId("c")
                                .setSessionTimeoutMillis(30_000)
                                .addTopics(TOPIC)
                                .build())));
        assertEquals(
                inv,
                code(() -> server.broker()
                        .describeGroup(DescribeGroupRequest.newBuilder()
                                .setGroup(group)
                                .build())));
        assertEquals(
                inv,
                code(() -> server.broker()
                        .resetOffsets(ResetOffsetsRequest.newBuilder()
                                .setGroup(group)
                                .setTopic(TOPIC)
                                .setSpec(OffsetSpec.newBuilder().setKind(OffsetSpec.Kind.EARLIEST))
                                .build())));
        try (SessionProbe s = new SessionProbe(server.brokerAsync)) {
            long sub = ids.incrementAndGet();
            s.send(ClientFrame.newBuilder()
                    .setSubscribe(Subscribe.newBuilder()
                            .setSubscriptionId(sub)
                            .setGroup(group)
                            .addTopics(TOPIC)
                            .setInitialCredits(10))
                    .build());
            ServerFrame e = s.await(f -> f.hasError() && f.getError().getSubscriptionId() == sub);
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.getError().getError().getCode(), e.toString());
        }
        assertEquals(before, server.state());
    }

    /** Regression: storage accepted groups the broker refuses, and described bad names as NOT_FOUND. */
    @Example
    void storageAppliesTheBrokersGroupNameRule() throws Exception {
        anInvalidGroupNameIsInvalidArgumentAndCreatesNoGroup("bidi\u202e");
        anInvalidGroupNameIsInvalidArgumentAndCreatesNoGroup("");
    }

    @Property(tries = 20)
    void aCommitOrHeartbeatNamingAnInvalidTopicCommitsNothing(@ForAll("badTopics") String name) {
        var st = server.storage();
        var m = st.joinGroup(io.gmq.proto.JoinGroupRequest.newBuilder()
                .setGroup("namers")
                .setClientId("c")
                .setSessionTimeoutMillis(30_000)
                .addTopics(TOPIC)
                .build());
        try {
            HostileServer.State before = server.state();
            var commit = io.gmq.proto.CommitOffsetsRequest.newBuilder()
                    .setGroup("namers")
                    .setMemberId(m.getMemberId())
                    .setGeneration(m.getGeneration())
                    .addOffsets(io.gmq.proto.OffsetEntry.newBuilder()
                            .setTopicPartition(tp(name, 0))
                            .setOffset(5))
                    .build();
            try {
                var r = st.commitOffsets(commit);
                assertEquals(
                        List.of(tp(name, 0)), r.getRejectedList(), "a commit for an invalid topic was not rejected");
            } catch (StatusRuntimeException e) {
                assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
            }
            try {
                st.heartbeat(io.gmq.proto.HeartbeatRequest.newBuilder()
                        .setGroup("namers")
                        .setMemberId(m.getMemberId())
                        .setGeneration(m.getGeneration())
                        .addOwned(tp(name, 0))
                        .build());
            } catch (StatusRuntimeException e) {
                assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
            }
            assertEquals(before, server.state());
        } finally {
            st.leaveGroup(io.gmq.proto.LeaveGroupRequest.newBuilder()
                    .setGroup("namers")
                    .setMemberId(m.getMemberId())
                    .build());
        }
    }

    /** Append and Fetch on the storage streams answer {@code expected} in the response, and nothing else happens. */
    private static void assertStorageStreamsRefuse(String topic, int partition, long offset, ErrorCode expected)
            throws Exception {
        byte[] append = io.gmq.proto.AppendRequest.newBuilder()
                .setRequestId(7)
                .setTopic(topic)
                .setPartition(partition)
                .setBatch(com.google.protobuf.ByteString.copyFrom(Frames.frame(null, "v".getBytes())))
                .setAwaitDurable(true)
                .build()
                .toByteArray();
        HostileServer.StreamOutcome a = server.rawStream(GmqStorageGrpc.getAppendMethod(), List.of(append));
        assertEquals(Status.Code.OK, a.status().getCode(), a.status().toString());
        assertEquals(1, a.responses().size());
        assertEquals(
                expected,
                io.gmq.proto.AppendResponse.parseFrom(a.responses().get(0))
                        .getError()
                        .getCode());

        byte[] fetch = io.gmq.proto.FetchRequest.newBuilder()
                .setRequestId(8)
                .setTopic(topic)
                .setPartition(partition)
                .setOffset(offset)
                .setMaxBytes(1024)
                .build()
                .toByteArray();
        HostileServer.StreamOutcome f = server.rawStream(GmqStorageGrpc.getFetchMethod(), List.of(fetch));
        assertEquals(Status.Code.OK, f.status().getCode(), f.status().toString());
        assertEquals(1, f.responses().size());
        assertEquals(
                expected,
                io.gmq.proto.FetchResponse.parseFrom(f.responses().get(0))
                        .getError()
                        .getCode());
    }

    @Provide
    Arbitrary<Integer> badPartitions() {
        return Arbitraries.oneOf(
                Arbitraries.integers().between(PARTITIONS, Integer.MAX_VALUE),
                Arbitraries.integers().between(Integer.MIN_VALUE, -1));
    }

    @Property(tries = 30)
    void partitionsOutOfRangeAreInvalidArgument(@ForAll("badPartitions") int partition) throws Exception {
        HostileServer.State before = server.state();
        PublishAck ack = publishOnce(TOPIC, partition, Frames.frame(null, "v".getBytes()));
        assertEquals(ErrorCode.INVALID_ARGUMENT, ack.getError().getCode(), ack.toString());
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> server.storage().partitionInfo(tp(TOPIC, partition))));
        assertEquals(
                Status.Code.INVALID_ARGUMENT,
                code(() -> server.storage()
                        .resolveOffset(io.gmq.proto.ResolveOffsetRequest.newBuilder()
                                .setTopicPartition(tp(TOPIC, partition))
                                .setSpec(OffsetSpec.newBuilder().setKind(OffsetSpec.Kind.LATEST))
                                .build())));
        assertEquals(
                Status.Code.INVALID_ARGUMENT,
                code(() -> server.broker()
                        .createTopic(CreateTopicRequest.newBuilder()
                                .setTopic("never-" + (partition & 0xFF))
                                .setPartitions(partition < 0 ? partition : 0)
                                .build())));
        assertEquals(
                Status.Code.INVALID_ARGUMENT,
                code(() -> server.storage()
                        .createTopic(CreateTopicRequest.newBuilder()
                                .setTopic("never-" + (partition & 0xFF))
                                .setPartitions(partition < 0 ? partition : 0)
                                .build())));
        assertStorageStreamsRefuse(TOPIC, partition, 0, ErrorCode.INVALID_ARGUMENT);
        assertEquals(before, server.state());
    }

    @Property(tries = 20)
    void negativeOffsetsAreInvalidArgument(@ForAll("negativeOffsets") long offset) throws Exception {
        HostileServer.State before = server.state();
        OffsetSpec spec = OffsetSpec.newBuilder()
                .setKind(OffsetSpec.Kind.OFFSET)
                .setValue(offset)
                .build();
        ResetOffsetsRequest reset = ResetOffsetsRequest.newBuilder()
                .setGroup(GROUP)
                .setTopic(TOPIC)
                .setSpec(spec)
                .build();
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> server.broker().resetOffsets(reset)));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> server.storage().resetOffsets(reset)));
        assertEquals(
                Status.Code.INVALID_ARGUMENT,
                code(() -> server.storage()
                        .resolveOffset(io.gmq.proto.ResolveOffsetRequest.newBuilder()
                                .setTopicPartition(tp(TOPIC, 0))
                                .setSpec(spec)
                                .build())));
        byte[] fetch = io.gmq.proto.FetchRequest.newBuilder()
                .setRequestId(9)
                .setTopic(TOPIC)
                .setPartition(0)
                .setOffset(offset)
                .setMaxBytes(1024)
                .build()
                .toByteArray();
        HostileServer.StreamOutcome f = server.rawStream(GmqStorageGrpc.getFetchMethod(), List.of(fetch));
        assertEquals(
                ErrorCode.INVALID_ARGUMENT,
                io.gmq.proto.FetchResponse.parseFrom(f.responses().get(0))
                        .getError()
                        .getCode());
        assertEquals(before, server.state());
    }

    @Provide
    Arbitrary<Long> negativeOffsets() {
        return Arbitraries.longs().between(Long.MIN_VALUE, -1);
    }

    // ---- acks and groups ---------------------------------------------------------------------------

    @Example
    void acksForUndeliveredOffsetsAndUnknownSubscriptionsAreIgnored() throws Exception {
        String group = "ackers";
        publishOnce(TOPIC, 0, Frames.frame(null, "a".getBytes(), "b".getBytes()));
        try (SessionProbe s = new SessionProbe(server.brokerAsync)) {
            s.send(ClientFrame.newBuilder()
                    .setSubscribe(Subscribe.newBuilder()
                            .setSubscriptionId(1)
                            .setGroup(group)
                            .addTopics(TOPIC)
                            .setAckMode(AckMode.ACK_MODE_MANUAL)
                            .setInitialCredits(1000)
                            .setStartFrom(OffsetSpec.newBuilder().setKind(OffsetSpec.Kind.EARLIEST)))
                    .build());
            s.await(ServerFrame::hasSubscribed);
            ServerFrame d = s.await(f -> f.hasDelivery() && f.getDelivery().getPartition() == 0);
            long to = d.getDelivery().getToOffset();
            s.send(ClientFrame.newBuilder()
                    .setAcks(Acks.newBuilder()
                            .setSubscriptionId(1)
                            .addAcks(PartitionOffsets.newBuilder()
                                    .setTopic(TOPIC)
                                    .setPartition(0)
                                    .addOffsets(to + 1000)
                                    .addOffsets(-1)
                                    .addOffsets(Long.MAX_VALUE))
                            .addAcks(PartitionOffsets.newBuilder()
                                    .setTopic(TOPIC)
                                    .setPartition(99)
                                    .addOffsets(0))
                            .addAcks(PartitionOffsets.newBuilder()
                                    .setTopic("../x")
                                    .setPartition(0)
                                    .addOffsets(0)))
                    .build());
            s.send(ClientFrame.newBuilder()
                    .setAcks(Acks.newBuilder()
                            .setSubscriptionId(424242)
                            .addAcks(PartitionOffsets.newBuilder()
                                    .setTopic(TOPIC)
                                    .setPartition(0)
                                    .addOffsets(0)))
                    .build());
            s.send(ClientFrame.newBuilder()
                    .setUnsubscribe(Unsubscribe.newBuilder().setSubscriptionId(1))
                    .build());
            s.await(ServerFrame::hasUnsubscribed);
        }
        Map<String, Long> committed = server.state().committed();
        // Nothing real was acknowledged, so the group has committed no progress past its start on partition 0.
        Long p0 = committed.get(group + "/" + TOPIC + "-0");
        assertTrue(p0 == null || p0 == 0, "committed " + p0 + " after acks of undelivered offsets");

        // Control: the same group acknowledging what it was delivered does commit it.
        long to;
        try (SessionProbe s = new SessionProbe(server.brokerAsync)) {
            s.send(ClientFrame.newBuilder()
                    .setSubscribe(Subscribe.newBuilder()
                            .setSubscriptionId(2)
                            .setGroup(group)
                            .addTopics(TOPIC)
                            .setAckMode(AckMode.ACK_MODE_MANUAL)
                            .setInitialCredits(1000))
                    .build());
            s.await(ServerFrame::hasSubscribed);
            io.gmq.proto.Delivery d = s.await(
                            f -> f.hasDelivery() && f.getDelivery().getPartition() == 0)
                    .getDelivery();
            to = d.getToOffset();
            PartitionOffsets.Builder real =
                    PartitionOffsets.newBuilder().setTopic(TOPIC).setPartition(0);
            for (long o = d.getFromOffset(); o < to; o++) {
                real.addOffsets(o);
            }
            s.send(ClientFrame.newBuilder()
                    .setAcks(Acks.newBuilder().setSubscriptionId(2).addAcks(real))
                    .build());
            s.send(ClientFrame.newBuilder()
                    .setUnsubscribe(Unsubscribe.newBuilder().setSubscriptionId(2))
                    .build());
            s.await(ServerFrame::hasUnsubscribed);
        }
        assertEquals(to, server.state().committed().get(group + "/" + TOPIC + "-0"));
        server.assertServing();
    }

    @Example
    void aFencedMemberCannotCommitOrHeartbeatAndOffsetsStay() throws Exception {
        String group = "fenced";
        var st = server.storage();
        var m = st.joinGroup(io.gmq.proto.JoinGroupRequest.newBuilder()
                .setGroup(group)
                .setClientId("c")
                .addTopics(TOPIC)
                .setSessionTimeoutMillis(1_000)
                .build());
        var commit = io.gmq.proto.CommitOffsetsRequest.newBuilder()
                .setGroup(group)
                .setMemberId(m.getMemberId())
                .setGeneration(m.getGeneration());
        for (var a : m.getAssignedList()) {
            commit.addOffsets(
                    io.gmq.proto.OffsetEntry.newBuilder().setTopicPartition(a).setOffset(1));
        }
        assertEquals(0, st.commitOffsets(commit.build()).getRejectedCount());
        Map<String, Long> committedBefore = server.state().committed();

        server.nanos.addAndGet(60_000_000_000L); // the member's session expires; the storage timer removes it
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (server.storage()
                        .describeGroup(DescribeGroupRequest.newBuilder()
                                .setGroup(group)
                                .build())
                        .getMembersCount()
                > 0) {
            assertTrue(System.nanoTime() < deadline, "member never expired");
            Thread.onSpinWait();
        }
        HostileServer.State before = server.state();
        assertEquals(committedBefore, before.committed());
        var stale = commit.clone();
        stale.clearOffsets();
        for (var a : m.getAssignedList()) {
            stale.addOffsets(
                    io.gmq.proto.OffsetEntry.newBuilder().setTopicPartition(a).setOffset(500));
        }
        assertEquals(Status.Code.FAILED_PRECONDITION, code(() -> st.commitOffsets(stale.build())));
        assertEquals(
                Status.Code.FAILED_PRECONDITION,
                code(() -> st.heartbeat(io.gmq.proto.HeartbeatRequest.newBuilder()
                        .setGroup(group)
                        .setMemberId(m.getMemberId())
                        .setGeneration(m.getGeneration())
                        .addAllOwned(m.getAssignedList())
                        .build())));
        assertEquals(before, server.state());
    }

    @Example
    void unknownGroupsAndMembersAreNotFoundOrFailedPrecondition() {
        HostileServer.State before = server.state();
        assertEquals(
                Status.Code.NOT_FOUND,
                code(() -> server.broker()
                        .describeGroup(DescribeGroupRequest.newBuilder()
                                .setGroup("no-such-group")
                                .build())));
        assertEquals(
                Status.Code.NOT_FOUND,
                code(() -> server.storage()
                        .describeGroup(DescribeGroupRequest.newBuilder()
                                .setGroup("no-such-group")
                                .build())));
        assertEquals(
                Status.Code.FAILED_PRECONDITION,
                code(() -> server.storage()
                        .heartbeat(io.gmq.proto.HeartbeatRequest.newBuilder()
                                .setGroup(GROUP)
                                .setMemberId("nobody")
                                .setGeneration(1)
                                .build())));
        assertEquals(
                Status.Code.FAILED_PRECONDITION,
                code(() -> server.storage()
                        .commitOffsets(io.gmq.proto.CommitOffsetsRequest.newBuilder()
                                .setGroup(GROUP)
                                .setMemberId("nobody")
                                .setGeneration(1)
                                .addOffsets(io.gmq.proto.OffsetEntry.newBuilder()
                                        .setTopicPartition(tp(TOPIC, 0))
                                        .setOffset(99))
                                .build())));
        // Leaving as an unknown member is a no-op (leave is idempotent).
        server.storage()
                .leaveGroup(io.gmq.proto.LeaveGroupRequest.newBuilder()
                        .setGroup(GROUP)
                        .setMemberId("nobody")
                        .build());
        assertEquals(before, server.state());
    }

    @Example
    void twoJoinsWithTheSameClientIdAreTwoMembers() {
        String group = "twins";
        var st = server.storage();
        var join = io.gmq.proto.JoinGroupRequest.newBuilder()
                .setGroup(group)
                .setClientId("same")
                .setSessionTimeoutMillis(30_000)
                .addTopics(TOPIC)
                .build();
        var a = st.joinGroup(join);
        var b = st.joinGroup(join);
        assertNotEquals(a.getMemberId(), b.getMemberId());
        assertEquals(
                Set.of(a.getMemberId(), b.getMemberId()),
                Set.copyOf(
                        st
                                .describeGroup(DescribeGroupRequest.newBuilder()
                                        .setGroup(group)
                                        .build())
                                .getMembersList()
                                .stream()
                                .map(io.gmq.proto.GroupMember::getMemberId)
                                .toList()));
        st.leaveGroup(io.gmq.proto.LeaveGroupRequest.newBuilder()
                .setGroup(group)
                .setMemberId(a.getMemberId())
                .build());
        st.leaveGroup(io.gmq.proto.LeaveGroupRequest.newBuilder()
                .setGroup(group)
                .setMemberId(b.getMemberId())
                .build());
    }

    /**
     * With a group instance id the second join is the same member's restart: it takes over the
     * first one's partitions (same assignment, same generation, one member listed) and the first
     * member id is fenced with ALREADY_EXISTS naming the instance id on heartbeat and commit.
     */
    @Example
    void twoJoinsWithTheSameGroupInstanceIdAreOneMemberAndFenceTheOlder() {
        String group = "static-twins";
        var st = server.storage();
        var join = io.gmq.proto.JoinGroupRequest.newBuilder()
                .setGroup(group)
                .setClientId("same")
                .setGroupInstanceId("host-1")
                .setSessionTimeoutMillis(30_000)
                .addTopics(TOPIC)
                .build();
        var a = st.joinGroup(join);
        var b = st.joinGroup(join);
        assertNotEquals(a.getMemberId(), b.getMemberId());
        assertEquals(a.getGeneration(), b.getGeneration(), "a static rejoin does not rebalance");
        assertEquals(Set.copyOf(a.getAssignedList()), Set.copyOf(b.getAssignedList()));
        assertEquals(
                List.of(b.getMemberId()),
                st
                        .describeGroup(DescribeGroupRequest.newBuilder()
                                .setGroup(group)
                                .build())
                        .getMembersList()
                        .stream()
                        .map(io.gmq.proto.GroupMember::getMemberId)
                        .toList());
        StatusRuntimeException fenced = assertThrows(
                StatusRuntimeException.class,
                () -> st.heartbeat(io.gmq.proto.HeartbeatRequest.newBuilder()
                        .setGroup(group)
                        .setMemberId(a.getMemberId())
                        .setGeneration(a.getGeneration())
                        .build()));
        assertEquals(Status.Code.ALREADY_EXISTS, fenced.getStatus().getCode());
        assertTrue(
                fenced.getStatus().getDescription().contains("'host-1'"),
                fenced.getStatus().getDescription());
        assertEquals(
                Status.Code.ALREADY_EXISTS,
                code(() -> st.commitOffsets(io.gmq.proto.CommitOffsetsRequest.newBuilder()
                        .setGroup(group)
                        .setMemberId(a.getMemberId())
                        .setGeneration(a.getGeneration())
                        .addOffsets(io.gmq.proto.OffsetEntry.newBuilder()
                                .setTopicPartition(tp(TOPIC, 0))
                                .setOffset(1))
                        .build())));
        st.leaveGroup(io.gmq.proto.LeaveGroupRequest.newBuilder()
                .setGroup(group)
                .setMemberId(b.getMemberId())
                .build());
    }

    @Example
    void aGroupInstanceIdWithAControlCharacterIsInvalidArgumentAndChangesNothing() {
        HostileServer.State before = server.state();
        assertEquals(
                Status.Code.INVALID_ARGUMENT,
                code(() -> server.storage()
                        .joinGroup(io.gmq.proto.JoinGroupRequest.newBuilder()
                                .setGroup("static-bad")
                                .setClientId("c")
                                .setGroupInstanceId("bad\u0001id")
                                .setSessionTimeoutMillis(30_000)
                                .addTopics(TOPIC)
                                .build())));
        assertEquals(before, server.state());
    }
}
