package io.gmq.net.cluster;

import io.gmq.ErrorCode;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.net.storage.StorageShards;
import io.gmq.proto.ClusterCommand;
import io.gmq.proto.ClusterReply;
import io.gmq.proto.NodeAddress;
import io.gmq.storage.ReplicaStorage;
import io.gmq.wire.GrpcErrors;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.GroupInfoRequest;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member of a storage cluster: a Raft server (Apache Ratis, gRPC transport) holding every
 * Raft group of the cluster ({@link RaftShard}: the metadata group and the data groups), a
 * {@link StorageStateMachine} per group, and a Raft client per group that proposes commands. Data
 * layout under the node's data directory: {@code raft/} (one directory per group: its Raft log,
 * metadata and snapshots, the durable copy) and {@code state/NAME/} (each group's replica:
 * partitions and SQLite state, rebuilt at start from the group's newest snapshot and its log).
 *
 * <p>A command proposed on any node goes to its group's leader (the Raft client follows it), is
 * committed once a majority has it fsync'd, and answers with the leader's reply once applied.
 * While a group has no majority, its proposals fail after {@link #PROPOSE_TIMEOUT_MILLIS} with
 * UNAVAILABLE. Each data group prefers another node as its leader, so the leaders, and the work of
 * leading, spread over the nodes.
 */
final class StorageNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StorageNode.class);
    /** Call ids of requests this process makes to its own Raft server. */
    static final AtomicLong CALL_IDS = new AtomicLong();
    /** The metadata group: topics, consumer groups, the nodes' storage addresses; its membership is the cluster's. */
    static final RaftGroupId GROUP_ID = RaftShard.METADATA_ID;

    static final long PROPOSE_TIMEOUT_MILLIS = 15_000;

    private static final long EXPIRY_CHECK_MILLIS = 1_000;

    private final ClusterPeers peers;
    /** The metadata group first, then data groups 0, 1, ... */
    private final List<RaftShard> shards;
    /** Each group's members as this node was started with them. */
    private final Map<RaftGroupId, RaftGroup> initialGroups;
    /** The state machine of each group this node holds or held since it started (registry of its Raft server). */
    private final Map<RaftGroupId, StorageStateMachine> machines;

    private final RaftServer server;
    private final RaftProperties props;
    /** Per group; replaced after a failed proposal: an ordered Raft client does not recover from one. */
    private final Map<RaftGroupId, RaftClient> clients = new ConcurrentHashMap<>();

    /** Asks other nodes for group info (cluster describe). */
    private final GroupInfoClient infoClient = new GroupInfoClient();

    private final ReadBarrier barrier;
    /** Where the data groups this node does not hold are. */
    private final GroupDirectory directory;

    private final ScheduledExecutorService ticker;
    private volatile boolean closed;

    private StorageNode(
            ClusterPeers peers,
            List<RaftShard> shards,
            Map<RaftGroupId, RaftGroup> initialGroups,
            Map<RaftGroupId, StorageStateMachine> machines,
            RaftProperties props,
            RaftServer server) {
        this.props = props;
        this.peers = peers;
        this.shards = List.copyOf(shards);
        this.initialGroups = Map.copyOf(initialGroups);
        this.machines = machines;
        this.server = server;
        this.barrier = new ReadBarrier(server, RaftPeerId.valueOf(peers.self()));
        this.directory = new GroupDirectory(
                RaftPeerId.valueOf(peers.self()),
                this::groupInfo,
                () -> List.copyOf(currentGroup(metadata()).getPeers()),
                shard -> initialGroups.get(shard.id()));
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gmq-cluster-ticker");
            t.setDaemon(true);
            return t;
        });
        ticker.scheduleWithFixedDelay(
                this::expireIfLeader, EXPIRY_CHECK_MILLIS, EXPIRY_CHECK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts the node's Raft server on its address in {@code peers} and its state machine over
     * {@code dataDir}. Returns before the group has a leader.
     */
    static StorageNode start(ClusterPeers peers, Path dataDir, GmqConfig config) {
        return start(peers, dataDir, config, false);
    }

    /**
     * As {@link #start(ClusterPeers, Path, GmqConfig)}; with {@code join}, the node is not a member
     * yet: its Raft server starts with an empty group (as Ratis wants a server it will add), so it
     * holds no election and waits for the leader to bring it up to date once {@code cluster
     * add-node} names it ({@link ClusterMembership}). Its Raft client still knows {@code peers}.
     * Without {@code join}, a node that its own Raft log says was removed is refused.
     */
    static StorageNode start(ClusterPeers peers, Path dataDir, GmqConfig config, boolean join) {
        DataDirClaim.claim(peers, dataDir);
        RaftProperties props = RaftSettings.of(peers, dataDir, config);

        List<RaftShard> shards = new ArrayList<>();
        Map<RaftGroupId, RaftGroup> groups = new HashMap<>();
        for (int i = 0; i <= StorageShards.DATA_GROUPS; i++) {
            RaftShard shard = RaftShard.of(i);
            shards.add(shard);
            groups.put(shard.id(), RaftGroup.valueOf(shard.id(), RaftServerStart.members(peers, i)));
        }
        Map<RaftGroupId, StorageStateMachine> machines = new ConcurrentHashMap<>();
        RaftServer server = RaftServerStart.start(peers, dataDir, config, join, props, shards, groups, machines);
        List<String> held = new ArrayList<>();
        for (RaftShard s : shards) {
            if (machines.containsKey(s.id())) {
                held.add(s.name());
            }
        }
        LOG.info(
                "storage node {} started, Raft on {} with {}, groups {}",
                peers.self(),
                peers.selfAddress(),
                peers.raftAddresses(),
                held);
        return new StorageNode(peers, shards, groups, machines, props, server);
    }

    private static RaftClient newClient(RaftProperties props, RaftGroup group) {
        return RaftClient.newBuilder()
                .setProperties(props)
                .setRaftGroup(group)
                .setClientId(ClientId.randomId())
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(
                        (int) (PROPOSE_TIMEOUT_MILLIS / 100), TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
                .build();
    }

    private RaftClient client(RaftShard shard) {
        RaftClient c = clients.get(shard.id());
        if (c != null) {
            return c;
        }
        synchronized (this) {
            return clients.computeIfAbsent(shard.id(), id -> newClient(props, currentGroup(shard)));
        }
    }

    /**
     * After a proposal failed without an answer (no majority for {@link #PROPOSE_TIMEOUT_MILLIS}),
     * the ordered client that sent it stays failed; a new one takes over. Proposals still
     * outstanding on the old one fail UNAVAILABLE (indeterminate to the caller, as any timeout).
     */
    private void renewClient(RaftShard shard, RaftClient failed) {
        synchronized (this) {
            if (clients.get(shard.id()) != failed || closed) {
                return;
            }
            if (!hosts(shard)) {
                directory.forget(shard);
            }
            clients.put(shard.id(), newClient(props, currentGroup(shard)));
        }
        LOG.info("node {}: Raft client of group {} renewed after a failed proposal", peers.self(), shard.name());
        try {
            failed.close();
        } catch (IOException e) {
            LOG.debug("closing the failed Raft client: {}", e.toString());
        }
    }

    static InetSocketAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return InetSocketAddress.createUnresolved(
                hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    /**
     * Proposes {@code command} to group {@code shard}, stamped with this node's wall clock; the
     * reply's error is thrown as a GmqException.
     */
    CompletableFuture<ClusterReply> propose(RaftShard shard, ClusterCommand.Builder command) {
        byte[] entry = command.setWallMillis(System.currentTimeMillis()).build().toByteArray();
        RaftClient sender = client(shard);
        CompletableFuture<RaftClientReply> sent;
        try {
            sent = sender.async().send(Message.valueOf(UnsafeByteOperations.unsafeWrap(entry)));
        } catch (RuntimeException e) {
            renewClient(shard, sender);
            return CompletableFuture.failedFuture(unavailable(shard, e));
        }
        return sent.handle((reply, failure) -> {
            if (failure != null) {
                renewClient(shard, sender);
                throw new CompletionException(unavailable(shard, GrpcErrors.unwrap(failure)));
            }
            if (!reply.isSuccess()) {
                renewClient(shard, sender);
                throw new CompletionException(unavailable(shard, reply.getException()));
            }
            ClusterReply r;
            try {
                r = ClusterReply.parseFrom(reply.getMessage().getContent().asReadOnlyByteBuffer());
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new CompletionException(new GmqException(ErrorCode.INTERNAL, "unreadable cluster reply", e));
            }
            if (r.hasError()) {
                throw new CompletionException(GrpcErrors.fromProto(r.getError()));
            }
            return r;
        });
    }

    private GmqException unavailable(RaftShard shard, Throwable cause) {
        return new GmqException(
                ErrorCode.UNAVAILABLE,
                "storage cluster: no committed answer from a majority of " + shard.name() + " group "
                        + currentGroup(shard).getPeers().stream()
                                .map(p -> p.getId().toString())
                                .toList() + " (" + cause + "); retry",
                cause);
    }

    /** Makes this node's GmqStorage address known to the others (a replicated entry; retried until it commits). */
    void announce(String storageAddress) {
        propose(
                        metadata(),
                        ClusterCommand.newBuilder()
                                .setNodeAddress(NodeAddress.newBuilder()
                                        .setNodeId(peers.self())
                                        .setStorageAddress(storageAddress)))
                .whenComplete((r, e) -> {
                    if (e != null && !closed) {
                        LOG.info("announcing {} failed ({}); retrying", storageAddress, e.getMessage());
                        ticker.schedule(() -> announce(storageAddress), 1, TimeUnit.SECONDS);
                    }
                });
    }

    private void expireIfLeader() {
        try {
            if (closed || !info(metadata()).isLeader()) {
                return;
            }
            ReplicaStorage s = stateMachine(metadata()).storage();
            if (s != null && !s.listGroups().isEmpty()) {
                propose(
                                metadata(),
                                ClusterCommand.newBuilder()
                                        .setExpireMembers(io.gmq.proto.ExpireMembers.getDefaultInstance()))
                        .join();
            }
        } catch (RuntimeException e) {
            LOG.debug("session expiry proposal failed: {}", e.toString());
        }
    }

    /**
     * Group {@code shard} as this node knows it now: the members of its latest configuration (they
     * change with cluster add-node and remove-node) if it holds the group, else as a member
     * described it ({@link GroupDirectory}); the peers it was started with while neither is known.
     */
    RaftGroup currentGroup(RaftShard shard) {
        RaftGroup initial = initialGroups.get(shard.id());
        if (!hosts(shard)) {
            return shard.isMetadata() ? initial : directory.lookup(shard).group();
        }
        try {
            RaftGroup now = server.getDivision(shard.id()).getGroup();
            return now.getPeers().isEmpty() ? initial : now;
        } catch (IOException | RuntimeException e) {
            return initial;
        }
    }

    /** Whether this node holds a running member of group {@code shard} (the metadata group: always, once started). */
    boolean hosts(RaftShard shard) {
        try {
            return server.getDivision(shard.id()).getInfo().isAlive();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Group {@code shard} as this node sees it: its own member's state when it holds the group,
     * else the members and leader a member described ({@link GroupDirectory}).
     */
    GroupView view(RaftShard shard) {
        if (hosts(shard)) {
            try {
                RaftServer.Division d = server.getDivision(shard.id());
                DivisionInfo i = d.getInfo();
                return new GroupView(
                        d.getGroup(), i.getLeaderId(), true, i.isLeader(), i.isLeaderReady(), i.getCurrentTerm());
            } catch (IOException | RuntimeException e) {
                // it left this node meanwhile: as a group held elsewhere
            }
        }
        GroupDirectory.Entry e = directory.lookup(shard);
        return new GroupView(e.group(), e.leader(), false, false, false, -1);
    }

    /** A call to the leader of a group this node does not hold failed: ask where it is again. */
    void forgetLeader(RaftShard shard) {
        directory.forget(shard);
    }

    /**
     * A group as one node sees it.
     *
     * @param group       its members
     * @param leader      its leader, or null during an election or when unknown
     * @param local       this node holds a member of it
     * @param isLeader    this node leads it
     * @param leaderReady this node leads it and has applied its term's first entry
     * @param term        this node's current term in it, or -1 when not local
     */
    record GroupView(
            RaftGroup group, RaftPeerId leader, boolean local, boolean isLeader, boolean leaderReady, long term) {}

    /** This node's state machine of group {@code shard}, or null if it never held the group. */
    StorageStateMachine stateMachine(RaftShard shard) {
        return machines.get(shard.id());
    }

    /**
     * Runs {@code action} once, when this node's Raft server stops without {@link #close()}: Ratis
     * shuts a member down once it was removed from the group (a removed leader after it committed
     * the change, a removed follower when the leader answers its vote request), or after a fatal
     * error. A node without a running Raft server cannot serve anything.
     */
    void whenRaftStops(Runnable action) {
        AtomicBoolean ran = new AtomicBoolean();
        ticker.scheduleWithFixedDelay(
                () -> {
                    if (closed || ran.get()) {
                        return;
                    }
                    boolean alive;
                    try {
                        alive = server.getDivision(GROUP_ID).getInfo().isAlive();
                    } catch (IOException | RuntimeException e) {
                        alive = false;
                    }
                    if (!alive && !closed && ran.compareAndSet(false, true)) {
                        LOG.warn(
                                "node {}: its Raft server stopped: it was removed from the storage cluster"
                                        + " (cluster remove-node), or failed (see the log above); stopping",
                                peers.self());
                        Thread t = new Thread(action, "gmq-cluster-stopped");
                        t.setDaemon(false);
                        t.start();
                    }
                },
                EXPIRY_CHECK_MILLIS,
                EXPIRY_CHECK_MILLIS,
                TimeUnit.MILLISECONDS);
    }

    DivisionInfo info(RaftShard shard) {
        return division(shard).getInfo();
    }

    RaftServer.Division division(RaftShard shard) {
        try {
            return server.getDivision(shard.id());
        } catch (IOException e) {
            throw new GmqException(
                    ErrorCode.UNAVAILABLE, "storage group " + shard.name() + " is not running on this node: " + e, e);
        }
    }

    /** Completes once this node may answer a read of group {@code shard} from its own replica ({@link ReadBarrier}). */
    CompletableFuture<Void> readBarrier(RaftShard shard) {
        return barrier.await(shard);
    }

    /**
     * Group {@code shard} as the Raft server of node {@code at} describes it: this node's own
     * server, or another's over Raft (at most {@link GroupInfoClient#TIMEOUT_MILLIS}, no retry).
     */
    GroupInfoReply groupInfo(RaftShard shard, RaftPeerId at) throws IOException {
        if (at.toString().equals(peers.self())) {
            return server.getGroupInfo(
                    new GroupInfoRequest(ClientId.randomId(), at, shard.id(), CALL_IDS.incrementAndGet()));
        }
        return infoClient.info(currentGroup(metadata()), shard, at);
    }

    /** The metadata group first, then the data groups in order. */
    List<RaftShard> shards() {
        return shards;
    }

    RaftShard metadata() {
        return shards.get(0);
    }

    /** Data group {@code i} ({@link StorageShards#dataGroupOf}). */
    RaftShard data(int i) {
        return shards.get(1 + i);
    }

    /** Node id -> GmqStorage address, as the nodes announced them (in the metadata group). */
    Map<String, String> storageAddresses() {
        return stateMachine(metadata()).storageAddresses();
    }

    ClusterPeers peers() {
        return peers;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        ticker.shutdownNow();
        infoClient.close();
        for (RaftClient c : clients.values()) {
            try {
                c.close();
            } catch (IOException e) {
                LOG.warn("closing a Raft client: {}", e.toString());
            }
        }
        try {
            server.close();
        } catch (IOException e) {
            LOG.warn("closing the Raft server: {}", e.toString());
        }
    }
}
