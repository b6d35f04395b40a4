package io.gmq.net.storage;

import static io.gmq.net.Unary.unary;

import io.gmq.TopicPartition;
import io.gmq.proto.AppendRequest;
import io.gmq.proto.AppendResponse;
import io.gmq.proto.CommitOffsetsRequest;
import io.gmq.proto.CommitOffsetsResponse;
import io.gmq.proto.CommittedOffsetsRequest;
import io.gmq.proto.CommittedOffsetsResponse;
import io.gmq.proto.CreateTopicRequest;
import io.gmq.proto.DeleteTopicRequest;
import io.gmq.proto.DeleteTopicResponse;
import io.gmq.proto.DescribeGroupRequest;
import io.gmq.proto.FetchRequest;
import io.gmq.proto.FetchResponse;
import io.gmq.proto.GmqStorageGrpc;
import io.gmq.proto.GroupDescription;
import io.gmq.proto.GroupMembership;
import io.gmq.proto.HeartbeatRequest;
import io.gmq.proto.JoinGroupRequest;
import io.gmq.proto.LeaveGroupRequest;
import io.gmq.proto.LeaveGroupResponse;
import io.gmq.proto.ListGroupsRequest;
import io.gmq.proto.ListGroupsResponse;
import io.gmq.proto.ListTopicsRequest;
import io.gmq.proto.ListTopicsResponse;
import io.gmq.proto.OffsetEntry;
import io.gmq.proto.PartitionInfo;
import io.gmq.proto.ResetOffsetsRequest;
import io.gmq.proto.ResetOffsetsResponse;
import io.gmq.proto.ResolveOffsetRequest;
import io.gmq.proto.ResolveOffsetResponse;
import io.gmq.proto.TopicInfo;
import io.gmq.proto.TopicRequest;
import io.gmq.storage.Storage;
import io.gmq.wire.GrpcErrors;
import io.gmq.wire.Protos;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves any {@link Storage} over gRPC: decode, call, encode. No logic of its own beyond flow
 * control on the two streams.
 *
 * <p>Flow control: each Append or Fetch stream has at most {@link #MAX_IN_FLIGHT} requests
 * outstanding. Inbound messages are requested one per completed request, so a broker that sends
 * faster than storage appends is held back by HTTP/2 flow control instead of growing a queue here.
 */
public final class StorageService extends GmqStorageGrpc.GmqStorageImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(StorageService.class);

    /** Outstanding requests per stream: enough for many partitions' long polls and pipelined appends. */
    static final int MAX_IN_FLIGHT = 4096;

    private final Storage storage;
    private final Set<BoundedStream<?, ?>> streams = ConcurrentHashMap.newKeySet();

    public StorageService(Storage storage) {
        this.storage = storage;
    }

    @Override
    public StreamObserver<AppendRequest> append(StreamObserver<AppendResponse> responses) {
        ServerCallStreamObserver<AppendResponse> out = (ServerCallStreamObserver<AppendResponse>) responses;
        out.disableAutoRequest();
        out.request(MAX_IN_FLIGHT);
        return new BoundedStream<>(out, true) {
            @Override
            public void onNext(AppendRequest r) {
                TopicPartition tp = new TopicPartition(r.getTopic(), r.getPartition());
                long id = r.getRequestId();
                started();
                try {
                    storage.append(tp, Protos.writableCopy(r.getBatch()), r.getAwaitDurable(), r.getRoutedPartitions())
                            .whenComplete((res, err) -> complete(
                                    err == null
                                            ? AppendResponse.newBuilder()
                                                    .setRequestId(id)
                                                    .setBaseOffset(res.baseOffset())
                                                    .setRecordCount(res.recordCount())
                                                    .setLogAppendTimeMillis(res.logAppendTimeMillis())
                                                    .build()
                                            : AppendResponse.newBuilder()
                                                    .setRequestId(id)
                                                    .setError(GrpcErrors.toProto(err))
                                                    .build()));
                } catch (RuntimeException e) {
                    complete(AppendResponse.newBuilder()
                            .setRequestId(id)
                            .setError(GrpcErrors.toProto(e))
                            .build());
                }
            }
        };
    }

    @Override
    public StreamObserver<FetchRequest> fetch(StreamObserver<FetchResponse> responses) {
        ServerCallStreamObserver<FetchResponse> out = (ServerCallStreamObserver<FetchResponse>) responses;
        out.disableAutoRequest();
        out.request(MAX_IN_FLIGHT);
        return new BoundedStream<>(out, false) {
            @Override
            public void onNext(FetchRequest r) {
                TopicPartition tp = new TopicPartition(r.getTopic(), r.getPartition());
                long id = r.getRequestId();
                started();
                try {
                    storage.fetch(tp, r.getOffset(), r.getMaxBytes(), r.getMaxWaitMillis())
                            .whenComplete((res, err) -> complete(
                                    err == null
                                            ? FetchResponse.newBuilder()
                                                    .setRequestId(id)
                                                    .setRecords(Protos.bytes(res.records()))
                                                    .setHighWatermark(res.highWatermark())
                                                    .setLogStartOffset(res.logStartOffset())
                                                    .setOutOfRange(res.outOfRange())
                                                    .setTopicPartitions(res.topicPartitions())
                                                    .build()
                                            : FetchResponse.newBuilder()
                                                    .setRequestId(id)
                                                    .setError(GrpcErrors.toProto(err))
                                                    .build()));
                } catch (RuntimeException e) {
                    complete(FetchResponse.newBuilder()
                            .setRequestId(id)
                            .setError(GrpcErrors.toProto(e))
                            .build());
                }
            }
        };
    }

    /**
     * One request stream whose responses complete on storage threads. Writes to the response
     * observer are serialised (a StreamObserver is not thread-safe); each completion lets one more
     * request in. When the client half-closes, the stream ends once its last response is out.
     */
    private abstract class BoundedStream<Req, Resp> implements StreamObserver<Req> {
        private final ServerCallStreamObserver<Resp> out;
        /** Appends are answered before shutdown ends the stream; long polls are not waited for. */
        private final boolean drainOnShutdown;

        private int pending;
        private boolean halfClosed;
        private boolean closed;

        BoundedStream(ServerCallStreamObserver<Resp> out, boolean drainOnShutdown) {
            this.out = out;
            this.drainOnShutdown = drainOnShutdown;
            streams.add(this);
        }

        /** Counts a request in before it is handed to storage. */
        final synchronized void started() {
            pending++;
        }

        final void complete(Resp response) {
            synchronized (this) {
                pending--;
                if (closed || out.isCancelled()) {
                    notifyAll();
                    return;
                }
                try {
                    out.onNext(response);
                } catch (RuntimeException e) {
                    // The call was cancelled between the check and the write; nothing to answer.
                    finish();
                    return;
                }
                if (halfClosed && pending == 0) {
                    finish();
                    out.onCompleted();
                    return;
                }
                notifyAll();
            }
            out.request(1);
        }

        private void finish() {
            closed = true;
            streams.remove(this);
            notifyAll();
        }

        @Override
        public void onError(Throwable t) {
            synchronized (this) {
                finish();
            }
            LOG.debug("storage stream closed by peer: {}", t.toString());
        }

        @Override
        public void onCompleted() {
            synchronized (this) {
                halfClosed = true;
                if (!closed && pending == 0) {
                    finish();
                    out.onCompleted();
                }
            }
        }

        /** Ends the stream with UNAVAILABLE, after its outstanding appends are answered (until the deadline). */
        synchronized void terminate(String reason, long deadlineNanos) {
            while (drainOnShutdown && pending > 0 && !closed) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            if (!closed) {
                finish();
                try {
                    out.onError(Status.UNAVAILABLE.withDescription(reason).asRuntimeException());
                } catch (RuntimeException ignored) {
                    // already cancelled
                }
            }
        }
    }

    /**
     * Ends every open stream so brokers notice at once and reconnect elsewhere or later: append
     * streams first answer what they have in flight (up to {@code drainMillis}), long polls end
     * immediately. Called by the server on shutdown, after it stopped accepting calls.
     */
    public void terminateStreams(String reason, long drainMillis) {
        long deadline = System.nanoTime() + drainMillis * 1_000_000;
        for (BoundedStream<?, ?> s : List.copyOf(streams)) {
            s.terminate(reason, deadline);
        }
    }

    // ---- unary ----------------------------------------------------------------------------------

    @Override
    public void createTopic(CreateTopicRequest r, StreamObserver<TopicInfo> out) {
        unary(
                out,
                () -> Protos.toProto(
                        storage.createTopic(r.getTopic(), r.getPartitions(), io.gmq.TopicConfig.of(r.getConfigMap()))));
    }

    @Override
    public void createPartitions(io.gmq.proto.CreatePartitionsRequest r, StreamObserver<TopicInfo> out) {
        unary(out, () -> Protos.toProto(storage.createPartitions(r.getTopic(), r.getPartitions())));
    }

    @Override
    public void alterTopicConfig(io.gmq.proto.AlterTopicConfigRequest r, StreamObserver<TopicInfo> out) {
        unary(out, () -> Protos.toProto(storage.alterTopicConfig(r.getTopic(), r.getChangesMap())));
    }

    @Override
    public void topic(TopicRequest r, StreamObserver<TopicInfo> out) {
        unary(out, () -> Protos.toProto(storage.topic(r.getTopic(), r.getAutoCreate())));
    }

    @Override
    public void listTopics(ListTopicsRequest r, StreamObserver<ListTopicsResponse> out) {
        unary(out, () -> {
            ListTopicsResponse.Builder b = ListTopicsResponse.newBuilder();
            storage.listTopics().forEach(t -> b.addTopics(Protos.toProto(t)));
            return b.build();
        });
    }

    @Override
    public void deleteTopic(DeleteTopicRequest r, StreamObserver<DeleteTopicResponse> out) {
        unary(out, () -> {
            storage.deleteTopic(r.getTopic());
            return DeleteTopicResponse.getDefaultInstance();
        });
    }

    @Override
    public void partitionInfo(io.gmq.proto.TopicPartition r, StreamObserver<PartitionInfo> out) {
        unary(out, () -> Protos.toProto(storage.partitionInfo(Protos.fromProto(r))));
    }

    @Override
    public void resolveOffset(ResolveOffsetRequest r, StreamObserver<ResolveOffsetResponse> out) {
        unary(
                out,
                () -> ResolveOffsetResponse.newBuilder()
                        .setOffset(storage.resolveOffset(
                                Protos.fromProto(r.getTopicPartition()), Protos.fromProto(r.getSpec())))
                        .build());
    }

    @Override
    public void joinGroup(JoinGroupRequest r, StreamObserver<GroupMembership> out) {
        unary(
                out,
                () -> Protos.toProto(storage.joinGroup(
                        r.getGroup(),
                        r.getClientId(),
                        new java.util.LinkedHashSet<>(r.getTopicsList()),
                        r.getSessionTimeoutMillis(),
                        StorageRequests.groupInstanceId(r))));
    }

    @Override
    public void heartbeat(HeartbeatRequest r, StreamObserver<GroupMembership> out) {
        unary(
                out,
                () -> Protos.toProto(storage.heartbeat(
                        r.getGroup(), r.getMemberId(), r.getGeneration(), Protos.fromProto(r.getOwnedList()))));
    }

    @Override
    public void leaveGroup(LeaveGroupRequest r, StreamObserver<LeaveGroupResponse> out) {
        unary(out, () -> {
            storage.leaveGroup(r.getGroup(), r.getMemberId());
            return LeaveGroupResponse.getDefaultInstance();
        });
    }

    @Override
    public void commitOffsets(CommitOffsetsRequest r, StreamObserver<CommitOffsetsResponse> out) {
        unary(out, () -> {
            Map<TopicPartition, Long> offsets = new HashMap<>(r.getOffsetsCount() * 2);
            for (OffsetEntry e : r.getOffsetsList()) {
                offsets.put(Protos.fromProto(e.getTopicPartition()), e.getOffset());
            }
            return CommitOffsetsResponse.newBuilder()
                    .addAllRejected(Protos.toProto(
                            storage.commitOffsets(r.getGroup(), r.getMemberId(), r.getGeneration(), offsets)))
                    .build();
        });
    }

    @Override
    public void committedOffsets(CommittedOffsetsRequest r, StreamObserver<CommittedOffsetsResponse> out) {
        unary(out, () -> {
            CommittedOffsetsResponse.Builder b = CommittedOffsetsResponse.newBuilder();
            storage.committedOffsets(r.getGroup(), Protos.fromProto(r.getPartitionsList()))
                    .forEach((tp, off) -> b.addOffsets(OffsetEntry.newBuilder()
                            .setTopicPartition(Protos.toProto(tp))
                            .setOffset(off)));
            return b.build();
        });
    }

    @Override
    public void listGroups(ListGroupsRequest r, StreamObserver<ListGroupsResponse> out) {
        unary(
                out,
                () -> ListGroupsResponse.newBuilder()
                        .addAllGroups(storage.listGroups())
                        .build());
    }

    @Override
    public void describeGroup(DescribeGroupRequest r, StreamObserver<GroupDescription> out) {
        unary(out, () -> Protos.toProto(storage.describeGroup(r.getGroup())));
    }

    // ---- share groups -----------------------------------------------------------------------------

    @Override
    public void joinShareGroup(
            io.gmq.proto.JoinShareGroupRequest r, StreamObserver<io.gmq.proto.JoinShareGroupResponse> out) {
        unary(
                out,
                () -> io.gmq.proto.JoinShareGroupResponse.newBuilder()
                        .setMemberId(storage.joinShareGroup(
                                r.getGroup(),
                                r.getClientId(),
                                new java.util.LinkedHashSet<>(r.getTopicsList()),
                                r.getSessionTimeoutMillis(),
                                r.getKeyOrdered() ? io.gmq.Ordering.KEY : io.gmq.Ordering.PARTITION,
                                r.hasStartFrom() ? Protos.fromProto(r.getStartFrom()) : io.gmq.OffsetSpec.earliest()))
                        .build());
    }

    @Override
    public void shareHeartbeat(
            io.gmq.proto.ShareMemberRequest r, StreamObserver<io.gmq.proto.ShareMemberResponse> out) {
        unary(out, () -> {
            storage.shareHeartbeat(r.getGroup(), r.getMemberId());
            return io.gmq.proto.ShareMemberResponse.getDefaultInstance();
        });
    }

    @Override
    public void leaveShareGroup(
            io.gmq.proto.ShareMemberRequest r, StreamObserver<io.gmq.proto.ShareMemberResponse> out) {
        unary(out, () -> {
            storage.leaveShareGroup(r.getGroup(), r.getMemberId());
            return io.gmq.proto.ShareMemberResponse.getDefaultInstance();
        });
    }

    @Override
    public void acquire(io.gmq.proto.AcquireRequest r, StreamObserver<io.gmq.proto.AcquireResponse> out) {
        CompletableFuture<io.gmq.storage.ShareAcquisition> f;
        try {
            f = storage.acquire(
                    r.getGroup(),
                    r.getMemberId(),
                    new io.gmq.TopicPartition(r.getTopic(), r.getPartition()),
                    r.getMaxRecords(),
                    r.getLockMillis(),
                    r.getMaxWaitMillis());
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((a, e) -> unary(out, () -> {
            if (e != null) {
                Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                        ? e.getCause()
                        : e;
                throw cause instanceof RuntimeException re ? re : new IllegalStateException(cause);
            }
            return ShareRpc.toProto(a);
        }));
    }

    @Override
    public void settle(io.gmq.proto.SettleRequest r, StreamObserver<io.gmq.proto.SettleResponse> out) {
        unary(out, () -> {
            long[] offsets = new long[r.getOffsetsCount()];
            for (int i = 0; i < offsets.length; i++) {
                offsets[i] = r.getOffsets(i);
            }
            int n = storage.settle(
                            r.getGroup(),
                            r.getMemberId(),
                            new io.gmq.TopicPartition(r.getTopic(), r.getPartition()),
                            offsets,
                            io.gmq.storage.ShareAck.ofCode(r.getKind()),
                            r.getMillis())
                    .join();
            return io.gmq.proto.SettleResponse.newBuilder().setSettled(n).build();
        });
    }

    @Override
    public void describeShareGroup(DescribeGroupRequest r, StreamObserver<io.gmq.proto.ShareGroupDescription> out) {
        unary(out, () -> io.gmq.wire.ShareProtos.toProto(storage.describeShareGroup(r.getGroup())));
    }

    @Override
    public void describeCluster(
            io.gmq.proto.DescribeClusterRequest r, StreamObserver<io.gmq.proto.ClusterDescription> out) {
        unary(out, () -> Protos.toProto(storage.describeCluster()));
    }

    @Override
    public void addStorageNode(
            io.gmq.proto.AddStorageNodeRequest r, StreamObserver<io.gmq.proto.ClusterDescription> out) {
        unary(out, () -> Protos.toProto(storage.addStorageNode(r.getNodeId(), r.getRaftAddress())));
    }

    @Override
    public void removeStorageNode(
            io.gmq.proto.RemoveStorageNodeRequest r, StreamObserver<io.gmq.proto.ClusterDescription> out) {
        unary(out, () -> Protos.toProto(storage.removeStorageNode(r.getNodeId())));
    }

    @Override
    public void schedule(io.gmq.proto.ScheduleRequest r, StreamObserver<io.gmq.proto.ScheduleResponse> out) {
        java.util.concurrent.CompletableFuture<io.gmq.storage.ScheduleResult> scheduled;
        try {
            scheduled = storage.schedule(
                    Protos.fromProto(r.getTopicPartition()),
                    Protos.writableCopy(r.getBatch()),
                    r.getDeliverAtMillis(),
                    r.getAwaitDurable());
        } catch (RuntimeException e) {
            out.onError(GrpcErrors.toStatus(e));
            return;
        }
        scheduled.whenComplete((s, e) -> {
            if (e != null) {
                out.onError(GrpcErrors.toStatus(e));
                return;
            }
            out.onNext(io.gmq.proto.ScheduleResponse.newBuilder()
                    .setScheduleId(s.scheduleId())
                    .setRecordCount(s.recordCount())
                    .setDeliverAtMillis(s.deliverAtMillis())
                    .build());
            out.onCompleted();
        });
    }

    @Override
    public void deleteGroup(io.gmq.proto.DeleteGroupRequest r, StreamObserver<io.gmq.proto.DeleteGroupResponse> out) {
        unary(out, () -> {
            storage.deleteGroup(r.getGroup());
            return io.gmq.proto.DeleteGroupResponse.getDefaultInstance();
        });
    }

    @Override
    public void resetOffsets(ResetOffsetsRequest r, StreamObserver<ResetOffsetsResponse> out) {
        unary(out, () -> {
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
}
