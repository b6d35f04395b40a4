package io.gmq.net.broker;

import static io.gmq.net.Unary.unary;

import io.gmq.TopicInfo;
import io.gmq.TopicPartition;
import io.gmq.broker.BrokerEngine;
import io.gmq.net.security.BrokerAccess;
import io.gmq.net.security.SecurityContext;
import io.gmq.proto.ClientFrame;
import io.gmq.proto.CreateTopicRequest;
import io.gmq.proto.DeleteTopicRequest;
import io.gmq.proto.DeleteTopicResponse;
import io.gmq.proto.DescribeGroupRequest;
import io.gmq.proto.DescribeTopicRequest;
import io.gmq.proto.DescribeTopicResponse;
import io.gmq.proto.GetTopicMetadataRequest;
import io.gmq.proto.GmqBrokerGrpc;
import io.gmq.proto.GroupDescription;
import io.gmq.proto.ListGroupsRequest;
import io.gmq.proto.ListGroupsResponse;
import io.gmq.proto.ListTopicsRequest;
import io.gmq.proto.ListTopicsResponse;
import io.gmq.proto.ResetOffsetsRequest;
import io.gmq.proto.ResetOffsetsResponse;
import io.gmq.proto.ServerFrame;
import io.gmq.security.Principal;
import io.gmq.storage.Storage;
import io.gmq.wire.Protos;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The broker's gRPC face: one {@link ClientSession} per Session stream, and the admin calls, each
 * a thin decode -> {@link BrokerEngine}/{@link Storage} call -> encode.
 */
public final class BrokerService extends GmqBrokerGrpc.GmqBrokerImplBase {
    private final BrokerEngine engine;
    private final Storage storage;
    private final Set<ClientSession> sessions = ConcurrentHashMap.newKeySet();
    private final BrokerAccess access;
    private final int maxInFlightPublishes;

    public BrokerService(BrokerEngine engine) {
        this(engine, BrokerAccess.allowAll(), ClientSession.MAX_IN_FLIGHT_PUBLISHES);
    }

    /** A broker service that checks every request with {@code access} (see docs/SECURITY.md). */
    public BrokerService(BrokerEngine engine, BrokerAccess access, int maxInFlightPublishes) {
        this.engine = engine;
        this.storage = engine.storage();
        this.access = access;
        this.maxInFlightPublishes = maxInFlightPublishes;
    }

    private static Principal caller() {
        return SecurityContext.principal();
    }

    @Override
    public StreamObserver<ClientFrame> session(StreamObserver<ServerFrame> responses) {
        ClientSession[] holder = new ClientSession[1];
        ClientSession s = new ClientSession(
                engine,
                (ServerCallStreamObserver<ServerFrame>) responses,
                () -> sessions.remove(holder[0]),
                access,
                caller(),
                SecurityContext.tokenDigest(),
                maxInFlightPublishes);
        holder[0] = s;
        sessions.add(s);
        return s;
    }

    @Override
    public void ping(io.gmq.proto.Heartbeat r, StreamObserver<io.gmq.proto.Heartbeat> out) {
        unary(
                out,
                () -> io.gmq.proto.Heartbeat.newBuilder()
                        .setTimestampMillis(System.currentTimeMillis())
                        .build());
    }

    /** Open client sessions. */
    public int sessionCount() {
        return sessions.size();
    }

    /**
     * Ends every session with UNAVAILABLE so clients fail over to another broker; each session's
     * members commit their acknowledged progress and leave their groups first.
     */
    public void terminateSessions(String reason) {
        for (ClientSession s : List.copyOf(sessions)) {
            s.terminate(reason);
            sessions.remove(s);
        }
    }

    /**
     * After the token file changed: ends with UNAUTHENTICATED every session whose token no longer
     * names the session's principal ({@code tokenOwner} answers from the new version). Sessions
     * opened with a client certificate are not affected.
     */
    public void closeRevokedSessions(Function<byte[], Optional<Principal>> tokenOwner) {
        for (ClientSession s : List.copyOf(sessions)) {
            byte[] digest = s.tokenDigest();
            if (digest != null && !tokenOwner.apply(digest).equals(Optional.of(s.principal()))) {
                s.terminate(Status.UNAUTHENTICATED.withDescription(
                        "the token of this session was revoked; reconnect with a valid token"));
                sessions.remove(s);
            }
        }
    }

    /** After the ACL file changed: closes the subscriptions the new ACLs no longer allow. */
    public void recheckSubscriptions() {
        for (ClientSession s : List.copyOf(sessions)) {
            s.recheckSubscriptions();
        }
    }

    @Override
    public void getTopicMetadata(GetTopicMetadataRequest r, StreamObserver<io.gmq.proto.TopicInfo> out) {
        unary(out, () -> {
            BrokerEngine.validateTopicName(r.getTopic());
            access.checkTopicMetadata(caller(), r.getTopic(), r.getAutoCreate());
            TopicInfo t = r.getAutoCreate() ? engine.topic(r.getTopic()) : storage.topic(r.getTopic(), false);
            return Protos.toProto(t);
        });
    }

    @Override
    public void createTopic(CreateTopicRequest r, StreamObserver<io.gmq.proto.TopicInfo> out) {
        unary(out, () -> {
            BrokerEngine.validateTopicName(r.getTopic());
            access.checkCreate(caller(), r.getTopic());
            // The upper bound is the storage's maxPartitionsPerTopic (a storage setting): it refuses more.
            if (r.getPartitions() < 1) {
                throw io.gmq.GmqException.invalidArgument("partitions must be at least 1, was " + r.getPartitions());
            }
            TopicInfo t = storage.createTopic(r.getTopic(), r.getPartitions(), io.gmq.TopicConfig.of(r.getConfigMap()));
            engine.invalidateTopic(r.getTopic());
            return Protos.toProto(t);
        });
    }

    /** Grows a topic's partition count; the same right as changing its settings (ADMIN on the topic). */
    @Override
    public void createPartitions(io.gmq.proto.CreatePartitionsRequest r, StreamObserver<io.gmq.proto.TopicInfo> out) {
        unary(out, () -> {
            BrokerEngine.validateTopicName(r.getTopic());
            access.checkTopicAdmin(caller(), r.getTopic());
            return Protos.toProto(engine.createPartitions(r.getTopic(), r.getPartitions()));
        });
    }

    @Override
    public void alterTopicConfig(io.gmq.proto.AlterTopicConfigRequest r, StreamObserver<io.gmq.proto.TopicInfo> out) {
        unary(out, () -> {
            BrokerEngine.validateTopicName(r.getTopic());
            access.checkTopicAdmin(caller(), r.getTopic());
            return Protos.toProto(engine.alterTopicConfig(r.getTopic(), r.getChangesMap()));
        });
    }

    @Override
    public void listTopics(ListTopicsRequest r, StreamObserver<ListTopicsResponse> out) {
        unary(out, () -> {
            ListTopicsResponse.Builder b = ListTopicsResponse.newBuilder();
            Principal p = caller();
            storage.listTopics().stream()
                    .filter(t -> access.mayDescribe(p, t.name()))
                    .forEach(t -> b.addTopics(Protos.toProto(t)));
            return b.build();
        });
    }

    @Override
    public void describeTopic(DescribeTopicRequest r, StreamObserver<DescribeTopicResponse> out) {
        unary(out, () -> {
            BrokerEngine.validateTopicName(r.getTopic());
            access.checkDescribe(caller(), r.getTopic());
            TopicInfo t = storage.topic(r.getTopic(), false);
            DescribeTopicResponse.Builder b = DescribeTopicResponse.newBuilder()
                    .setTopic(Protos.toProto(t))
                    .putAllEffectiveConfig(t.config().effective(engine.config()));
            for (int p = 0; p < t.partitions(); p++) {
                b.addPartitions(Protos.toProto(storage.partitionInfo(new TopicPartition(t.name(), p))));
            }
            return b.build();
        });
    }

    @Override
    public void deleteTopic(DeleteTopicRequest r, StreamObserver<DeleteTopicResponse> out) {
        unary(out, () -> {
            BrokerEngine.validateTopicName(r.getTopic());
            access.checkDelete(caller(), r.getTopic());
            storage.deleteTopic(r.getTopic());
            engine.invalidateTopic(r.getTopic());
            access.topicGone(r.getTopic());
            return DeleteTopicResponse.getDefaultInstance();
        });
    }

    @Override
    public void listGroups(ListGroupsRequest r, StreamObserver<ListGroupsResponse> out) {
        unary(out, () -> {
            Principal p = caller();
            return ListGroupsResponse.newBuilder()
                    .addAllGroups(storage.listGroups().stream()
                            .filter(g -> access.mayDescribeGroup(p, g))
                            .toList())
                    .build();
        });
    }

    @Override
    public void describeGroup(DescribeGroupRequest r, StreamObserver<GroupDescription> out) {
        unary(out, () -> {
            access.checkDescribeGroup(caller(), r.getGroup());
            return Protos.toProto(storage.describeGroup(r.getGroup()));
        });
    }

    /** Any caller the listener admitted may see the storage cluster's shape (no topic or group data). */
    @Override
    public void describeCluster(
            io.gmq.proto.DescribeClusterRequest r, StreamObserver<io.gmq.proto.ClusterDescription> out) {
        unary(out, () -> Protos.toProto(storage.describeCluster()));
    }

    /** Changing who holds the data is a cluster-wide operation: ADMIN on the cluster. */
    @Override
    public void addStorageNode(
            io.gmq.proto.AddStorageNodeRequest r, StreamObserver<io.gmq.proto.ClusterDescription> out) {
        unary(out, () -> {
            access.checkClusterAdmin(caller());
            return Protos.toProto(storage.addStorageNode(r.getNodeId(), r.getRaftAddress()));
        });
    }

    @Override
    public void removeStorageNode(
            io.gmq.proto.RemoveStorageNodeRequest r, StreamObserver<io.gmq.proto.ClusterDescription> out) {
        unary(out, () -> {
            access.checkClusterAdmin(caller());
            return Protos.toProto(storage.removeStorageNode(r.getNodeId()));
        });
    }

    @Override
    public void resetOffsets(ResetOffsetsRequest r, StreamObserver<ResetOffsetsResponse> out) {
        unary(out, () -> {
            BrokerEngine.validateTopicName(r.getTopic());
            access.checkGroupAdmin(caller(), r.getGroup());
            if (r.hasPartition()) {
                storage.resetOffsets(
                        r.getGroup(),
                        new TopicPartition(r.getTopic(), r.getPartition()),
                        Protos.fromProto(r.getSpec()));
            } else {
                storage.resetOffsets(r.getGroup(), r.getTopic(), Protos.fromProto(r.getSpec()));
            }
            return ResetOffsetsResponse.getDefaultInstance();
        });
    }

    @Override
    public void deleteGroup(io.gmq.proto.DeleteGroupRequest r, StreamObserver<io.gmq.proto.DeleteGroupResponse> out) {
        unary(out, () -> {
            access.checkDeleteGroup(caller(), r.getGroup());
            storage.deleteGroup(r.getGroup());
            return io.gmq.proto.DeleteGroupResponse.getDefaultInstance();
        });
    }

    /**
     * One long-polling read of a partition, outside any group. Answers from the storage future's
     * thread, so a waiting read holds no gRPC thread.
     */
    @Override
    public void readPartition(
            io.gmq.proto.ReadPartitionRequest r, StreamObserver<io.gmq.proto.ReadPartitionResponse> out) {
        TopicPartition tp;
        long from;
        try {
            tp = Protos.fromProto(r.getTopicPartition());
            BrokerEngine.validateTopicName(tp.topic());
            access.checkReadPartition(caller(), tp.topic());
            if (r.getMaxBytes() < 0 || r.getMaxWaitMillis() < 0) {
                throw io.gmq.GmqException.invalidArgument("max_bytes and max_wait_millis must not be negative");
            }
            from = storage.resolveOffset(tp, Protos.fromProto(r.getFrom()));
        } catch (RuntimeException e) {
            out.onError(io.gmq.wire.GrpcErrors.toStatus(e));
            return;
        }
        int maxBytes = r.getMaxBytes() == 0 ? READ_DEFAULT_BYTES : Math.min(r.getMaxBytes(), READ_MAX_BYTES);
        long maxWait = Math.min(r.getMaxWaitMillis(), READ_MAX_WAIT_MILLIS);
        storage.fetch(tp, from, maxBytes, maxWait)
                .thenCompose(f -> f.outOfRange()
                        ? storage.fetch(tp, f.logStartOffset(), maxBytes, 0)
                                .thenApply(again -> new ReadAt(f.logStartOffset(), again))
                        : java.util.concurrent.CompletableFuture.completedFuture(new ReadAt(from, f)))
                .whenComplete((read, e) -> {
                    if (e != null) {
                        out.onError(io.gmq.wire.GrpcErrors.toStatus(io.gmq.wire.GrpcErrors.unwrap(e)));
                        return;
                    }
                    out.onNext(io.gmq.proto.ReadPartitionResponse.newBuilder()
                            .setFrames(com.google.protobuf.UnsafeByteOperations.unsafeWrap(
                                    read.result().records()))
                            .setOffset(read.offset())
                            .setHighWatermark(read.result().highWatermark())
                            .setLogStartOffset(read.result().logStartOffset())
                            .build());
                    out.onCompleted();
                });
    }

    private static final int READ_DEFAULT_BYTES = 1 << 20;
    private static final int READ_MAX_BYTES = 4 << 20;
    private static final long READ_MAX_WAIT_MILLIS = 10_000;

    private record ReadAt(long offset, io.gmq.storage.FetchResult result) {}
}
