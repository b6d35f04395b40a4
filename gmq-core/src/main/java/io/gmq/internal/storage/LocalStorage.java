package io.gmq.internal.storage;

import io.gmq.ErrorCode;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.GroupDescription;
import io.gmq.OffsetSpec;
import io.gmq.PartitionInfo;
import io.gmq.TopicConfig;
import io.gmq.TopicInfo;
import io.gmq.TopicPartition;
import io.gmq.internal.group.GroupCoordinator;
import io.gmq.internal.log.LogManager;
import io.gmq.internal.log.PartitionLog;
import io.gmq.internal.schedule.DelayScheduler;
import io.gmq.internal.share.ShareGroups;
import io.gmq.internal.state.StateDb;
import io.gmq.internal.topic.TopicNames;
import io.gmq.internal.topic.TopicRegistry;
import io.gmq.storage.*;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Storage} on the local disk: partition logs under {@code <dataDir>/logs}, topic metadata,
 * group membership and committed offsets in {@code <dataDir>/gmq.db} (SQLite).
 *
 * <p>One process owns a data directory at a time ({@code <dataDir>/.lock}, an OS file lock that
 * dies with the process, so a crashed owner never blocks the next one).
 */
public final class LocalStorage implements ReplicaStorage {
    private static final Logger LOG = LoggerFactory.getLogger(LocalStorage.class);
    static final String LOCK_FILE = ".lock";
    static final long EXPIRY_CHECK_MILLIS = 100;

    private final GmqConfig config;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final StateDb db;
    private final TopicRegistry topics;
    private final LogManager logs;
    private final GroupCoordinator groups;
    private final ShareGroups shares;
    /** The consumer-lag gauges, or null without a meter registry. */
    private final ConsumerLag lag;
    /** Null for a replica: its member expiry is driven by {@link #expireMembers()}. */
    private final ScheduledExecutorService timer;
    /** Delayed messages; null for a replica (the replicated cluster keeps no schedule). */
    private final DelayScheduler schedule;
    /** Removes the schedule's meters; does nothing without a meter registry. */
    private final Runnable scheduleMetrics;

    private final boolean replica;
    /** Grows partition counts, kept apart from keyed appends. */
    private final PartitionGrowths growth;

    private volatile boolean closed;

    private LocalStorage(
            GmqConfig config,
            FileChannel lockChannel,
            FileLock lock,
            StateDb db,
            TopicRegistry topics,
            LogManager logs,
            boolean replica) {
        this.config = config;
        this.replica = replica;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.db = db;
        this.topics = topics;
        this.logs = logs;
        this.growth = new PartitionGrowths(topics, logs);
        logs.topicSettings(topic -> topics.find(topic).map(TopicInfo::config).orElse(TopicConfig.empty()));
        this.lag = config.meterRegistry() == null ? null : new ConsumerLag(config.meterRegistry(), logs);
        this.groups = new GroupCoordinator(
                db,
                config.timeSource(),
                topic -> topics.find(topic).map(TopicInfo::partitions).orElse(-1),
                lag == null ? GroupCoordinator.CommittedOffsetObserver.NONE : lag);
        this.shares = new ShareGroups(
                db,
                config.timeSource(),
                new ShareLog(),
                config.maxInFlightPerPartition(),
                name -> groups.listGroups().contains(name));
        if (replica) {
            this.timer = null;
            this.schedule = null;
            this.scheduleMetrics = () -> {};
        } else {
            this.schedule = new DelayScheduler(
                    db,
                    config.timeSource(),
                    config.scheduleLimits(),
                    config.maxBatchBytes(),
                    config.maxMessageBytes(),
                    new ScheduleTarget(topics, logs, this::append));
            this.scheduleMetrics =
                    config.meterRegistry() == null ? () -> {} : schedule.registerMetrics(config.meterRegistry());
            this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "gmq-storage-timer");
                t.setDaemon(true);
                return t;
            });
            timer.scheduleWithFixedDelay(
                    this::expireOnTimer, EXPIRY_CHECK_MILLIS, EXPIRY_CHECK_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** Opens (creating if needed) the data directory of {@code config}. */
    public static LocalStorage open(GmqConfig config) {
        return open(config, null, false);
    }

    /** Opens the data directory as a {@link ReplicaStorage}: no timer, no auto-creation, member ids from the caller. */
    public static LocalStorage openReplica(GmqConfig config) {
        return open(config, null, true);
    }

    /**
     * Rebuilds {@code config}'s data directory from a checkpoint and opens it as a replica (see
     * {@link io.gmq.broker.Storages#openReplica(GmqConfig, Path, ReplicaCheckpoint)}). The files
     * are copied, not forced: a crash before the next checkpoint restores from this one again.
     */
    public static LocalStorage openReplica(GmqConfig config, Path checkpointDir, ReplicaCheckpoint checkpoint) {
        Path dir = config.dataDir();
        try {
            io.gmq.internal.log.LogCheckpoint.restore(checkpointDir, checkpoint.segments(), dir);
            Path db = dir.resolve(StateDb.FILE_NAME);
            for (String suffix : List.of("", "-wal", "-shm", "-journal")) {
                Files.deleteIfExists(dir.resolve(StateDb.FILE_NAME + suffix));
            }
            Files.copy(checkpointDir.resolve(ReplicaCheckpoint.DB_FILE), db);
        } catch (java.io.IOException e) {
            throw new GmqException(
                    ErrorCode.DATA_LOSS,
                    "the checkpoint in " + checkpointDir + " is damaged or unreadable, cannot restore " + dir
                            + " from it: " + e,
                    e);
        }
        LocalStorage storage = open(config, null, true);
        try {
            storage.groups.restoreLastHeartbeats(checkpoint.lastHeartbeats());
            io.gmq.internal.log.LogCheckpoint.resume(storage.logs, checkpoint.segments());
            for (Map.Entry<TopicPartition, Long> end : checkpoint.ends().entrySet()) {
                long restored = storage.logs.log(end.getKey()).highWatermark();
                if (restored != end.getValue()) {
                    throw new GmqException(
                            ErrorCode.DATA_LOSS,
                            "the checkpoint in " + checkpointDir + " is damaged: " + end.getKey() + " ends at offset "
                                    + restored + " once restored, the checkpoint says " + end.getValue());
                }
            }
        } catch (RuntimeException e) {
            storage.close();
            throw e;
        }
        return storage;
    }

    @Override
    public ReplicaCheckpoint checkpoint(Path dir, ReplicaCheckpoint previous, Path previousDir) {
        checkOpen();
        Map<String, ReplicaCheckpoint.SegmentExtent> earlier = new java.util.HashMap<>();
        if (previous != null) {
            previous.segments().forEach(s -> earlier.put(s.path(), s));
        }
        try {
            Files.createDirectories(dir);
            // Every partition of every topic, also one not opened yet: a restored replica has the
            // same files, down to the empty ones.
            for (TopicInfo t : topics.list()) {
                for (int p = 0; p < t.partitions(); p++) {
                    logs.log(new TopicPartition(t.name(), p));
                }
            }
            List<ReplicaCheckpoint.SegmentExtent> segments =
                    io.gmq.internal.log.LogCheckpoint.write(logs, dir, earlier, previousDir);
            db.copyTo(dir.resolve(ReplicaCheckpoint.DB_FILE));
            ReplicaCheckpoint checkpoint = new ReplicaCheckpoint(segments, groups.lastHeartbeats());
            syncDirectory(dir);
            return checkpoint;
        } catch (java.io.IOException e) {
            ErrorCode code = String.valueOf(e.getMessage()).contains("a checkpoint never claims it")
                    ? ErrorCode.DATA_LOSS
                    : ErrorCode.INTERNAL;
            throw new GmqException(
                    code, "cannot write a checkpoint of " + config.dataDir() + " to " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void syncDirectory(Path dir) throws java.io.IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /** Opens with a given log manager factory (tests inject a fault-injecting file layer, see the test-jar's {@code TestStorage}). */
    static LocalStorage open(GmqConfig config, java.util.function.Function<GmqConfig, LogManager> logFactory) {
        return open(config, logFactory, false);
    }

    private static LocalStorage open(
            GmqConfig requested, java.util.function.Function<GmqConfig, LogManager> logFactory, boolean replica) {
        // A storage node holds several replicas in one process (one per Raft group): their meters
        // would collide, so replicas register none.
        GmqConfig config = replica && requested.meterRegistry() != null
                ? requested.toBuilder().meterRegistry(null).build()
                : requested;
        Path dir = config.dataDir();
        FileChannel channel = null;
        FileLock lock = null;
        StateDb db = null;
        try {
            Files.createDirectories(dir);
            channel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                lock = channel.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new GmqException(
                        ErrorCode.FAILED_PRECONDITION,
                        "data directory " + dir.toAbsolutePath()
                                + " is in use by another GMQ engine; stop it or choose another --data-dir");
            }
            // The state database and the logs are independent until both are open: the database
            // opens on a thread of its own while this one recovers the logs. A failure of either
            // closes the other.
            CompletableFuture<StateDb> opening = StateDb.openAsync(dir);
            LogManager logs;
            try {
                logs = logFactory == null ? LogManager.open(config) : logFactory.apply(config);
            } catch (RuntimeException e) {
                try {
                    opening.join().close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
            try {
                db = opening.join();
            } catch (java.util.concurrent.CompletionException e) {
                logs.close();
                throw e.getCause() instanceof RuntimeException r ? r : e;
            }
            TopicRegistry topics;
            try {
                topics = new TopicRegistry(db, config);
            } catch (RuntimeException e) {
                logs.close();
                throw e;
            }
            LOG.info(
                    "opened data directory {} ({} topics, flush {})",
                    dir.toAbsolutePath(),
                    topics.size(),
                    config.flushPolicy());
            return new LocalStorage(config, channel, lock, db, topics, logs, replica);
        } catch (java.io.IOException e) {
            closeQuietly(db, lock, channel);
            throw new GmqException(ErrorCode.UNAVAILABLE, "cannot open data directory " + dir + ": " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(db, lock, channel);
            throw e;
        }
    }

    private static void closeQuietly(StateDb db, FileLock lock, FileChannel channel) {
        try {
            if (db != null) {
                db.close();
            }
            if (lock != null) {
                lock.release();
            }
            if (channel != null) {
                channel.close();
            }
        } catch (Exception ignored) {
            // opening failed already; that error is the one to report
        }
    }

    public GmqConfig config() {
        return config;
    }

    // ---- topics ---------------------------------------------------------------------------------

    @Override
    public TopicInfo alterTopicConfig(String topic, Map<String, String> changes) {
        checkOpen();
        TopicInfo t = topics.alter(topic, changes);
        logs.topicSettingsChanged(topic, t.config());
        return t;
    }

    @Override
    public TopicInfo createTopic(String topic, int partitions, TopicConfig config) {
        checkOpen();
        return topics.create(topic, partitions, config);
    }

    @Override
    public TopicInfo createPartitions(String topic, int partitions) {
        checkOpen();
        return growth.grow(topic, partitions, false);
    }

    @Override
    public TopicInfo createPartitionsOnce(String topic, int partitions) {
        checkOpen();
        return growth.grow(topic, partitions, true);
    }

    @Override
    public TopicInfo growPartitions(String topic, int partitions, List<Long> boundaries) {
        checkOpen();
        return growth.grow(topic, partitions, boundaries);
    }

    @Override
    public TopicInfo topic(String topic, boolean autoCreate) {
        checkOpen();
        return topics.getOrCreate(topic, autoCreate && !replica);
    }

    @Override
    public List<TopicInfo> listTopics() {
        checkOpen();
        return topics.list();
    }

    @Override
    public void deleteTopic(String topic) {
        checkOpen();
        existing(topic);
        // Metadata first: once the row is gone no new append or fetch can reach the logs.
        topics.delete(topic);
        if (schedule != null) {
            schedule.deleteTopic(topic);
        }
        groups.onTopicDeleted(topic);
        shares.onTopicDeleted(topic);
        logs.deleteTopic(topic);
        LOG.info("deleted topic {}", topic);
    }

    // ---- log ------------------------------------------------------------------------------------

    /** The topic named {@code topic}; NOT_FOUND when there is none. */
    private TopicInfo existing(String topic) {
        return topics.find(topic).orElseThrow(() -> GmqException.notFound("topic '" + topic + "' does not exist"));
    }

    private PartitionLog log(TopicPartition tp) {
        checkOpen();
        TopicInfo t = existing(tp.topic());
        TopicNames.checkPartition(tp.topic(), tp.partition(), t.partitions());
        return logs.log(tp);
    }

    @Override
    public CompletableFuture<AppendResult> append(TopicPartition tp, ByteBuffer batch, boolean awaitDurable) {
        try {
            return log(tp).append(batch, awaitDurable);
        } catch (GmqException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<AppendResult> append(
            TopicPartition tp, ByteBuffer batch, boolean awaitDurable, int routedPartitions) {
        if (routedPartitions <= 0 && !replica) {
            return append(tp, batch, awaitDurable);
        }
        try {
            checkOpen();
            // A replica admits every append through the gate: a growth applied after it then finds
            // its offsets assigned, so every replica takes the same boundaries.
            return growth.appendKeyed(tp, routedPartitions, () -> append(tp, batch, awaitDurable));
        } catch (GmqException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<ScheduleResult> schedule(
            TopicPartition tp, ByteBuffer batch, long deliverAtMillis, boolean awaitDurable) {
        try {
            if (schedule == null) {
                return ReplicaStorage.super.schedule(tp, batch, deliverAtMillis, awaitDurable);
            }
            log(tp); // the topic and partition exist
            return schedule.schedule(tp, batch, deliverAtMillis);
        } catch (GmqException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Appends every scheduled message due now and returns how many records (tests; it also runs on its timer). */
    public int fireScheduled() {
        checkOpen();
        return schedule == null ? 0 : schedule.fireDue();
    }

    @Override
    public CompletableFuture<FetchResult> fetch(TopicPartition tp, long offset, int maxBytes, long maxWaitMillis) {
        try {
            return logToRead(tp, offset).fetch(offset, maxBytes, maxWaitMillis).thenApply(r -> withCount(tp, r));
        } catch (GmqException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<FetchResult> fetch(
            TopicPartition tp, long offset, int maxBytes, long maxWaitMillis, Executor executor) {
        try {
            return logToRead(tp, offset)
                    .fetch(offset, maxBytes, maxWaitMillis, executor)
                    .thenApply(r -> withCount(tp, r));
        } catch (GmqException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * {@code r} with its topic's partition count, read after the records: a reader that does not
     * know this count yet has missed a partition growth (see {@link io.gmq.PartitionGrowth}).
     */
    private FetchResult withCount(TopicPartition tp, FetchResult r) {
        return r.withTopicPartitions(
                topics.find(tp.topic()).map(TopicInfo::partitions).orElse(0));
    }

    private PartitionLog logToRead(TopicPartition tp, long offset) {
        if (offset < 0) {
            throw GmqException.invalidArgument("offset must not be negative, was " + offset);
        }
        return log(tp);
    }

    @Override
    public PartitionInfo partitionInfo(TopicPartition tp) {
        return log(tp).info();
    }

    @Override
    public long resolveOffset(TopicPartition tp, OffsetSpec spec) {
        PartitionLog log = log(tp);
        return switch (spec.kind()) {
            case EARLIEST -> log.logStartOffset();
            case LATEST -> log.highWatermark();
            case OFFSET -> Math.max(log.logStartOffset(), Math.min(spec.value(), log.highWatermark()));
            case TIMESTAMP -> log.offsetForTimestamp(spec.value());
        };
    }

    // ---- groups ---------------------------------------------------------------------------------

    @Override
    public GroupMembership joinGroup(String group, String clientId, Set<String> topicNames, long sessionTimeoutMillis) {
        checkOpen();
        checkNotShareGroup(group);
        return groups.join(group, clientId, topicNames, sessionTimeoutMillis);
    }

    @Override
    public GroupMembership joinGroup(
            String group, String clientId, Set<String> topicNames, long sessionTimeoutMillis, String groupInstanceId) {
        checkOpen();
        checkNotShareGroup(group);
        return groups.join(group, clientId, topicNames, sessionTimeoutMillis, groupInstanceId);
    }

    @Override
    public GroupMembership heartbeat(String group, String memberId, int generation, Set<TopicPartition> owned) {
        checkOpen();
        return groups.heartbeat(group, memberId, generation, owned);
    }

    @Override
    public void leaveGroup(String group, String memberId) {
        checkOpen();
        groups.leave(group, memberId);
    }

    @Override
    public Set<TopicPartition> commitOffsets(
            String group, String memberId, int generation, Map<TopicPartition, Long> offsets) {
        checkOpen();
        for (Map.Entry<TopicPartition, Long> e : offsets.entrySet()) {
            if (e.getValue() < 0) {
                throw GmqException.invalidArgument(
                        "offset for " + e.getKey() + " must not be negative, was " + e.getValue());
            }
        }
        return groups.commit(group, memberId, generation, offsets);
    }

    @Override
    public Map<TopicPartition, Long> committedOffsets(String group, Collection<TopicPartition> partitions) {
        checkOpen();
        return groups.committed(group, partitions);
    }

    @Override
    public List<String> listGroups() {
        checkOpen();
        java.util.TreeSet<String> all = new java.util.TreeSet<>(groups.listGroups());
        all.addAll(shares.listGroups());
        return List.copyOf(all);
    }

    @Override
    public GroupDescription describeGroup(String group) {
        checkOpen();
        if (shares.isShareGroup(group)) {
            return LocalShareStorage.asGroupDescription(describeShareGroup(group));
        }
        GroupDescription d = groups.describe(
                group,
                tp -> topics.find(tp.topic())
                        .filter(t -> tp.partition() < t.partitions())
                        .map(t -> logs.log(tp).highWatermark())
                        .orElse(0L));
        if (schedule == null) {
            return d;
        }
        List<GroupDescription.PartitionProgress> partitions =
                new java.util.ArrayList<>(d.partitions().size());
        for (GroupDescription.PartitionProgress p : d.partitions()) {
            partitions.add(p.withScheduled(schedule.scheduled(p.topicPartition())));
        }
        return new GroupDescription(d.group(), d.generation(), d.members(), partitions);
    }

    @Override
    public void deleteGroup(String group) {
        checkOpen();
        if (shares.isShareGroup(group)) {
            shares.delete(group);
            return;
        }
        groups.deleteGroup(group);
    }

    @Override
    public void resetOffsets(String group, String topic, OffsetSpec spec) {
        checkOpen();
        groups.resetOffsets(group, existing(topic).name(), tp -> resolveOffset(tp, spec));
    }

    @Override
    public void resetOffsets(String group, TopicPartition partition, OffsetSpec spec) {
        checkOpen();
        if (partition.partition() < 0) {
            throw GmqException.invalidArgument("partition must not be negative, was " + partition.partition());
        }
        groups.resetOffsets(
                group, existing(partition.topic()).name(), partition.partition(), tp -> resolveOffset(tp, spec));
    }

    @Override
    public GroupMembership joinGroup(
            String group, String memberId, String clientId, Set<String> topicNames, long sessionTimeoutMillis) {
        checkOpen();
        return groups.join(group, memberId, clientId, topicNames, sessionTimeoutMillis);
    }

    @Override
    public GroupMembership joinGroup(
            String group,
            String memberId,
            String clientId,
            Set<String> topicNames,
            long sessionTimeoutMillis,
            String groupInstanceId) {
        checkOpen();
        return groups.join(group, memberId, clientId, groupInstanceId, topicNames, sessionTimeoutMillis);
    }

    @Override
    public void resetOffsetsTo(String group, String topic, int partition, Map<TopicPartition, Long> offsets) {
        checkOpen();
        groups.resetOffsets(group, existing(topic).name(), partition, tp -> {
            Long offset = offsets.get(tp);
            if (offset == null || offset < 0) {
                throw GmqException.invalidArgument("no resolved offset for " + tp + " in a reset of group " + group);
            }
            return offset;
        });
    }

    @Override
    public int expireMembers() {
        checkOpen();
        return groups.expireMembers();
    }

    private void expireOnTimer() {
        if (closed) {
            return;
        }
        schedule.poke(); // a due time the wall clock reached while the timer waited on the monotonic one
        try {
            int n = groups.expireMembers() + shares.expireMembers();
            if (n > 0) {
                LOG.info("removed {} group member(s) whose session timed out", n);
            }
            shares.flush();
        } catch (RuntimeException e) {
            LOG.warn("session expiry check failed", e);
        }
    }

    // ---- share groups (see ShareGroups) -----------------------------------------------------------

    private void checkNotShareGroup(String group) {
        if (shares.isShareGroup(group)) {
            throw new GmqException(
                    ErrorCode.FAILED_PRECONDITION,
                    "group '" + group + "' is a share group; join it with groupType(SHARE), "
                            + "or choose another group name for an ordered consumer group");
        }
    }

    @Override
    public String joinShareGroup(
            String group,
            String clientId,
            Set<String> topicNames,
            long sessionTimeoutMillis,
            io.gmq.Ordering ordering,
            OffsetSpec startFrom) {
        checkOpen();
        for (String t : topicNames) {
            topic(t, config.autoCreateTopics());
        }
        return shares.join(group, clientId, topicNames, sessionTimeoutMillis, ordering, startFrom);
    }

    @Override
    public void shareHeartbeat(String group, String memberId) {
        checkOpen();
        shares.heartbeat(group, memberId);
    }

    @Override
    public void leaveShareGroup(String group, String memberId) {
        checkOpen();
        shares.leave(group, memberId);
    }

    @Override
    public CompletableFuture<ShareAcquisition> acquire(
            String group, String memberId, TopicPartition tp, int maxRecords, long lockMillis, long maxWaitMillis) {
        try {
            PartitionLog log = log(tp);
            return LocalShareStorage.acquire(shares, log, group, memberId, tp, maxRecords, lockMillis, maxWaitMillis);
        } catch (GmqException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<Integer> settle(
            String group, String memberId, TopicPartition tp, long[] offsets, ShareAck kind, long millis) {
        try {
            checkOpen();
            return CompletableFuture.completedFuture(shares.settle(group, memberId, tp, offsets, kind, millis));
        } catch (GmqException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public io.gmq.ShareGroupDescription describeShareGroup(String group) {
        checkOpen();
        return shares.describe(
                group,
                tp -> topics.find(tp.topic())
                        .filter(t -> tp.partition() < t.partitions())
                        .map(t -> logs.log(tp).highWatermark())
                        .orElse(0L));
    }

    /** The logs as share groups read them. */
    private final class ShareLog implements ShareGroups.ShareLog {
        @Override
        public FetchResult read(TopicPartition tp, long offset, int maxBytes) {
            return log(tp).fetch(offset, maxBytes, 0).join();
        }

        @Override
        public long resolve(TopicPartition tp, OffsetSpec spec) {
            return resolveOffset(tp, spec);
        }

        @Override
        public int partitions(String topic) {
            return topics.find(topic).map(TopicInfo::partitions).orElse(-1);
        }
    }

    /** Runs retention now (tests and admin); it also runs periodically. */
    public void runRetention() {
        checkOpen();
        logs.runRetention();
    }

    private void checkOpen() {
        if (closed) {
            throw new GmqException(ErrorCode.UNAVAILABLE, "storage is closed");
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (timer != null) {
            timer.shutdownNow();
        }
        if (schedule != null) {
            scheduleMetrics.run();
            schedule.close(); // a firing in progress ends before the logs close
        }
        if (lag != null) {
            lag.close();
        }
        try {
            shares.flush();
        } catch (RuntimeException e) {
            LOG.warn("could not write the share groups' start offsets at close", e);
        }
        try {
            logs.close();
        } finally {
            try {
                db.close();
            } finally {
                closeQuietly(null, lock, lockChannel);
            }
        }
        LOG.info("closed data directory {}", config.dataDir().toAbsolutePath());
    }
}
