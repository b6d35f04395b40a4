package io.gmq.net.cluster;

import io.gmq.ErrorCode;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.proto.ClusterCommand;
import io.gmq.proto.ClusterReply;
import io.gmq.proto.NodeAddress;
import io.gmq.storage.ReplicaStorage;
import io.gmq.wire.GrpcErrors;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member of a storage cluster: a Raft server (Apache Ratis, gRPC transport) for the storage
 * group, its {@link StorageStateMachine}, and a Raft client that proposes commands. Data layout
 * under the node's data directory: {@code raft/} (the Raft log and metadata, the durable copy)
 * and {@code state/} (the replica's partitions and SQLite state, rebuilt from the log at start).
 *
 * <p>A command proposed on any node goes to the leader (the Raft client follows it), is
 * committed once a majority has it fsync'd, and answers with the leader's reply once applied.
 * While there is no majority, proposals fail after {@link #PROPOSE_TIMEOUT_MILLIS} with
 * UNAVAILABLE.
 */
final class StorageNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StorageNode.class);
    /** The storage group of every GMQ storage cluster (one group; partitions are not sharded yet). */
    static final RaftGroupId GROUP_ID =
            RaftGroupId.valueOf(UUID.nameUUIDFromBytes("gmq-storage".getBytes(StandardCharsets.UTF_8)));

    static final long PROPOSE_TIMEOUT_MILLIS = 15_000;
    private static final long EXPIRY_CHECK_MILLIS = 1_000;

    private final ClusterPeers peers;
    private final RaftGroup group;
    private final RaftServer server;
    private final RaftProperties props;
    /** Replaced after a failed proposal: an ordered Raft client does not recover from one. */
    private volatile RaftClient client;

    private final StorageStateMachine stateMachine;
    private final ScheduledExecutorService ticker;
    private volatile boolean closed;

    private StorageNode(
            ClusterPeers peers,
            RaftGroup group,
            RaftProperties props,
            RaftServer server,
            RaftClient client,
            StorageStateMachine sm) {
        this.props = props;
        this.peers = peers;
        this.group = group;
        this.server = server;
        this.client = client;
        this.stateMachine = sm;
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
        RaftProperties props = new RaftProperties();
        RaftServerConfigKeys.setStorageDir(
                props, List.of(dataDir.resolve("raft").toFile()));
        InetSocketAddress self = address(peers.selfAddress());
        GrpcConfigKeys.Server.setHost(props, self.getHostString());
        GrpcConfigKeys.Server.setPort(props, self.getPort());
        // An entry holds at most one batch and its envelope; Ratis wants 1 MiB of headroom above it.
        long entryLimit = config.maxBatchBytes() + (1L << 20);
        RaftServerConfigKeys.Log.Appender.setBufferByteLimit(props, SizeInBytes.valueOf(entryLimit));
        GrpcConfigKeys.setMessageSizeMax(props, SizeInBytes.valueOf(entryLimit + (1L << 20)));
        RaftServerConfigKeys.Log.setWriteBufferSize(props, SizeInBytes.valueOf(entryLimit + (64 << 10)));
        // Ratis keeps recent log segments in memory for followers that lag; bound it to a few.
        RaftServerConfigKeys.Log.setSegmentCacheNumMax(props, 2);
        RaftServerConfigKeys.Log.setSegmentCacheSizeMax(
                props, SizeInBytes.valueOf(Math.max(64L << 20, 2 * entryLimit)));
        // Ratis purges whole closed segments only: smaller ones let a purge behind a snapshot free
        // more of the log (34 MiB with the default 16 MiB batch limit; 64 MiB kept a 40 MB log whole).
        RaftServerConfigKeys.Log.setSegmentSizeMax(props, SizeInBytes.valueOf(Math.max(8L << 20, 2 * entryLimit)));
        // Elections on a loaded machine: a leader missing for a second is not worth a new term.
        RaftServerConfigKeys.Rpc.setTimeoutMin(props, TimeDuration.valueOf(1000, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setTimeoutMax(props, TimeDuration.valueOf(2000, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setRequestTimeout(props, TimeDuration.valueOf(5000, TimeUnit.MILLISECONDS));

        // The appender's default 1 ms pause between AppendEntries calls is latency on every
        // commit (Ozone runs with 0 too); entries that queue meanwhile still go out together.
        RaftServerConfigKeys.Log.Appender.setWaitTimeMin(props, TimeDuration.ZERO);
        // Heartbeats on the append stream, not on a channel of their own (Ratis 3.3's default):
        // once, a node started last got one heartbeat INCONSISTENCY reply and then no entry for
        // minutes (docs/FAULTS.md, findings); the separate channel is where Ratis has had such bugs.
        GrpcConfigKeys.Server.setHeartbeatChannel(props, false);
        // Snapshots (docs/CLUSTER.md, "Snapshots"): every ReplicaSnapshots.INTERVAL_ENTRIES applied entries,
        // and at a clean stop. The log is then purged up to the snapshot whatever the followers
        // have (a follower behind it gets the snapshot), but the last INTERVAL_ENTRIES
        // entries are kept: a follower briefly away catches up from the log, and a restart can
        // fall back to the previous snapshot if the newest is found damaged.
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(props, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(props, ReplicaSnapshots.INTERVAL_ENTRIES);
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(props, ReplicaSnapshots.RETAINED);
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(props, true);
        RaftServerConfigKeys.Log.setPurgePreservationLogNum(props, ReplicaSnapshots.INTERVAL_ENTRIES);
        // A snapshot travels in chunks that must fit a gRPC message.
        RaftServerConfigKeys.Log.Appender.setSnapshotChunkSizeMax(props, SizeInBytes.valueOf(1 << 20));
        applyRaftOverrides(props);

        List<RaftPeer> members = peers.raftAddresses().entrySet().stream()
                .map(e -> RaftPeer.newBuilder()
                        .setId(RaftPeerId.valueOf(e.getKey()))
                        .setAddress(e.getValue())
                        .build())
                .toList();
        RaftGroup group = RaftGroup.valueOf(GROUP_ID, members);
        StorageStateMachine sm = new StorageStateMachine(dataDir.resolve("state"), config);
        RaftServer server = null;
        try {
            server = RaftServer.newBuilder()
                    .setServerId(RaftPeerId.valueOf(peers.self()))
                    .setGroup(join ? RaftGroup.valueOf(GROUP_ID) : group)
                    .setProperties(props)
                    .setStateMachine(sm)
                    .setOption(RaftStorage.StartupOption.RECOVER)
                    .build();
            server.start();
            if (!join) {
                refuseIfRemoved(server, peers);
            }
        } catch (GmqException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            closeQuietly(server); // a server that failed to start still holds its log's lock and threads
            throw startFailure(peers, dataDir, e);
        }
        RaftClient client = newClient(props, group);
        LOG.info(
                "storage node {} started, Raft on {} with {}",
                peers.self(),
                peers.selfAddress(),
                peers.raftAddresses());
        return new StorageNode(peers, group, props, server, client, sm);
    }

    /** Ratis keys prefixed with "gmq." as JVM system properties, e.g. -Dgmq.raft.server.log.force.sync.num=64. */
    static final String RAFT_OVERRIDE_PREFIX = "gmq.raft.";

    /** Expert tuning: every {@code -Dgmq.raft.*} system property is set on the Ratis properties (without "gmq."). */
    private static void applyRaftOverrides(RaftProperties props) {
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith(RAFT_OVERRIDE_PREFIX)) {
                String key = name.substring("gmq.".length());
                props.set(key, System.getProperty(name));
                LOG.info("Ratis setting {} = {} (from -D{})", key, System.getProperty(name), name);
            }
        }
    }

    private static void closeQuietly(RaftServer server) {
        if (server == null) {
            return;
        }
        try {
            server.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("closing a Raft server that failed to start: {}", e.toString());
        }
    }

    /**
     * Why the Raft server did not start, said plainly: a Raft log that fails its checksums is
     * refused (this node may have acknowledged entries it no longer holds, so it must not vote or
     * serve until it is replaced), anything else is reported as it came.
     */
    private static GmqException startFailure(ClusterPeers peers, Path dataDir, Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof org.apache.ratis.protocol.exceptions.ChecksumException) {
                return new GmqException(
                        ErrorCode.DATA_LOSS,
                        "node " + peers.self() + ": the Raft log under " + dataDir.resolve("raft")
                                + " is corrupt (" + t.getMessage() + "); refusing to start with it. The other"
                                + " nodes hold every committed entry: remove this node from the cluster, clear its"
                                + " --data-dir and add it again (docs/OPERATIONS.md, storage cluster membership)",
                        e);
            }
        }
        return new GmqException(
                ErrorCode.UNAVAILABLE,
                "cannot start the Raft server of node " + peers.self() + " on " + peers.selfAddress() + ": " + e,
                e);
    }

    /**
     * A node whose Raft log's latest configuration leaves it out was removed (cluster remove-node):
     * started as a member it would wait forever for a leader that never contacts it.
     */
    private static void refuseIfRemoved(RaftServer server, ClusterPeers peers) throws IOException {
        var conf = server.getDivision(GROUP_ID).getRaftConf();
        var members = conf.getCurrentPeers();
        if (!members.isEmpty() && conf.getPeer(RaftPeerId.valueOf(peers.self())) == null) {
            server.close();
            throw new GmqException(
                    ErrorCode.FAILED_PRECONDITION,
                    "node " + peers.self() + " was removed from the storage cluster: its Raft log's membership is "
                            + ClusterMembership.line(members) + "; to add it again, start it with an empty --data-dir"
                            + " and --join, then run cluster add-node");
        }
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

    /**
     * After a proposal failed without an answer (no majority for {@link #PROPOSE_TIMEOUT_MILLIS}),
     * the ordered client that sent it stays failed; a new one takes over. Proposals still
     * outstanding on the old one fail UNAVAILABLE (indeterminate to the caller, as any timeout).
     */
    private void renewClient(RaftClient failed) {
        synchronized (this) {
            if (client != failed || closed) {
                return;
            }
            client = newClient(props, currentGroup());
        }
        LOG.info("node {}: Raft client renewed after a failed proposal", peers.self());
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

    /** Proposes {@code command} stamped with this node's wall clock; the reply's error is thrown as a GmqException. */
    CompletableFuture<ClusterReply> propose(ClusterCommand.Builder command) {
        byte[] entry = command.setWallMillis(System.currentTimeMillis()).build().toByteArray();
        RaftClient sender = client;
        CompletableFuture<RaftClientReply> sent;
        try {
            sent = sender.async().send(Message.valueOf(UnsafeByteOperations.unsafeWrap(entry)));
        } catch (RuntimeException e) {
            renewClient(sender);
            return CompletableFuture.failedFuture(unavailable(e));
        }
        return sent.handle((reply, failure) -> {
            if (failure != null) {
                renewClient(sender);
                throw new CompletionException(unavailable(GrpcErrors.unwrap(failure)));
            }
            if (!reply.isSuccess()) {
                renewClient(sender);
                throw new CompletionException(unavailable(reply.getException()));
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

    private GmqException unavailable(Throwable cause) {
        return new GmqException(
                ErrorCode.UNAVAILABLE,
                "storage cluster: no committed answer from a majority of "
                        + currentGroup().getPeers().stream()
                                .map(p -> p.getId().toString())
                                .toList() + " (" + cause + "); retry",
                cause);
    }

    /** Makes this node's GmqStorage address known to the others (a replicated entry; retried until it commits). */
    void announce(String storageAddress) {
        propose(ClusterCommand.newBuilder()
                        .setNodeAddress(
                                NodeAddress.newBuilder().setNodeId(peers.self()).setStorageAddress(storageAddress)))
                .whenComplete((r, e) -> {
                    if (e != null && !closed) {
                        LOG.info("announcing {} failed ({}); retrying", storageAddress, e.getMessage());
                        ticker.schedule(() -> announce(storageAddress), 1, TimeUnit.SECONDS);
                    }
                });
    }

    private void expireIfLeader() {
        try {
            if (closed || !info().isLeader()) {
                return;
            }
            ReplicaStorage s = stateMachine.storage();
            if (s != null && !s.listGroups().isEmpty()) {
                propose(ClusterCommand.newBuilder().setExpireMembers(io.gmq.proto.ExpireMembers.getDefaultInstance()))
                        .join();
            }
        } catch (RuntimeException e) {
            LOG.debug("session expiry proposal failed: {}", e.toString());
        }
    }

    /**
     * The storage group as this node knows it now: the members of its latest configuration (they
     * change with cluster add-node and remove-node), or the peers it was started with while its
     * Raft server is not running.
     */
    RaftGroup currentGroup() {
        try {
            RaftGroup now = server.getDivision(GROUP_ID).getGroup();
            return now.getPeers().isEmpty() ? group : now;
        } catch (IOException | RuntimeException e) {
            return group;
        }
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

    DivisionInfo info() {
        return division().getInfo();
    }

    RaftServer.Division division() {
        try {
            return server.getDivision(GROUP_ID);
        } catch (IOException e) {
            throw new GmqException(ErrorCode.UNAVAILABLE, "storage group is not running on this node: " + e, e);
        }
    }

    StorageStateMachine stateMachine() {
        return stateMachine;
    }

    ClusterPeers peers() {
        return peers;
    }

    RaftGroup group() {
        return group;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        ticker.shutdownNow();
        try {
            client.close();
        } catch (IOException e) {
            LOG.warn("closing the Raft client: {}", e.toString());
        }
        try {
            server.close();
        } catch (IOException e) {
            LOG.warn("closing the Raft server: {}", e.toString());
        }
    }
}
