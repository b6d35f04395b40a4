package io.gmq.net.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.TimeSource;
import io.gmq.net.server.GmqServer;
import io.gmq.proto.CommitOffsetsRequest;
import io.gmq.proto.CommittedOffsetsRequest;
import io.gmq.proto.CreateTopicRequest;
import io.gmq.proto.GmqBrokerGrpc;
import io.gmq.proto.GmqStorageGrpc;
import io.gmq.proto.GroupMembership;
import io.gmq.proto.Heartbeat;
import io.gmq.proto.JoinGroupRequest;
import io.gmq.proto.LeaveGroupRequest;
import io.gmq.proto.ListGroupsRequest;
import io.gmq.proto.ListTopicsRequest;
import io.gmq.proto.OffsetEntry;
import io.gmq.proto.TopicInfo;
import io.gmq.proto.TopicPartition;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A standalone GMQ server (broker + storage services, Netty on 127.0.0.1 port 0) seeded with a
 * known topic and a group with committed offsets, plus the tools hostile-input tests need: raw
 * byte calls on any method, and a snapshot of everything a bad request must not change.
 *
 * <p>Time is a manual clock so a test can expire a member's session without sleeping.
 */
public final class HostileServer implements AutoCloseable {
    public static final int MAX_MESSAGE = 4096;
    public static final int MAX_BATCH = 64 * 1024;
    public static final String TOPIC = "fixture";
    public static final int PARTITIONS = 2;
    public static final String GROUP = "fixture-group";

    /** Passes bytes through untouched, so the server's protobuf parser sees exactly what a test sends. */
    public static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    public final Path dir;
    public final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    public final GmqServer server;
    public final ManagedChannel channel;
    public final GmqBrokerGrpc.GmqBrokerBlockingStub broker;
    public final GmqBrokerGrpc.GmqBrokerStub brokerAsync;
    public final GmqStorageGrpc.GmqStorageBlockingStub storage;
    public final GmqStorageGrpc.GmqStorageStub storageAsync;

    public HostileServer() throws IOException {
        this(GmqConfig.builder());
    }

    public HostileServer(GmqConfig.Builder config) throws IOException {
        dir = Files.createTempDirectory("gmq-hostile-");
        TimeSource clock = new TimeSource() {
            @Override
            public long wallMillis() {
                return System.currentTimeMillis();
            }

            @Override
            public long nanoTime() {
                return nanos.get();
            }
        };
        server = GmqServer.standalone(
                config.dataDir(dir)
                        .flushPolicy(FlushPolicy.OS)
                        .maxMessageBytes(MAX_MESSAGE)
                        .maxBatchBytes(MAX_BATCH)
                        .timeSource(clock)
                        .build(),
                "127.0.0.1",
                0);
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port())
                .usePlaintext()
                .build();
        broker = GmqBrokerGrpc.newBlockingStub(channel);
        brokerAsync = GmqBrokerGrpc.newStub(channel);
        storage = GmqStorageGrpc.newBlockingStub(channel);
        storageAsync = GmqStorageGrpc.newStub(channel);
    }

    /** Creates {@link #TOPIC} and gives {@link #GROUP} committed offsets 0 and 0 and no members. */
    public void seed() {
        storage()
                .createTopic(CreateTopicRequest.newBuilder()
                        .setTopic(TOPIC)
                        .setPartitions(PARTITIONS)
                        .build());
        GroupMembership m = storage()
                .joinGroup(JoinGroupRequest.newBuilder()
                        .setGroup(GROUP)
                        .setClientId("seed")
                        .setSessionTimeoutMillis(30_000)
                        .addTopics(TOPIC)
                        .build());
        CommitOffsetsRequest.Builder commit = CommitOffsetsRequest.newBuilder()
                .setGroup(GROUP)
                .setMemberId(m.getMemberId())
                .setGeneration(m.getGeneration());
        for (int p = 0; p < PARTITIONS; p++) {
            commit.addOffsets(
                    OffsetEntry.newBuilder().setTopicPartition(tp(TOPIC, p)).setOffset(0));
        }
        assertEquals(0, storage().commitOffsets(commit.build()).getRejectedCount(), "seed commit rejected");
        storage()
                .leaveGroup(LeaveGroupRequest.newBuilder()
                        .setGroup(GROUP)
                        .setMemberId(m.getMemberId())
                        .build());
    }

    public GmqBrokerGrpc.GmqBrokerBlockingStub broker() {
        return broker.withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    public GmqStorageGrpc.GmqStorageBlockingStub storage() {
        return storage.withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    public static TopicPartition tp(String topic, int partition) {
        return TopicPartition.newBuilder()
                .setTopic(topic)
                .setPartition(partition)
                .build();
    }

    /** The same method with byte-array request and response marshallers. */
    public static MethodDescriptor<byte[], byte[]> raw(MethodDescriptor<?, ?> method) {
        return MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(method.getType())
                .setFullMethodName(method.getFullMethodName())
                .setRequestMarshaller(RAW)
                .setResponseMarshaller(RAW)
                .build();
    }

    /** Sends {@code request} as the raw message of a unary call; OK or the failure's status code. */
    public Status.Code rawUnary(MethodDescriptor<?, ?> method, byte[] request) {
        try {
            ClientCalls.blockingUnaryCall(
                    channel, raw(method), CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), request);
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    /** The outcome of a raw streaming call: the messages the server sent and the closing status. */
    public record StreamOutcome(List<byte[]> responses, Status status) {}

    /** Opens {@code method} as a stream, sends each message raw, half-closes and waits for the end. */
    public StreamOutcome rawStream(MethodDescriptor<?, ?> method, List<byte[]> messages) throws Exception {
        ClientCall<byte[], byte[]> call =
                channel.newCall(raw(method), CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
        List<byte[]> responses = new ArrayList<>();
        CompletableFuture<Status> closed = new CompletableFuture<>();
        call.start(
                new ClientCall.Listener<>() {
                    @Override
                    public void onMessage(byte[] message) {
                        synchronized (responses) {
                            responses.add(message);
                        }
                    }

                    @Override
                    public void onClose(Status status, Metadata trailers) {
                        closed.complete(status);
                    }
                },
                new Metadata());
        call.request(Integer.MAX_VALUE);
        for (byte[] m : messages) {
            call.sendMessage(m);
        }
        call.halfClose();
        Status status = closed.get(15, TimeUnit.SECONDS);
        synchronized (responses) {
            return new StreamOutcome(List.copyOf(responses), status);
        }
    }

    /** Everything a rejected request must leave as it was. */
    public record State(
            List<TopicInfo> topics,
            Map<String, Long> highWatermarks,
            List<String> groups,
            Map<String, Long> committed,
            Set<String> files) {}

    public State state() {
        List<TopicInfo> topics = storage().listTopics(ListTopicsRequest.getDefaultInstance()).getTopicsList().stream()
                .sorted(Comparator.comparing(TopicInfo::getName))
                .toList();
        Map<String, Long> hw = new TreeMap<>();
        for (TopicInfo t : topics) {
            for (int p = 0; p < t.getPartitions(); p++) {
                hw.put(
                        t.getName() + "-" + p,
                        storage().partitionInfo(tp(t.getName(), p)).getHighWatermark());
            }
        }
        List<String> groups = storage().listGroups(ListGroupsRequest.getDefaultInstance()).getGroupsList().stream()
                .sorted()
                .toList();
        Map<String, Long> committed = new TreeMap<>();
        for (String g : groups) {
            CommittedOffsetsRequest.Builder r =
                    CommittedOffsetsRequest.newBuilder().setGroup(g);
            for (TopicInfo t : topics) {
                for (int p = 0; p < t.getPartitions(); p++) {
                    r.addPartitions(tp(t.getName(), p));
                }
            }
            for (OffsetEntry e : storage().committedOffsets(r.build()).getOffsetsList()) {
                committed.put(
                        g + "/" + e.getTopicPartition().getTopic() + "-"
                                + e.getTopicPartition().getPartition(),
                        e.getOffset());
            }
        }
        return new State(topics, hw, groups, committed, directories());
    }

    /** Every directory under the data directory, relative to it. */
    public Set<String> directories() {
        try (Stream<Path> s = Files.walk(dir)) {
            Set<String> out = new TreeSet<>();
            s.filter(Files::isDirectory).forEach(p -> out.add(dir.relativize(p).toString()));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The server still answers an ordinary call. */
    public void assertServing() {
        broker().ping(Heartbeat.getDefaultInstance());
    }

    @Override
    public void close() throws IOException {
        channel.shutdownNow();
        server.close();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
