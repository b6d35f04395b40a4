package io.gmq.net.cluster;

import io.gmq.ErrorCode;
import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.TopicPartition;
import io.gmq.broker.Storages;
import io.gmq.net.storage.StorageRequests;
import io.gmq.proto.AppendRequest;
import io.gmq.proto.AppendResponse;
import io.gmq.proto.AppendResults;
import io.gmq.proto.ClusterCommand;
import io.gmq.proto.ClusterReply;
import io.gmq.proto.CommitOffsetsResponse;
import io.gmq.proto.OffsetEntry;
import io.gmq.storage.AppendResult;
import io.gmq.storage.ReplicaStorage;
import io.gmq.wire.GrpcErrors;
import io.gmq.wire.Protos;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RaftConfigurationProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a storage group's committed entries to this replica's {@link ReplicaStorage}, in log
 * order, at the entry's time ({@link EntryClock}). Every replica applies the same entries, so
 * every replica's partitions hold the same frames at the same offsets and its group state the
 * same members, generations and offsets.
 *
 * <p>Durability is the Raft log's and the snapshots': an entry is committed once a majority has it
 * fsync'd. The replica's own files are written without fsync and are never trusted after a stop:
 * at every start (and after a snapshot is installed from the leader) the state directory is
 * rebuilt from the latest intact snapshot ({@link ReplicaSnapshots}), or emptied if there is none,
 * and Ratis applies the entries after it again. So a crash never leaves the replica ahead of or
 * behind the log. Ratis takes a snapshot every so many entries ({@link #takeSnapshot()}) and then
 * purges the log up to it. A command that fails (a bad frame, an unknown member) fails the same
 * way on every replica and changes nothing; its error is the reply.
 *
 * <p>Every instance keeps its snapshots in its own Raft group's state machine directory and its
 * replica in its own state directory: several state machines (groups) can share one Raft server.
 */
final class StorageStateMachine extends BaseStateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(StorageStateMachine.class);
    private final String name;
    private final Path stateDir;
    /** The node's data directory, whose cluster-peers file follows this group's membership; null: none does. */
    private final Path membershipDir;

    private final GmqConfig template;
    private final EntryClock clock = new EntryClock();
    private final ReplicaSnapshots snapshots = new ReplicaSnapshots();
    /** The Raft log directory of this group, read at start to check a fallback snapshot against the purge. */
    private volatile Path raftLogDir;
    /** Node id -> address of its GmqStorage service, as the nodes announced them. */
    private final Map<String, String> storageAddresses = new ConcurrentHashMap<>();

    private volatile ReplicaStorage storage;

    /**
     * @param name          the group's name, in log lines
     * @param stateDir      the replica's data directory (rebuilt from the latest snapshot at every start)
     * @param template      limits and defaults for the replica's storage (its data directory, clock
     *                      and flush policy are set here)
     * @param membershipDir the node's data directory when this group's membership is the cluster's
     *                      (the metadata group), whose cluster-peers file follows it; else null
     */
    StorageStateMachine(String name, Path stateDir, GmqConfig template, Path membershipDir) {
        this.name = name;
        this.stateDir = stateDir;
        this.template = template;
        this.membershipDir = membershipDir;
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        snapshots.init(raftStorage);
        raftLogDir = raftStorage.getStorageDir().getCurrentDir().toPath();
        restore(firstLogIndex());
        getLifeCycle().transition(LifeCycle.State.STARTING);
        getLifeCycle().transition(LifeCycle.State.RUNNING);
    }

    /** Ratis pauses the state machine before it publishes a snapshot installed from the leader. */
    @Override
    public void pause() {
        if (getLifeCycleState() == LifeCycle.State.RUNNING) {
            getLifeCycle().transition(LifeCycle.State.PAUSING);
            getLifeCycle().transition(LifeCycle.State.PAUSED);
        }
    }

    /** A snapshot from the leader replaced the state machine directory: restore the replica from it. */
    @Override
    public void reinitialize() throws IOException {
        restore(-1);
        if (snapshots.latest() == null) {
            throw new IOException("node " + getId() + ": no intact snapshot after installing one from the leader"
                    + " (see the warnings above)");
        }
        if (getLifeCycleState() == LifeCycle.State.PAUSED) {
            getLifeCycle().transition(LifeCycle.State.STARTING);
            getLifeCycle().transition(LifeCycle.State.RUNNING);
        }
    }

    /**
     * Rebuilds the replica from the newest intact snapshot (setting aside damaged ones), or empty
     * if there is none, and sets the applied index, clock and addresses to the snapshot's. Ratis
     * then applies the entries after it.
     *
     * @param firstLogIndex the first entry of this node's Raft log, or -1 to skip the check that
     *                      the log reaches back to the snapshot used
     */
    private void restore(long firstLogIndex) throws IOException {
        closeStorage();
        storageAddresses.clear();
        long newestSeen = snapshots.newestIndexSeen();
        for (ReplicaSnapshots.Snapshot s : snapshots.intact()) {
            SnapshotManifest m = s.manifest();
            ReplicaStorage restored;
            try {
                clock.restore(m.clockMillis());
                restored = Storages.openReplica(replicaConfig(), s.dir(), m.checkpoint());
            } catch (GmqException e) {
                if (e.code() != ErrorCode.DATA_LOSS) {
                    throw new IOException(
                            "node " + getId() + ": cannot restore the replica from " + s.dir() + ": " + e.getMessage(),
                            e);
                }
                snapshots.setAside(s.dir(), e.getMessage());
                continue;
            }
            if (s.index() < newestSeen || (firstLogIndex > 0 && s.index() + 1 < firstLogIndex)) {
                // An older snapshot than the newest there was: usable only if the Raft log still
                // holds every entry after it (it was purged up to the newest one at most).
                long first = firstLogIndex > 0 ? firstLogIndex : newestSeen + 1;
                if (s.index() + 1 < first) {
                    restored.close();
                    throw new IOException(unusable(s.index(), first));
                }
            }
            storage = restored;
            storageAddresses.putAll(m.storageAddresses());
            snapshots.select(s);
            setLastAppliedTermIndex(s.termIndex());
            LOG.info(
                    "node {}: replica restored from snapshot {} (index {}); applying the entries after it",
                    getId(),
                    s.dir().getFileName(),
                    s.index());
            return;
        }
        if (newestSeen >= 0 || firstLogIndex > 1) {
            throw new IOException(unusable(-1, Math.max(firstLogIndex, newestSeen + 1)));
        }
        snapshots.select(null);
        clock.restore(0);
        deleteRecursively(stateDir);
        storage = Storages.openReplica(replicaConfig());
    }

    private String unusable(long snapshotIndex, long firstLogIndex) {
        return "node " + getId() + ": "
                + (snapshotIndex < 0
                        ? "no intact snapshot is left"
                        : "the newest intact snapshot is at index " + snapshotIndex)
                + " (see the warnings above) and the Raft log under " + raftLogDir + " starts at index " + firstLogIndex
                + ", so this replica cannot be rebuilt here. The other nodes hold every committed entry: remove this"
                + " node from the cluster, clear its --data-dir and add it again (docs/OPERATIONS.md, storage cluster"
                + " membership)";
    }

    /**
     * The first index of this group's Raft log, from its segment file names ({@code log_FIRST-LAST}
     * and {@code log_inprogress_FIRST}), or -1 if it has none.
     */
    private long firstLogIndex() throws IOException {
        long first = -1;
        if (raftLogDir == null || !Files.isDirectory(raftLogDir)) {
            return first;
        }
        try (Stream<Path> files = Files.list(raftLogDir)) {
            for (Path p : files.toList()) {
                java.util.regex.Matcher m =
                        RAFT_LOG_SEGMENT.matcher(p.getFileName().toString());
                if (m.matches()) {
                    long start = Long.parseLong(m.group(1));
                    first = first < 0 ? start : Math.min(first, start);
                }
            }
        }
        return first;
    }

    private static final java.util.regex.Pattern RAFT_LOG_SEGMENT =
            java.util.regex.Pattern.compile("log_(?:inprogress_)?(\\d+)(?:-\\d+)?");

    private GmqConfig replicaConfig() {
        return template.toBuilder()
                .dataDir(stateDir)
                .timeSource(clock)
                .flushPolicy(FlushPolicy.OS)
                .journalFileBytes(0)
                .build();
    }

    /**
     * Ratis asks for a snapshot every {@code raft.server.snapshot.auto.trigger.threshold} applied
     * entries (and when the server stops), on the applying thread once every applied entry's
     * future has completed, so no change is in flight. Returns the index it covers; Ratis then
     * purges the log up to it (keeping {@code raft.server.log.purge.preservation.log.num} entries).
     */
    @Override
    public long takeSnapshot() throws IOException {
        ReplicaStorage s = storage;
        TermIndex last = getLastAppliedTermIndex();
        if (s == null || last == null || last.getIndex() <= 0) {
            return RaftLog.INVALID_LOG_INDEX;
        }
        ReplicaSnapshots.Snapshot current = snapshots.latest();
        if (current != null && current.index() >= last.getIndex()) {
            return current.index();
        }
        long started = System.nanoTime();
        ReplicaSnapshots.Snapshot taken =
                snapshots.take(s, last, clock.wallMillis(), new java.util.TreeMap<>(storageAddresses));
        LOG.info(
                "node {}: snapshot {} taken in {} ms ({} segments)",
                getId(),
                taken.dir().getFileName(),
                (System.nanoTime() - started) / 1_000_000,
                taken.manifest().checkpoint().segments().size());
        return last.getIndex();
    }

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId member, RaftPeerId newLeader) {
        // Operators (and the failover tests) read who leads from this line. Ratis calls this only
        // when a leader becomes known, never when one is lost: see notifyNotLeader.
        LOG.info(
                "node {}: storage group {} leader is node {}",
                member.getPeerId(),
                name,
                newLeader == null ? "(none: election)" : newLeader);
        if (template.meterRegistry() != null) {
            template.meterRegistry()
                    .counter("gmq.storage.leader.changes", "storage_group", name)
                    .increment();
        }
    }

    /**
     * A committed membership change (cluster add-node or remove-node, or the configuration a new
     * leader writes) reached this replica: the data directory's {@code cluster-peers} follows it.
     */
    @Override
    public void notifyConfigurationChanged(long term, long index, RaftConfigurationProto conf) {
        if (membershipDir == null) {
            return;
        }
        long latest;
        try {
            latest = getServer().join().getDivision(getGroupId()).getRaftConf().getLogEntryIndex();
        } catch (IOException | RuntimeException e) {
            // Without the newest index an older membership could overwrite a newer one: leave the file.
            LOG.warn(
                    "node {}: cluster-peers not updated for the membership at index {}: {}",
                    getId(),
                    index,
                    e.toString());
            return;
        }
        DataDirClaim.follow(membershipDir, getId().toString(), index, conf, latest);
    }

    /**
     * Called by Ratis whenever this node stops leading: it lost its majority (partitioned, or
     * frozen past its followers' election timeout), met a higher term, or is shutting down. Without
     * this line the node's last word would still be that it leads.
     */
    @Override
    public void notifyNotLeader(Collection<TransactionContext> pending) {
        LOG.info(
                "node {}: storage group {} leader is node (none: this node stopped leading; {} proposals pending)",
                getId(),
                name,
                pending.size());
    }

    @Override
    public ReplicaSnapshots getStateMachineStorage() {
        return snapshots;
    }

    /** This replica's storage: what a leader serves reads from. */
    ReplicaStorage storage() {
        return storage;
    }

    Map<String, String> storageAddresses() {
        return storageAddresses;
    }

    /**
     * The query of a read barrier ({@link StorageNode#readBarrier}): by the time Ratis calls it,
     * this node has confirmed it leads and has applied every committed entry; the read itself is
     * then made on {@link #storage()}.
     */
    @Override
    public CompletableFuture<Message> query(Message request) {
        return CompletableFuture.completedFuture(Message.EMPTY);
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        ClusterCommand command;
        try {
            command = ClusterCommand.parseFrom(
                    entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer());
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            // Only a node of another version could have proposed it; every replica refuses it alike.
            updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
            return CompletableFuture.completedFuture(
                    reply(error(GmqException.invalidArgument("unreadable entry: " + e))));
        }
        clock.advanceTo(command.getWallMillis());
        CompletableFuture<ClusterReply> reply;
        try {
            reply = apply(command);
        } catch (RuntimeException e) {
            reply = CompletableFuture.completedFuture(error(e));
        }
        updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
        return reply.exceptionally(StorageStateMachine::error).thenApply(StorageStateMachine::reply);
    }

    private CompletableFuture<ClusterReply> apply(ClusterCommand c) {
        ReplicaStorage s = storage;
        ClusterReply.Builder r = ClusterReply.newBuilder();
        switch (c.getCommandCase()) {
            case CREATE_TOPIC ->
                r.setTopic(Protos.toProto(s.createTopic(
                        c.getCreateTopic().getTopic(),
                        c.getCreateTopic().getPartitions(),
                        io.gmq.TopicConfig.of(c.getCreateTopic().getConfigMap()))));
            case DELETE_GROUP -> s.deleteGroup(c.getDeleteGroup().getGroup());
            case ALTER_TOPIC_CONFIG ->
                r.setTopic(Protos.toProto(s.alterTopicConfig(
                        c.getAlterTopicConfig().getTopic(),
                        c.getAlterTopicConfig().getChangesMap())));
            case DELETE_TOPIC -> s.deleteTopic(c.getDeleteTopic().getTopic());
            case GROW_PARTITIONS -> {
                var g = c.getGrowPartitions();
                r.setTopic(Protos.toProto(
                        g.getBoundariesCount() == 0
                                ? s.createPartitionsOnce(g.getTopic(), g.getPartitions())
                                : s.growPartitions(g.getTopic(), g.getPartitions(), g.getBoundariesList())));
            }
            case APPEND -> {
                return append(s, c.getAppend())
                        .thenApply(a -> ClusterReply.newBuilder().setAppend(a).build());
            }
            case APPENDS -> {
                List<CompletableFuture<AppendResponse>> results = new ArrayList<>();
                for (AppendRequest a : c.getAppends().getAppendsList()) {
                    results.add(append(s, a));
                }
                return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
                        .thenApply(done -> {
                            AppendResults.Builder all = AppendResults.newBuilder();
                            results.forEach(f -> all.addResults(f.join()));
                            return ClusterReply.newBuilder().setAppends(all).build();
                        });
            }
            case JOIN_GROUP -> {
                var j = c.getJoinGroup().getRequest();
                r.setMembership(Protos.toProto(s.joinGroup(
                        j.getGroup(),
                        c.getJoinGroup().getMemberId(),
                        j.getClientId(),
                        new HashSet<>(j.getTopicsList()),
                        j.getSessionTimeoutMillis(),
                        StorageRequests.groupInstanceId(j))));
            }
            case HEARTBEAT -> {
                var h = c.getHeartbeat();
                r.setMembership(Protos.toProto(s.heartbeat(
                        h.getGroup(), h.getMemberId(), h.getGeneration(), Protos.fromProto(h.getOwnedList()))));
            }
            case LEAVE_GROUP ->
                s.leaveGroup(c.getLeaveGroup().getGroup(), c.getLeaveGroup().getMemberId());
            case COMMIT_OFFSETS -> {
                var k = c.getCommitOffsets();
                var rejected =
                        s.commitOffsets(k.getGroup(), k.getMemberId(), k.getGeneration(), offsets(k.getOffsetsList()));
                r.setCommit(CommitOffsetsResponse.newBuilder().addAllRejected(Protos.toProto(rejected)));
            }
            case RESET_OFFSETS -> {
                var k = c.getResetOffsets();
                if (k.hasPartition()) {
                    s.resetOffsets(
                            k.getGroup(),
                            new TopicPartition(k.getTopic(), k.getPartition()),
                            Protos.fromProto(k.getSpec()));
                } else {
                    s.resetOffsets(k.getGroup(), k.getTopic(), Protos.fromProto(k.getSpec()));
                }
            }
            case RESOLVED_RESET -> {
                var k = c.getResolvedReset();
                var q = k.getRequest();
                s.resetOffsetsTo(
                        q.getGroup(),
                        q.getTopic(),
                        q.hasPartition() ? q.getPartition() : -1,
                        offsets(k.getOffsetsList()));
            }
            case EXPIRE_MEMBERS -> r.setExpired(s.expireMembers());
            case NODE_ADDRESS ->
                storageAddresses.put(
                        c.getNodeAddress().getNodeId(), c.getNodeAddress().getStorageAddress());
            case COMMAND_NOT_SET -> throw GmqException.invalidArgument("empty cluster command");
        }
        return CompletableFuture.completedFuture(r.build());
    }

    private static Map<TopicPartition, Long> offsets(List<OffsetEntry> entries) {
        Map<TopicPartition, Long> offsets = new LinkedHashMap<>();
        for (OffsetEntry e : entries) {
            offsets.put(Protos.fromProto(e.getTopicPartition()), e.getOffset());
        }
        return offsets;
    }

    /** One append; its failure (a bad frame, an unknown partition) is its outcome, the same on every replica. */
    private static CompletableFuture<AppendResponse> append(ReplicaStorage s, AppendRequest a) {
        TopicPartition tp = new TopicPartition(a.getTopic(), a.getPartition());
        CompletableFuture<AppendResult> written;
        try {
            // Written, not forced: the Raft log already holds the entry on a majority.
            written = s.append(tp, Protos.writableCopy(a.getBatch()), false, a.getRoutedPartitions());
        } catch (RuntimeException e) {
            written = CompletableFuture.failedFuture(e);
        }
        return written.handle((result, failure) -> failure != null
                ? AppendResponse.newBuilder()
                        .setError(GrpcErrors.toProto(GrpcErrors.unwrap(failure)))
                        .build()
                : AppendResponse.newBuilder()
                        .setBaseOffset(result.baseOffset())
                        .setRecordCount(result.recordCount())
                        .setLogAppendTimeMillis(result.logAppendTimeMillis())
                        .build());
    }

    private static ClusterReply error(Throwable t) {
        return ClusterReply.newBuilder().setError(GrpcErrors.toProto(t)).build();
    }

    private static Message reply(ClusterReply r) {
        return Message.valueOf(UnsafeByteOperations.unsafeWrap(r.toByteArray()));
    }

    @Override
    public void close() throws IOException {
        closeStorage();
        super.close();
    }

    /**
     * The group left this node (cluster add-node or remove-node moved its replica elsewhere) and
     * Ratis deleted its Raft directory: the replica goes too. Should the group come back here,
     * it starts empty and is brought up to date by its leader.
     */
    @Override
    public void notifyGroupRemove() {
        closeStorage();
        try {
            deleteRecursively(stateDir);
            LOG.info("node {}: group {} left this node; its replica {} is deleted", getId(), name, stateDir);
        } catch (IOException | RuntimeException e) {
            LOG.warn(
                    "node {}: group {} left this node; deleting its replica {} failed: {}",
                    getId(),
                    name,
                    stateDir,
                    e.toString());
        }
    }

    private void closeStorage() {
        ReplicaStorage s = storage;
        storage = null;
        if (s != null) {
            s.close();
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
