package io.gmq.net.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.PublishOption;
import io.gmq.QoS;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.proto.ClientFrame;
import io.gmq.proto.GetTopicMetadataRequest;
import io.gmq.proto.GmqBrokerGrpc;
import io.gmq.proto.Heartbeat;
import io.gmq.proto.PublishAck;
import io.gmq.proto.PublishBatch;
import io.gmq.proto.ServerFrame;
import io.gmq.proto.TopicInfo;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the network client does with a publish whose session breaks before the broker acknowledged
 * it, against a scripted broker over real local storage that drops its first session on the first
 * publish it reads, after storing it: a QoS 1 batch is sent again on the next session, as the same
 * bytes, and storage answers the resend with the original offset (stored once; with idempotence
 * off, stored twice); a QoS 0 batch fails with UNAVAILABLE and is never sent again (at most once:
 * the first copy may have been stored).
 */
final class PublishResendTest {
    private static final io.gmq.TopicPartition TP = new io.gmq.TopicPartition("t", 0);

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path dataDir;

    private io.gmq.storage.Storage storage;
    private DropsFirstSession broker;
    private Server server;
    private GmqClient client;

    /**
     * Appends every QoS 1 publish to storage; breaks the session of the first publish without
     * acknowledging it (stored, for all the client knows lost); acknowledges everything later with
     * the offset storage answered.
     */
    private static final class DropsFirstSession extends GmqBrokerGrpc.GmqBrokerImplBase {
        final List<PublishBatch> received = new CopyOnWriteArrayList<>();
        final AtomicInteger sessions = new AtomicInteger();
        private final AtomicLong nextOffset = new AtomicLong();
        private final java.util.concurrent.atomic.AtomicBoolean dropped =
                new java.util.concurrent.atomic.AtomicBoolean();
        private final io.gmq.storage.Storage storage;

        DropsFirstSession(io.gmq.storage.Storage storage) {
            this.storage = storage;
        }

        @Override
        public void ping(Heartbeat request, StreamObserver<Heartbeat> out) {
            out.onNext(Heartbeat.getDefaultInstance());
            out.onCompleted();
        }

        @Override
        public void getTopicMetadata(GetTopicMetadataRequest request, StreamObserver<TopicInfo> out) {
            out.onNext(TopicInfo.newBuilder()
                    .setName(request.getTopic())
                    .setPartitions(1)
                    .build());
            out.onCompleted();
        }

        @Override
        public StreamObserver<ClientFrame> session(StreamObserver<ServerFrame> out) {
            sessions.incrementAndGet();
            return new StreamObserver<>() {
                @Override
                public void onNext(ClientFrame frame) {
                    if (!frame.hasPublish()) {
                        return;
                    }
                    PublishBatch p = frame.getPublish();
                    received.add(p);
                    long baseOffset;
                    if (p.getQos() == io.gmq.proto.QoS.QOS_AT_LEAST_ONCE) {
                        baseOffset = storage.append(TP, io.gmq.wire.Protos.writableCopy(p.getBatch()), true)
                                .join()
                                .baseOffset();
                    } else {
                        baseOffset = nextOffset.getAndIncrement();
                    }
                    if (dropped.compareAndSet(false, true)) {
                        // Read (and, for all the client knows, stored), never acknowledged.
                        out.onError(Status.UNAVAILABLE
                                .withDescription("broker going away")
                                .asRuntimeException());
                        return;
                    }
                    out.onNext(ServerFrame.newBuilder()
                            .setPublishAck(PublishAck.newBuilder()
                                    .setRequestId(p.getRequestId())
                                    .setPartition(p.getPartition())
                                    .setBaseOffset(baseOffset)
                                    .setRecordCount(1))
                            .build());
                }

                @Override
                public void onError(Throwable t) {
                    // the client went away
                }

                @Override
                public void onCompleted() {
                    out.onCompleted();
                }
            };
        }

        long copiesOf(long requestId) {
            return received.stream().filter(p -> p.getRequestId() == requestId).count();
        }
    }

    @BeforeEach
    void start() throws Exception {
        storage = io.gmq.broker.Storages.openLocal(
                io.gmq.GmqConfig.builder().dataDir(dataDir).build());
        storage.createTopic(TP.topic(), 1);
        broker = new DropsFirstSession(storage);
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(broker)
                .build()
                .start();
    }

    private GmqClient connect(boolean idempotence) {
        client = GmqClient.connect(ClientConfig.builder()
                .serverAddr("127.0.0.1:" + server.getPort())
                .requestTimeout(Duration.ofSeconds(10))
                .reconnectBackoffMax(Duration.ofMillis(100))
                .idempotence(idempotence)
                .build());
        return client;
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (client != null) {
                client.close();
            }
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        } finally {
            storage.close();
        }
    }

    @Test
    void qos0PublishCaughtByABrokenSessionFailsUnavailableAndIsNeverSentAgain() {
        connect(true);
        GmqException e = assertThrows(
                GmqException.class, () -> client.publish("t", bytes("first"), PublishOption.qos(QoS.AT_MOST_ONCE)));
        assertEquals(ErrorCode.UNAVAILABLE, e.code(), e.getMessage());

        // The next session works: a later QoS 0 publish is acknowledged, the first one stays sent once.
        client.publish("t", bytes("second"), PublishOption.qos(QoS.AT_MOST_ONCE));

        assertEquals(2, broker.sessions.get());
        assertEquals(1, broker.copiesOf(1), "the QoS 0 batch of request 1 reached the broker once");
        assertEquals(2, broker.received.size(), "first once, second once");
    }

    @Test
    void qos1PublishCaughtByABrokenSessionIsSentAgainAndStoredOnce() {
        connect(true);
        io.gmq.PublishResult r = client.publish("t", bytes("first"), PublishOption.qos(QoS.AT_LEAST_ONCE));
        io.gmq.PublishResult next = client.publish("t", bytes("second"), PublishOption.qos(QoS.AT_LEAST_ONCE));

        assertEquals(2, broker.sessions.get());
        assertEquals(2, broker.copiesOf(1), "sent on session 1, again on session 2");
        assertEquals(
                broker.received.get(0).getBatch(),
                broker.received.get(1).getBatch(),
                "the resend is the same frame: same producer id, epoch and sequence");
        assertEquals(0, r.offset(), "the resend is answered with the offset of the copy stored first");
        assertEquals(1, next.offset());
        assertEquals(2, storage.partitionInfo(TP).highWatermark(), "first once, second once");
    }

    @Test
    void withIdempotenceOffAResentQos1PublishIsStoredTwice() {
        connect(false);
        io.gmq.PublishResult r = client.publish("t", bytes("first"), PublishOption.qos(QoS.AT_LEAST_ONCE));

        assertEquals(2, broker.copiesOf(1), "sent on session 1, again on session 2");
        assertEquals(1, r.offset(), "acknowledged at the second copy");
        assertEquals(2, storage.partitionInfo(TP).highWatermark(), "at least once: the first copy stays");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
