package io.gmq.net.storage;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.GroupDescription;
import io.gmq.OffsetSpec;
import io.gmq.PartitionInfo;
import io.gmq.TopicInfo;
import io.gmq.TopicPartition;
import io.gmq.proto.AppendRequest;
import io.gmq.proto.AppendResponse;
import io.gmq.proto.CommittedOffsetsRequest;
import io.gmq.proto.CreateTopicRequest;
import io.gmq.proto.DeleteTopicRequest;
import io.gmq.proto.DescribeGroupRequest;
import io.gmq.proto.FetchRequest;
import io.gmq.proto.FetchResponse;
import io.gmq.proto.GmqStorageGrpc;
import io.gmq.proto.ListGroupsRequest;
import io.gmq.proto.ListTopicsRequest;
import io.gmq.proto.ResolveOffsetRequest;
import io.gmq.proto.TopicRequest;
import io.gmq.storage.AppendResult;
import io.gmq.storage.FetchResult;
import io.gmq.storage.GroupMembership;
import io.gmq.storage.Storage;
import io.gmq.wire.GrpcErrors;
import io.gmq.wire.Protos;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * {@link Storage} over gRPC to a storage process (served by {@link StorageService}).
 *
 * <p>Append and fetch ride two long-lived streams ({@link RequestStream}); each request gets a
 * request id and its future completes when the response with that id arrives. If a stream
 * breaks (the storage process died or restarted), every outstanding future fails with
 * UNAVAILABLE and the next request opens a fresh stream; the channel reconnects by itself with
 * gRPC's backoff. Unary calls fail fast with UNAVAILABLE while storage is down.
 *
 * <p>The channel is owned by this object when built from an address, borrowed otherwise.
 */
public final class RemoteStorage implements Storage {
    /** Unary group and admin calls: long enough for a busy SQLite, short enough to notice a hang. */
    private static final long UNARY_DEADLINE_MILLIS = 30_000;

    private static final long RECONNECT_NUDGE_NANOS = 500_000_000L;

    private final ManagedChannel channel;
    private final boolean ownsChannel;
    private final String target;
    private final GmqStorageGrpc.GmqStorageBlockingStub blocking;
    private final GmqStorageGrpc.GmqStorageStub async;
    private final RequestStream<AppendRequest, AppendResponse, AppendResult> appends;
    private final RequestStream<FetchRequest, FetchResponse, FetchResult> fetches;
    private final java.util.concurrent.atomic.AtomicLong lastNudgeNanos = new java.util.concurrent.atomic.AtomicLong();

    public RemoteStorage(ManagedChannel channel, boolean ownsChannel) {
        this.channel = channel;
        this.ownsChannel = ownsChannel;
        this.target = channel.authority();
        this.blocking = GmqStorageGrpc.newBlockingStub(channel);
        GmqStorageGrpc.GmqStorageStub async = GmqStorageGrpc.newStub(channel);
        this.async = async;
        this.appends = new RequestStream<>(
                "append", target, this::nudgeReconnect, async::append, AppendResponse::getRequestId, r -> {
                    if (r.hasError()) {
                        throw GrpcErrors.fromProto(r.getError());
                    }
                    return new AppendResult(r.getBaseOffset(), r.getRecordCount(), r.getLogAppendTimeMillis());
                });
        this.fetches = new RequestStream<>(
                "fetch", target, this::nudgeReconnect, async::fetch, FetchResponse::getRequestId, r -> {
                    if (r.hasError()) {
                        throw GrpcErrors.fromProto(r.getError());
                    }
                    return new FetchResult(
                            r.getRecords().isEmpty() ? FetchResult.EMPTY : Protos.readView(r.getRecords()),
                            r.getHighWatermark(),
                            r.getLogStartOffset(),
                            r.getOutOfRange(),
                            r.getTopicPartitions());
                });
    }

    /** Connects to a storage process at {@code host:port} (plaintext), owning the channel. */
    public static RemoteStorage connect(String hostPort, int maxInboundMessageBytes) {
        return connect(hostPort, maxInboundMessageBytes, io.gmq.wire.ChannelSecurity.PLAINTEXT);
    }

    /**
     * Connects with TLS and/or a broker token as {@code security} says, owning the channel.
     * {@code hostPorts} is one storage process, or several nodes of a storage cluster separated
     * by commas: the channel holds one of them and moves to another when it is lost.
     */
    public static RemoteStorage connect(
            String hostPorts, int maxInboundMessageBytes, io.gmq.wire.ChannelSecurity security) {
        StorageAddresses addresses = StorageAddresses.parse(hostPorts);
        var builder = addresses.hostPorts().size() == 1
                ? io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forTarget(hostPorts, security.credentials())
                : io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forTarget(
                                addresses.target(), security.credentials())
                        .nameResolverFactory(addresses)
                        .defaultLoadBalancingPolicy("pick_first");
        ManagedChannel ch = builder.intercept(security.tokenInterceptor())
                .maxInboundMessageSize(maxInboundMessageBytes)
                .keepAliveTime(30, TimeUnit.SECONDS)
                .keepAliveWithoutCalls(true)
                .build();
        return new RemoteStorage(ch, true);
    }

    // ---- log ------------------------------------------------------------------------------------

    /** One unary call per delayed batch: the schedule is not the hot path. */
    @Override
    public CompletableFuture<io.gmq.storage.ScheduleResult> schedule(
            TopicPartition tp, ByteBuffer batch, long deliverAtMillis, boolean awaitDurable) {
        CompletableFuture<io.gmq.storage.ScheduleResult> result = new CompletableFuture<>();
        async.withDeadlineAfter(UNARY_DEADLINE_MILLIS, TimeUnit.MILLISECONDS)
                .schedule(
                        io.gmq.proto.ScheduleRequest.newBuilder()
                                .setTopicPartition(Protos.toProto(tp))
                                .setBatch(Protos.bytes(batch))
                                .setDeliverAtMillis(deliverAtMillis)
                                .setAwaitDurable(awaitDurable)
                                .build(),
                        new io.grpc.stub.StreamObserver<>() {
                            @Override
                            public void onNext(io.gmq.proto.ScheduleResponse r) {
                                result.complete(new io.gmq.storage.ScheduleResult(
                                        r.getScheduleId(), r.getRecordCount(), r.getDeliverAtMillis()));
                            }

                            @Override
                            public void onError(Throwable t) {
                                result.completeExceptionally(classifyAndNudge(t));
                            }

                            @Override
                            public void onCompleted() {
                                // onNext completed the result
                            }
                        });
        return result;
    }

    @Override
    public CompletableFuture<AppendResult> append(TopicPartition tp, ByteBuffer batch, boolean awaitDurable) {
        return appends.send(id -> AppendRequest.newBuilder()
                .setRequestId(id)
                .setTopic(tp.topic())
                .setPartition(tp.partition())
                .setBatch(Protos.bytes(batch))
                .setAwaitDurable(awaitDurable)
                .build());
    }

    @Override
    public CompletableFuture<AppendResult> append(
            TopicPartition tp, ByteBuffer batch, boolean awaitDurable, int routedPartitions) {
        return appends.send(id -> AppendRequest.newBuilder()
                .setRequestId(id)
                .setTopic(tp.topic())
                .setPartition(tp.partition())
                .setBatch(Protos.bytes(batch))
                .setAwaitDurable(awaitDurable)
                .setRoutedPartitions(Math.max(0, routedPartitions))
                .build());
    }

    @Override
    public CompletableFuture<FetchResult> fetch(TopicPartition tp, long offset, int maxBytes, long maxWaitMillis) {
        return fetches.send(id -> FetchRequest.newBuilder()
                .setRequestId(id)
                .setTopic(tp.topic())
                .setPartition(tp.partition())
                .setOffset(offset)
                .setMaxBytes(maxBytes)
                .setMaxWaitMillis(maxWaitMillis)
                .build());
    }

    @Override
    public PartitionInfo partitionInfo(TopicPartition tp) {
        return call(() -> Protos.fromProto(stub().partitionInfo(Protos.toProto(tp))));
    }

    @Override
    public long resolveOffset(TopicPartition tp, OffsetSpec spec) {
        return call(() -> stub().resolveOffset(ResolveOffsetRequest.newBuilder()
                        .setTopicPartition(Protos.toProto(tp))
                        .setSpec(Protos.toProto(spec))
                        .build())
                .getOffset());
    }

    // ---- topics ---------------------------------------------------------------------------------

    @Override
    public TopicInfo createTopic(String topic, int partitions, io.gmq.TopicConfig config) {
        return call(() -> Protos.fromProto(stub().createTopic(CreateTopicRequest.newBuilder()
                .setTopic(topic)
                .setPartitions(partitions)
                .putAllConfig(config.values())
                .build())));
    }

    @Override
    public TopicInfo createPartitions(String topic, int partitions) {
        return call(() -> Protos.fromProto(stub().createPartitions(io.gmq.proto.CreatePartitionsRequest.newBuilder()
                .setTopic(topic)
                .setPartitions(partitions)
                .build())));
    }

    @Override
    public TopicInfo alterTopicConfig(String topic, java.util.Map<String, String> changes) {
        return call(() -> Protos.fromProto(stub().alterTopicConfig(io.gmq.proto.AlterTopicConfigRequest.newBuilder()
                .setTopic(topic)
                .putAllChanges(changes)
                .build())));
    }

    @Override
    public TopicInfo topic(String topic, boolean autoCreate) {
        return call(() -> Protos.fromProto(stub().topic(TopicRequest.newBuilder()
                .setTopic(topic)
                .setAutoCreate(autoCreate)
                .build())));
    }

    @Override
    public List<TopicInfo> listTopics() {
        return call(() -> {
            List<TopicInfo> out = new ArrayList<>();
            stub().listTopics(ListTopicsRequest.getDefaultInstance())
                    .getTopicsList()
                    .forEach(t -> out.add(Protos.fromProto(t)));
            return out;
        });
    }

    @Override
    public void deleteTopic(String topic) {
        call(() -> stub().deleteTopic(
                        DeleteTopicRequest.newBuilder().setTopic(topic).build()));
    }

    // ---- groups ---------------------------------------------------------------------------------

    @Override
    public GroupMembership joinGroup(String group, String clientId, Set<String> topics, long sessionTimeoutMillis) {
        return call(() -> Protos.fromProto(
                stub().joinGroup(StorageRequests.joinGroup(group, clientId, topics, sessionTimeoutMillis))));
    }

    @Override
    public GroupMembership joinGroup(
            String group, String clientId, Set<String> topics, long sessionTimeoutMillis, String groupInstanceId) {
        return call(() -> Protos.fromProto(stub().joinGroup(
                        StorageRequests.joinGroup(group, clientId, topics, sessionTimeoutMillis, groupInstanceId))));
    }

    @Override
    public GroupMembership heartbeat(String group, String memberId, int generation, Set<TopicPartition> owned) {
        return call(() ->
                Protos.fromProto(stub().heartbeat(StorageRequests.heartbeat(group, memberId, generation, owned))));
    }

    @Override
    public void leaveGroup(String group, String memberId) {
        call(() -> stub().leaveGroup(StorageRequests.leaveGroup(group, memberId)));
    }

    @Override
    public Set<TopicPartition> commitOffsets(
            String group, String memberId, int generation, Map<TopicPartition, Long> offsets) {
        return call(() -> Protos.fromProto(
                stub().commitOffsets(StorageRequests.commitOffsets(group, memberId, generation, offsets))
                        .getRejectedList()));
    }

    @Override
    public Map<TopicPartition, Long> committedOffsets(String group, Collection<TopicPartition> partitions) {
        return call(() -> {
            Map<TopicPartition, Long> out = new HashMap<>();
            stub().committedOffsets(CommittedOffsetsRequest.newBuilder()
                            .setGroup(group)
                            .addAllPartitions(Protos.toProto(partitions))
                            .build())
                    .getOffsetsList()
                    .forEach(e -> out.put(Protos.fromProto(e.getTopicPartition()), e.getOffset()));
            return out;
        });
    }

    @Override
    public List<String> listGroups() {
        return call(() -> List.copyOf(
                stub().listGroups(ListGroupsRequest.getDefaultInstance()).getGroupsList()));
    }

    @Override
    public io.gmq.ClusterDescription describeCluster() {
        return call(() ->
                Protos.fromProto(stub().describeCluster(io.gmq.proto.DescribeClusterRequest.getDefaultInstance())));
    }

    @Override
    public io.gmq.ClusterDescription addStorageNode(String nodeId, String raftAddress) {
        return call(() -> Protos.fromProto(stub().addStorageNode(io.gmq.proto.AddStorageNodeRequest.newBuilder()
                .setNodeId(nodeId)
                .setRaftAddress(raftAddress)
                .build())));
    }

    @Override
    public io.gmq.ClusterDescription removeStorageNode(String nodeId) {
        return call(() -> Protos.fromProto(stub().removeStorageNode(io.gmq.proto.RemoveStorageNodeRequest.newBuilder()
                .setNodeId(nodeId)
                .build())));
    }

    @Override
    public GroupDescription describeGroup(String group) {
        return call(() -> Protos.fromProto(stub().describeGroup(
                        DescribeGroupRequest.newBuilder().setGroup(group).build())));
    }

    @Override
    public void deleteGroup(String group) {
        call(() -> stub().deleteGroup(io.gmq.proto.DeleteGroupRequest.newBuilder()
                .setGroup(group)
                .build()));
    }

    @Override
    public void resetOffsets(String group, String topic, OffsetSpec spec) {
        call(() -> stub().resetOffsets(StorageRequests.resetOffsets(group, topic, spec)));
    }

    @Override
    public void resetOffsets(String group, TopicPartition partition, OffsetSpec spec) {
        call(() -> stub().resetOffsets(StorageRequests.resetOffsets(group, partition, spec)));
    }

    @Override
    public void close() {
        appends.close();
        fetches.close();
        if (ownsChannel) {
            channel.shutdown();
            try {
                if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
                    channel.shutdownNow();
                }
            } catch (InterruptedException e) {
                channel.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---- share groups -----------------------------------------------------------------------------

    @Override
    public String joinShareGroup(
            String group,
            String clientId,
            Set<String> topics,
            long sessionTimeoutMillis,
            io.gmq.Ordering ordering,
            OffsetSpec startFrom) {
        io.gmq.proto.JoinShareGroupRequest.Builder b = io.gmq.proto.JoinShareGroupRequest.newBuilder()
                .setGroup(group)
                .setClientId(clientId)
                .addAllTopics(topics)
                .setSessionTimeoutMillis(sessionTimeoutMillis)
                .setKeyOrdered(ordering == io.gmq.Ordering.KEY);
        if (startFrom != null) {
            b.setStartFrom(Protos.toProto(startFrom));
        }
        return call(() -> stub().joinShareGroup(b.build()).getMemberId());
    }

    @Override
    public void shareHeartbeat(String group, String memberId) {
        call(() -> stub().shareHeartbeat(shareMember(group, memberId)));
    }

    @Override
    public void leaveShareGroup(String group, String memberId) {
        call(() -> stub().leaveShareGroup(shareMember(group, memberId)));
    }

    private static io.gmq.proto.ShareMemberRequest shareMember(String group, String memberId) {
        return io.gmq.proto.ShareMemberRequest.newBuilder()
                .setGroup(group)
                .setMemberId(memberId)
                .build();
    }

    @Override
    public CompletableFuture<io.gmq.storage.ShareAcquisition> acquire(
            String group, String memberId, TopicPartition tp, int maxRecords, long lockMillis, long maxWaitMillis) {
        io.gmq.proto.AcquireRequest req = io.gmq.proto.AcquireRequest.newBuilder()
                .setGroup(group)
                .setMemberId(memberId)
                .setTopic(tp.topic())
                .setPartition(tp.partition())
                .setMaxRecords(maxRecords)
                .setLockMillis(lockMillis)
                .setMaxWaitMillis(maxWaitMillis)
                .build();
        return this.<io.gmq.proto.AcquireResponse, io.gmq.storage.ShareAcquisition>unaryAsync(
                (f, o) -> f.acquire(req, o), maxWaitMillis, r -> ShareRpc.fromProto(r));
    }

    @Override
    public CompletableFuture<Integer> settle(
            String group,
            String memberId,
            TopicPartition tp,
            long[] offsets,
            io.gmq.storage.ShareAck kind,
            long millis) {
        io.gmq.proto.SettleRequest.Builder b = io.gmq.proto.SettleRequest.newBuilder()
                .setGroup(group)
                .setMemberId(memberId)
                .setTopic(tp.topic())
                .setPartition(tp.partition())
                .setKind(kind.code())
                .setMillis(millis);
        for (long o : offsets) {
            b.addOffsets(o);
        }
        io.gmq.proto.SettleRequest req = b.build();
        return this.<io.gmq.proto.SettleResponse, Integer>unaryAsync(
                (f, o) -> f.settle(req, o), 0, io.gmq.proto.SettleResponse::getSettled);
    }

    @Override
    public io.gmq.ShareGroupDescription describeShareGroup(String group) {
        return call(() -> io.gmq.wire.ShareProtos.fromProto(
                stub().describeShareGroup(io.gmq.proto.DescribeGroupRequest.newBuilder()
                        .setGroup(group)
                        .build())));
    }

    /** A unary call on the async stub, its answer mapped by {@code map}, its failure classified. */
    private <R, T> CompletableFuture<T> unaryAsync(
            java.util.function.BiConsumer<GmqStorageGrpc.GmqStorageStub, io.grpc.stub.StreamObserver<R>> rpc,
            long extraMillis,
            java.util.function.Function<R, T> map) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            rpc.accept(
                    async.withDeadlineAfter(UNARY_DEADLINE_MILLIS + extraMillis, TimeUnit.MILLISECONDS),
                    new io.grpc.stub.StreamObserver<R>() {
                        @Override
                        public void onNext(R value) {
                            try {
                                result.complete(map.apply(value));
                            } catch (RuntimeException e) {
                                result.completeExceptionally(e);
                            }
                        }

                        @Override
                        public void onError(Throwable t) {
                            result.completeExceptionally(classifyAndNudge(t));
                        }

                        @Override
                        public void onCompleted() {
                            // the value came with onNext
                        }
                    });
        } catch (RuntimeException e) {
            result.completeExceptionally(classifyAndNudge(e));
        }
        return result;
    }

    private GmqStorageGrpc.GmqStorageBlockingStub stub() {
        return blocking.withDeadlineAfter(UNARY_DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
    }

    private <T> T call(Supplier<T> rpc) {
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            throw classifyAndNudge(e);
        }
    }

    /**
     * gRPC backs off reconnect attempts up to two minutes; a broker would then notice a restarted
     * storage process late. While calls keep failing UNAVAILABLE, ask for a fresh attempt at most
     * once per {@link #RECONNECT_NUDGE_NANOS}.
     */
    private void nudgeReconnect() {
        long now = System.nanoTime();
        long last = lastNudgeNanos.get();
        if (now - last >= RECONNECT_NUDGE_NANOS && lastNudgeNanos.compareAndSet(last, now)) {
            channel.resetConnectBackoff();
        }
    }

    GmqException classifyAndNudge(Throwable t) {
        GmqException g = classify(t, target);
        if (g.code() == ErrorCode.UNAVAILABLE) {
            nudgeReconnect();
        }
        return g;
    }

    static GmqException classify(Throwable t, String target) {
        GmqException g = GrpcErrors.toGmq(t);
        if (g.code() == ErrorCode.UNAVAILABLE) {
            return new GmqException(
                    ErrorCode.UNAVAILABLE,
                    "storage at " + target + " is unavailable (" + g.getMessage() + "); retry when it is back",
                    t);
        }
        return g;
    }
}
