package io.gmq.net.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.PublishOption;
import io.gmq.QoS;
import io.gmq.TopicPartition;
import io.gmq.broker.BrokerEngine;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.internal.storage.LocalStorage;
import io.gmq.net.testing.SessionProbe;
import io.gmq.proto.ClientFrame;
import io.gmq.proto.CreateTopicRequest;
import io.gmq.proto.ErrorCode;
import io.gmq.proto.GmqBrokerGrpc;
import io.gmq.proto.PublishAck;
import io.gmq.proto.PublishBatch;
import io.gmq.storage.BatchBuilder;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchFrame;
import io.gmq.wire.Protos;
import io.grpc.ForwardingServerCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A publish frame's integrity from the producer to the log: the SDK computes the frame's CRC32C,
 * storage verifies it before appending anything, and the frame's attribute bit alone carries the
 * QoS. Over loopback gRPC against a real engine and LocalStorage; every publish frame the server
 * receives is kept, as sent.
 */
final class PublishIntegrityTest {
    private static final String TOPIC = "t";
    private static final TopicPartition TP = new TopicPartition(TOPIC, 0);

    @TempDir
    Path dir;

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final List<PublishBatch> received = new CopyOnWriteArrayList<>();
    private LocalStorage storage;
    private GmqBrokerGrpc.GmqBrokerStub async;
    private GmqBrokerGrpc.GmqBrokerBlockingStub admin;
    private int port;

    @BeforeEach
    void start() throws Exception {
        GmqConfig config = GmqConfig.builder()
                .dataDir(dir)
                .flushPolicy(FlushPolicy.OS)
                .commitInterval(Duration.ofMillis(20))
                .build();
        storage = LocalStorage.open(config);
        toClose.add(0, storage);
        BrokerEngine engine = new BrokerEngine(storage, config);
        toClose.add(0, engine);
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(new BrokerService(engine), new KeepPublishes()))
                .build()
                .start();
        toClose.add(0, server::shutdownNow);
        port = server.getPort();
        ManagedChannel channel =
                NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        toClose.add(0, channel::shutdownNow);
        async = GmqBrokerGrpc.newStub(channel);
        admin = GmqBrokerGrpc.newBlockingStub(channel);
        admin.createTopic(
                CreateTopicRequest.newBuilder().setTopic(TOPIC).setPartitions(1).build());
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    /** Keeps every PublishBatch the broker receives. */
    private final class KeepPublishes implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(
                ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
                    next.startCall(call, headers)) {
                @Override
                public void onMessage(Q message) {
                    if (message instanceof ClientFrame f && f.hasPublish()) {
                        received.add(f.getPublish());
                    }
                    super.onMessage(message);
                }
            };
        }
    }

    private static ByteBuffer frame(boolean atLeastOnce, String... values) {
        BatchBuilder b = new BatchBuilder();
        b.attributes(atLeastOnce ? BatchFormat.ATTR_QOS_AT_LEAST_ONCE : 0);
        for (String v : values) {
            b.add(1L, null, v.getBytes(StandardCharsets.UTF_8), List.of());
        }
        return b.buildCopy();
    }

    private static ByteBuffer withCrc(ByteBuffer frame) {
        new BatchFrame().wrap(frame, 0).stampCrc();
        return frame;
    }

    @SuppressWarnings("deprecation") // the qos field, set here as clients built against older brokers do
    private static ClientFrame publish(long id, io.gmq.proto.QoS qosField, ByteBuffer frame) {
        return ClientFrame.newBuilder()
                .setPublish(PublishBatch.newBuilder()
                        .setRequestId(id)
                        .setTopic(TOPIC)
                        .setPartition(0)
                        .setQos(qosField)
                        .setBatch(Protos.bytes(frame)))
                .build();
    }

    private static PublishAck publishAndAwait(SessionProbe s, long id, io.gmq.proto.QoS qosField, ByteBuffer frame) {
        s.send(publish(id, qosField, frame));
        return s.await(f -> f.hasPublishAck() && f.getPublishAck().getRequestId() == id)
                .getPublishAck();
    }

    private long highWatermark() {
        return storage.partitionInfo(TP).highWatermark();
    }

    /** The stored frame holding {@code offset}. */
    private BatchFrame storedFrame(long offset) {
        ByteBuffer records = storage.fetch(TP, offset, 1 << 20, 0).join().records();
        return new BatchFrame().wrap(records, records.position());
    }

    @Test
    void aPublishFrameWithAFlippedPayloadBitIsDataLossAndAppendsNothing() {
        ByteBuffer damaged = withCrc(frame(true, "hello", "world"));
        int lastPayloadByte = damaged.limit() - 5; // inside "world" (no headers follow: count 0)
        damaged.put(lastPayloadByte, (byte) (damaged.get(lastPayloadByte) ^ 0x04));
        try (SessionProbe s = new SessionProbe(async)) {
            PublishAck rejected = publishAndAwait(s, 1, io.gmq.proto.QoS.QOS_AT_LEAST_ONCE, damaged);

            assertEquals(ErrorCode.DATA_LOSS, rejected.getError().getCode(), rejected.toString());
            assertTrue(
                    rejected.getError().getMessage().contains("CRC32C"),
                    rejected.getError().getMessage());
            assertEquals(0, highWatermark(), "nothing appended");

            PublishAck next = publishAndAwait(s, 2, io.gmq.proto.QoS.QOS_AT_LEAST_ONCE, withCrc(frame(true, "again")));
            assertFalse(next.hasError(), next.toString());
            assertEquals(0, next.getBaseOffset(), "the session stays open and the log continues at 0");
            assertEquals(1, highWatermark());
        }
    }

    @Test
    void aZeroCrcMeansNotComputedAndStorageComputesIt() {
        ByteBuffer unchecked = frame(true, "legacy");
        assertEquals(
                BatchFormat.CRC_NOT_COMPUTED,
                new BatchFrame().wrap(unchecked, 0).crc());
        try (SessionProbe s = new SessionProbe(async)) {
            PublishAck ack = publishAndAwait(s, 1, io.gmq.proto.QoS.QOS_AT_LEAST_ONCE, unchecked);

            assertFalse(ack.hasError(), ack.toString());
            BatchFrame stored = storedFrame(0);
            assertNotEquals(0, stored.crc());
            assertTrue(stored.crcMatches(), "sealed by storage with its base offset");
        }
    }

    @Test
    void theFrameAttributeBitAloneCarriesTheQos() {
        try (SessionProbe s = new SessionProbe(async)) {
            // The deprecated field says the opposite of the frame each time: the frame wins.
            PublishAck qos0 = publishAndAwait(s, 1, io.gmq.proto.QoS.QOS_AT_LEAST_ONCE, withCrc(frame(false, "a")));
            PublishAck qos1 = publishAndAwait(s, 2, io.gmq.proto.QoS.QOS_AT_MOST_ONCE, withCrc(frame(true, "b")));

            assertFalse(qos0.hasError(), qos0.toString());
            assertFalse(qos1.hasError(), qos1.toString());
            assertFalse(storedFrame(qos0.getBaseOffset()).atLeastOnce());
            assertTrue(storedFrame(qos1.getBaseOffset()).atLeastOnce());
        }
    }

    @Test
    void theSdkSendsFramesWithACorrectCrc() {
        try (GmqClient client = GmqClient.connect(
                ClientConfig.builder().serverAddr("127.0.0.1:" + port).build())) {
            client.publish(TOPIC, "one".getBytes(StandardCharsets.UTF_8), PublishOption.qos(QoS.AT_LEAST_ONCE));
            client.publish(TOPIC, "two".getBytes(StandardCharsets.UTF_8), PublishOption.qos(QoS.AT_MOST_ONCE));
        }
        assertEquals(2, received.size(), received.toString());
        for (PublishBatch p : received) {
            ByteBuffer sent = Protos.writableCopy(p.getBatch());
            BatchFrame f = new BatchFrame().wrap(sent, 0);
            assertNotEquals(BatchFormat.CRC_NOT_COMPUTED, f.crc(), "the SDK computes the CRC");
            assertTrue(f.crcMatches(), "the CRC matches the frame as sent");
        }
        assertEquals(2, highWatermark());
    }
}
