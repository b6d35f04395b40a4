package io.gmq.net.cluster;

import io.gmq.ClusterDescription;
import io.gmq.ErrorCode;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.GroupDescription;
import io.gmq.OffsetSpec;
import io.gmq.PartitionInfo;
import io.gmq.TopicConfig;
import io.gmq.TopicInfo;
import io.gmq.TopicPartition;
import io.gmq.net.storage.RemoteStorage;
import io.gmq.net.storage.StorageRequests;
import io.gmq.net.storage.StorageShards;
import io.gmq.proto.AppendRequest;
import io.gmq.proto.ClusterCommand;
import io.gmq.proto.ClusterJoin;
import io.gmq.proto.ClusterReply;
import io.gmq.proto.CreateTopicRequest;
import io.gmq.proto.DeleteTopicRequest;
import io.gmq.proto.OffsetEntry;
import io.gmq.proto.ResetOffsetsRequest;
import io.gmq.proto.ResolvedReset;
import io.gmq.storage.AppendResult;
import io.gmq.storage.FetchResult;
import io.gmq.storage.GroupMembership;
import io.gmq.storage.Storage;
import io.gmq.wire.GrpcErrors;
import io.gmq.wire.Protos;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * The {@link Storage} a storage cluster node serves to brokers. Every change is a command in the
 * Raft log of one group ({@link StorageNode#propose}): appends in the data group of their
 * partition ({@link StorageShards#dataGroupOf}), topics and consumer groups in the metadata group.
 * A command is acknowledged once a majority of its group has it durable and the leader has
 * applied it, so an acknowledged append survives any minority of nodes losing their disks. Reads
 * (fetches, offsets, descriptions) are answered from the replica of the group's leader: on the
 * leader directly, after its read barrier ({@link StorageNode#readBarrier}) confirmed it still
 * leads, on another node through the leader's GmqStorage service; so a broker connected to any
 * node sees only committed data, and never older data than a write acknowledged before its read.
 *
 * <p>What the metadata group cannot know, since it holds no partition data, is asked of the data
 * groups: a reset to EARLIEST, LATEST or a time is resolved there first ({@code ResolvedReset}),
 * and a group description's high watermarks and lag come from there. A topic is created in the
 * metadata group first, then in every data group (idempotent); an append that finds its data
 * group without a topic the metadata group has creates it there and is tried once more, so a
 * creation cut short by a failure completes on first use.
 */
public final class ReplicatedStorage implements Storage {
    /** How long a read waits for a leader it can use. */
    static final long LEADER_WAIT_MILLIS = 5_000;

    private final StorageNode node;
    private final GmqConfig config;
    private final int maxInboundBytes;
    private final Map<String, RemoteStorage> leaders = new ConcurrentHashMap<>();
    /** Per data group. */
    private final List<AppendCombiner> appends;
    /** Completes the creation of a topic in a data group, off the Raft reply threads (rare). */
    private final ExecutorService repairs = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "gmq-cluster-topic-repair");
        t.setDaemon(true);
        return t;
    });

    private final ClusterMembership membership;

    private ReplicatedStorage(StorageNode node, GmqConfig config) {
        this.node = node;
        this.config = config;
        this.maxInboundBytes = config.maxBatchBytes() + (1 << 20);
        List<AppendCombiner> combiners = new ArrayList<>();
        for (int i = 0; i < StorageShards.DATA_GROUPS; i++) {
            RaftShard shard = node.data(i);
            combiners.add(new AppendCombiner(c -> node.propose(shard, c), COMBINED_ENTRY_BYTES, APPENDS_IN_FLIGHT));
        }
        this.appends = List.copyOf(combiners);
        this.membership = new ClusterMembership(node, this::describeCluster, maxInboundBytes);
    }

    /**
     * Bytes of batches combined into one Raft entry: large enough that a loaded node sends few
     * entries, small enough that one entry's force and transfer stay short.
     */
    static final int COMBINED_ENTRY_BYTES = 1 << 20;

    /**
     * Append entries in flight per data group and node. One: on one 2-core machine a second one
     * (2026-12-04, produce of 1 M records, one group) gave 74k records/s against 82k, and smaller
     * entries cost more per record. AppendCombiner allows more for a deployment where it pays.
     */
    static final int APPENDS_IN_FLIGHT = 1;

    /** Starts this node of the cluster {@code peers} over {@code dataDir}; {@link #announce} once it serves. */
    public static ReplicatedStorage start(ClusterPeers peers, Path dataDir, GmqConfig config) {
        return start(peers, dataDir, config, false);
    }

    /**
     * As {@link #start(ClusterPeers, Path, GmqConfig)}; with {@code join}, a node that is not a
     * member yet and waits for cluster add-node ({@code peers}: the members and this node).
     */
    public static ReplicatedStorage start(ClusterPeers peers, Path dataDir, GmqConfig config, boolean join) {
        return new ReplicatedStorage(StorageNode.start(peers, dataDir, config, join), config);
    }

    /**
     * Runs {@code action} once when this node's Raft server stops by itself: it was removed from
     * the cluster, or failed. The process should stop then (it can serve nothing).
     */
    public void whenRaftStops(Runnable action) {
        node.whenRaftStops(action);
    }

    @Override
    public io.gmq.ClusterDescription addStorageNode(String nodeId, String raftAddress) {
        return membership.add(nodeId, raftAddress);
    }

    @Override
    public io.gmq.ClusterDescription removeStorageNode(String nodeId) {
        return membership.remove(nodeId);
    }

    /** Tells the other nodes where this one serves GmqStorage, so they can pass reads to it when it leads. */
    public void announce(String storageAddress) {
        node.announce(storageAddress);
    }

    /** Every group as its leader sees it ({@link ClusterDescriptions#of(StorageNode)}). */
    @Override
    public ClusterDescription describeCluster() {
        return ClusterDescriptions.of(node);
    }

    /** Node id of the metadata group's leader as this node knows it, or "" during an election. */
    public String leader() {
        var id = node.view(node.metadata()).leader();
        return id == null ? "" : id.toString();
    }

    // ---- topics ---------------------------------------------------------------------------------

    @Override
    public TopicInfo createTopic(String topic, int partitions, TopicConfig settings) {
        TopicInfo created =
                Protos.fromProto(propose(node.metadata(), createCommand(new TopicInfo(topic, partitions, settings)))
                        .getTopic());
        for (int i = 0; i < StorageShards.DATA_GROUPS; i++) {
            propose(node.data(i), createCommand(created));
        }
        return created;
    }

    private static Function<ClusterCommand.Builder, ClusterCommand.Builder> createCommand(TopicInfo t) {
        return c -> c.setCreateTopic(CreateTopicRequest.newBuilder()
                .setTopic(t.name())
                .setPartitions(t.partitions())
                .putAllConfig(t.config().values()));
    }

    /**
     * Changed in the metadata group first (it checks the topic and the settings), then in each data
     * group (retention and segments act there), each step idempotent: a change cut short is
     * completed by the same call again.
     */
    @Override
    public TopicInfo alterTopicConfig(String topic, Map<String, String> changes) {
        Function<ClusterCommand.Builder, ClusterCommand.Builder> alter =
                c -> c.setAlterTopicConfig(io.gmq.proto.AlterTopicConfigRequest.newBuilder()
                        .setTopic(topic)
                        .putAllChanges(changes));
        TopicInfo altered = Protos.fromProto(propose(node.metadata(), alter).getTopic());
        for (int i = 0; i < StorageShards.DATA_GROUPS; i++) {
            try {
                propose(node.data(i), alter);
            } catch (GmqException e) {
                if (e.code() != ErrorCode.NOT_FOUND) {
                    throw e;
                }
                completeTopic(i, topic); // created there with the settings it has now
            }
        }
        return altered;
    }

    /**
     * Grown in every data group first, each replica taking the boundaries of its partitions from
     * its own logs where the entry lies in the group's log (keyed appends after it, routed with the
     * old count, are refused there), then in the metadata group with, for each partition, the
     * boundary its data group answered. Brokers read the count from the metadata group, so nobody
     * routes with the new count before every data group has it. Each step is idempotent: a growth
     * cut short is completed by the same call again.
     */
    @Override
    public TopicInfo createPartitions(String topic, int partitions) {
        TopicInfo now = read(node.metadata(), s -> s.topic(topic, false));
        PartitionGrowthsMerge.check(now, partitions, config.maxPartitionsPerTopic());
        PartitionGrowthsMerge merge = new PartitionGrowthsMerge(now, partitions);
        for (int i = 0; i < StorageShards.DATA_GROUPS; i++) {
            int group = i;
            Function<ClusterCommand.Builder, ClusterCommand.Builder> grow = c -> c.setGrowPartitions(
                    io.gmq.proto.GrowPartitions.newBuilder().setTopic(topic).setPartitions(partitions));
            ClusterReply reply;
            try {
                reply = propose(node.data(group), grow);
            } catch (GmqException e) {
                if (e.code() != ErrorCode.NOT_FOUND) {
                    throw e;
                }
                completeTopic(group, topic); // created there with the count it has now, then grown
                reply = propose(node.data(group), grow);
            }
            merge.add(group, Protos.fromProto(reply.getTopic()));
        }
        List<Long> boundaries = merge.boundaries();
        return Protos.fromProto(propose(
                        node.metadata(),
                        c -> c.setGrowPartitions(io.gmq.proto.GrowPartitions.newBuilder()
                                .setTopic(topic)
                                .setPartitions(partitions)
                                .addAllBoundaries(boundaries)))
                .getTopic());
    }

    @Override
    public TopicInfo topic(String topic, boolean autoCreate) {
        try {
            return read(node.metadata(), s -> s.topic(topic, false));
        } catch (GmqException e) {
            if (!autoCreate || e.code() != ErrorCode.NOT_FOUND) {
                throw e;
            }
            return createTopic(topic, config.defaultPartitions(), TopicConfig.empty());
        }
    }

    @Override
    public List<TopicInfo> listTopics() {
        return read(node.metadata(), Storage::listTopics);
    }

    /** Deleted from the data groups first, the metadata group last: a retry after a failure finds the topic still there. */
    @Override
    public void deleteTopic(String topic) {
        read(node.metadata(), s -> s.topic(topic, false)); // NOT_FOUND, as a single storage says it
        for (int i = 0; i < StorageShards.DATA_GROUPS; i++) {
            try {
                propose(
                        node.data(i),
                        c -> c.setDeleteTopic(DeleteTopicRequest.newBuilder().setTopic(topic)));
            } catch (GmqException e) {
                if (e.code() != ErrorCode.NOT_FOUND) {
                    throw e;
                }
            }
        }
        propose(
                node.metadata(),
                c -> c.setDeleteTopic(DeleteTopicRequest.newBuilder().setTopic(topic)));
    }

    // ---- log ------------------------------------------------------------------------------------

    @Override
    public CompletableFuture<AppendResult> append(TopicPartition tp, ByteBuffer batch, boolean awaitDurable) {
        return append(tp, batch, awaitDurable, 0);
    }

    @Override
    public CompletableFuture<AppendResult> append(
            TopicPartition tp, ByteBuffer batch, boolean awaitDurable, int routedPartitions) {
        int group = StorageShards.dataGroupOf(tp);
        AppendRequest request = AppendRequest.newBuilder()
                .setTopic(tp.topic())
                .setPartition(tp.partition())
                .setBatch(Protos.bytes(batch))
                .setAwaitDurable(awaitDurable)
                .setRoutedPartitions(Math.max(0, routedPartitions))
                .build();
        return appends.get(group).append(request).exceptionallyCompose(failure -> {
            if (!(GrpcErrors.unwrap(failure) instanceof GmqException g) || g.code() != ErrorCode.NOT_FOUND) {
                return CompletableFuture.failedFuture(failure);
            }
            return CompletableFuture.supplyAsync(() -> completeTopic(group, tp.topic()), repairs)
                    .thenCompose(completed ->
                            completed ? appends.get(group).append(request) : CompletableFuture.failedFuture(failure));
        });
    }

    /**
     * Creates {@code topic} in data group {@code group} if the metadata group has it (a creation
     * cut short after the metadata group); false if the topic does not exist at all.
     */
    private boolean completeTopic(int group, String topic) {
        TopicInfo t;
        try {
            t = read(node.metadata(), s -> s.topic(topic, false));
        } catch (GmqException e) {
            if (e.code() == ErrorCode.NOT_FOUND) {
                return false;
            }
            throw e;
        }
        propose(node.data(group), createCommand(t));
        return true;
    }

    @Override
    public CompletableFuture<FetchResult> fetch(TopicPartition tp, long offset, int maxBytes, long maxWaitMillis) {
        RaftShard shard = dataShard(tp);
        Storage s;
        try {
            s = reader(shard);
        } catch (GmqException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (s instanceof RemoteStorage) {
            return s.fetch(tp, offset, maxBytes, maxWaitMillis);
        }
        return node.readBarrier(shard).thenCompose(confirmed -> s.fetch(tp, offset, maxBytes, maxWaitMillis));
    }

    @Override
    public PartitionInfo partitionInfo(TopicPartition tp) {
        return read(dataShard(tp), s -> s.partitionInfo(tp));
    }

    @Override
    public long resolveOffset(TopicPartition tp, OffsetSpec spec) {
        return read(dataShard(tp), s -> s.resolveOffset(tp, spec));
    }

    private RaftShard dataShard(TopicPartition tp) {
        return node.data(StorageShards.dataGroupOf(tp));
    }

    // ---- groups ---------------------------------------------------------------------------------

    @Override
    public GroupMembership joinGroup(String group, String clientId, Set<String> topics, long sessionTimeoutMillis) {
        return joinGroup(group, clientId, topics, sessionTimeoutMillis, null);
    }

    @Override
    public GroupMembership joinGroup(
            String group, String clientId, Set<String> topics, long sessionTimeoutMillis, String groupInstanceId) {
        String memberId = clientId + "-" + UUID.randomUUID();
        return Protos.fromProto(propose(
                        node.metadata(),
                        c -> c.setJoinGroup(ClusterJoin.newBuilder()
                                .setMemberId(memberId)
                                .setRequest(StorageRequests.joinGroup(
                                        group, clientId, topics, sessionTimeoutMillis, groupInstanceId))))
                .getMembership());
    }

    @Override
    public GroupMembership heartbeat(String group, String memberId, int generation, Set<TopicPartition> owned) {
        return Protos.fromProto(propose(
                        node.metadata(),
                        c -> c.setHeartbeat(StorageRequests.heartbeat(group, memberId, generation, owned)))
                .getMembership());
    }

    @Override
    public void leaveGroup(String group, String memberId) {
        propose(node.metadata(), c -> c.setLeaveGroup(StorageRequests.leaveGroup(group, memberId)));
    }

    @Override
    public Set<TopicPartition> commitOffsets(
            String group, String memberId, int generation, Map<TopicPartition, Long> offsets) {
        return Protos.fromProto(propose(
                        node.metadata(),
                        c -> c.setCommitOffsets(StorageRequests.commitOffsets(group, memberId, generation, offsets)))
                .getCommit()
                .getRejectedList());
    }

    @Override
    public Map<TopicPartition, Long> committedOffsets(String group, Collection<TopicPartition> partitions) {
        return read(node.metadata(), s -> s.committedOffsets(group, partitions));
    }

    /** A metadata-group entry: every replica drops the group's offsets (refused while it has members). */
    @Override
    public void deleteGroup(String group) {
        propose(
                node.metadata(),
                c -> c.setDeleteGroup(
                        io.gmq.proto.DeleteGroupRequest.newBuilder().setGroup(group)));
    }

    @Override
    public List<String> listGroups() {
        return read(node.metadata(), Storage::listGroups);
    }

    /** The metadata group's description with each partition's high watermark and lag from its data group. */
    @Override
    public GroupDescription describeGroup(String group) {
        GroupDescription d = read(node.metadata(), s -> s.describeGroup(group));
        List<GroupDescription.PartitionProgress> partitions = new ArrayList<>();
        for (GroupDescription.PartitionProgress p : d.partitions()) {
            long hw = partitionInfo(p.topicPartition()).highWatermark();
            long lag = Math.max(0, hw - Math.max(0, p.committedOffset()));
            partitions.add(new GroupDescription.PartitionProgress(
                    p.topicPartition(), p.ownerMemberId(), p.committedOffset(), hw, lag));
        }
        return new GroupDescription(d.group(), d.generation(), d.members(), partitions);
    }

    @Override
    public void resetOffsets(String group, String topic, OffsetSpec spec) {
        resolvedReset(StorageRequests.resetOffsets(group, topic, spec));
    }

    @Override
    public void resetOffsets(String group, TopicPartition partition, OffsetSpec spec) {
        resolvedReset(StorageRequests.resetOffsets(group, partition, spec));
    }

    /** Resolves {@code request}'s spec in the data groups, then has the metadata group store the offsets. */
    private void resolvedReset(ResetOffsetsRequest request) {
        TopicInfo t = read(node.metadata(), s -> s.topic(request.getTopic(), false));
        OffsetSpec spec = Protos.fromProto(request.getSpec());
        ResolvedReset.Builder reset = ResolvedReset.newBuilder().setRequest(request);
        for (int p = 0; p < t.partitions(); p++) {
            if (request.hasPartition() && request.getPartition() != p) {
                continue;
            }
            TopicPartition tp = new TopicPartition(t.name(), p);
            reset.addOffsets(OffsetEntry.newBuilder()
                    .setTopicPartition(Protos.toProto(tp))
                    .setOffset(resolveOffset(tp, spec)));
        }
        propose(node.metadata(), c -> c.setResolvedReset(reset));
    }

    // ---- plumbing -------------------------------------------------------------------------------

    private ClusterReply propose(RaftShard shard, Function<ClusterCommand.Builder, ClusterCommand.Builder> command) {
        try {
            return node.propose(shard, command.apply(ClusterCommand.newBuilder()))
                    .join();
        } catch (CompletionException e) {
            throw GrpcErrors.toGmq(e.getCause());
        }
    }

    /**
     * {@code query} on the replica of {@code shard}'s leader: this node's own once its read
     * barrier confirmed it leads and applied everything committed, else the leader's. A leader
     * that stopped answering (it died; the election is under way), or this node finding it no
     * longer leads, is retried within {@link #LEADER_WAIT_MILLIS} at the leader known then.
     */
    private <T> T read(RaftShard shard, Function<Storage, T> query) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LEADER_WAIT_MILLIS);
        while (true) {
            try {
                Storage s = reader(shard);
                if (!(s instanceof RemoteStorage)) {
                    awaitBarrier(shard);
                }
                return query.apply(s);
            } catch (GmqException e) {
                if (e.code() != ErrorCode.UNAVAILABLE || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                node.forgetLeader(shard);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    private void awaitBarrier(RaftShard shard) {
        try {
            node.readBarrier(shard).join();
        } catch (CompletionException e) {
            throw GrpcErrors.toGmq(e.getCause());
        }
    }

    /**
     * The replica of {@code shard}'s leader: this node's own if it leads, else a GmqStorage
     * connection to the leader. During an election (no leader, a leader not ready yet, or one
     * whose address is not known yet) it waits up to {@link #LEADER_WAIT_MILLIS}, about two
     * election timeouts, so a broker sees an election as a slow answer rather than an error; then
     * UNAVAILABLE.
     */
    private Storage reader(RaftShard shard) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LEADER_WAIT_MILLIS);
        while (true) {
            var view = node.view(shard);
            String waitingFor;
            if (view.isLeader()) {
                if (view.leaderReady()) {
                    return node.stateMachine(shard).storage();
                }
                waitingFor = "storage node " + node.peers().self() + " was just elected leader of group " + shard.name()
                        + " and is not ready";
            } else if (view.leader() == null) {
                waitingFor = "storage group " + shard.name() + " has no leader (election under way)";
            } else {
                String leader = view.leader().toString();
                String address = node.storageAddresses().get(leader);
                if (address != null) {
                    return remote(address);
                }
                waitingFor = "storage group " + shard.name() + "'s leader " + leader
                        + " has not announced its storage address";
            }
            if (System.nanoTime() - deadline > 0) {
                throw new GmqException(
                        ErrorCode.UNAVAILABLE, waitingFor + " after " + LEADER_WAIT_MILLIS + " ms; retry");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    private RemoteStorage remote(String address) {
        return leaders.computeIfAbsent(address, a -> RemoteStorage.connect(a, maxInboundBytes));
    }

    /** This node's own replica of data group {@code i} (tests compare replicas). */
    io.gmq.storage.ReplicaStorage replica(int i) {
        return node.stateMachine(node.data(i)).storage();
    }

    /** This node's own replica of the group holding {@code tp} (tests compare replicas). */
    io.gmq.storage.ReplicaStorage replica(TopicPartition tp) {
        return node.stateMachine(dataShard(tp)).storage();
    }

    /** This node's own replica of the metadata group. */
    io.gmq.storage.ReplicaStorage metadataReplica() {
        return node.stateMachine(node.metadata()).storage();
    }

    boolean isLeader() {
        return node.view(node.metadata()).isLeader();
    }

    StorageNode node() {
        return node;
    }

    @Override
    public void close() {
        repairs.shutdownNow();
        leaders.values().forEach(RemoteStorage::close);
        leaders.clear();
        node.close();
    }
}
