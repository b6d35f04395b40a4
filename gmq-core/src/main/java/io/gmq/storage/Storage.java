package io.gmq.storage;

import io.gmq.GroupDescription;
import io.gmq.OffsetSpec;
import io.gmq.PartitionInfo;
import io.gmq.TopicConfig;
import io.gmq.TopicInfo;
import io.gmq.TopicPartition;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The one seam between broker logic and everything that must survive a crash: partition logs,
 * topic metadata, group membership and committed offsets. Local storage (core's internal {@code LocalStorage}) keeps them on the
 * local disk; the network module serves this same interface over gRPC to brokers in other
 * processes. A replicated implementation is the next one.
 *
 * <p>Batch-shaped on the hot path: append takes a whole encoded batch, fetch returns many frames,
 * commit takes many offsets. Group and admin calls are rare and synchronous.
 *
 * <p>Errors are {@link io.gmq.GmqException}s; async calls complete exceptionally with one.
 */
public interface Storage extends AutoCloseable {
    /**
     * How the message of a refused keyed append starts (FAILED_PRECONDITION): the batch was routed
     * with a partition count the topic no longer has. Nothing was stored; a producer refreshes the
     * topic's metadata and routes the batch's records again.
     */
    String STALE_ROUTING = "stale partition count: ";

    // ---- topics -------------------------------------------------------------------------------

    /** Creates a topic with the engine's settings; returns it unchanged if it exists with the same partition count, ALREADY_EXISTS otherwise. */
    default TopicInfo createTopic(String topic, int partitions) {
        return createTopic(topic, partitions, TopicConfig.empty());
    }

    /**
     * Creates a topic with its own settings; returns it unchanged if it exists with the same
     * partition count and settings (or {@code config} is empty), ALREADY_EXISTS otherwise.
     */
    TopicInfo createTopic(String topic, int partitions, TopicConfig config);

    /**
     * Changes a topic's settings ({@link TopicConfig#with}: an empty value goes back to the
     * engine's) and returns the topic as it now is. NOT_FOUND if absent, INVALID_ARGUMENT naming a
     * bad key or value (nothing changes).
     */
    TopicInfo alterTopicConfig(String topic, Map<String, String> changes);

    /**
     * Grows the topic to {@code partitions} partitions and returns it as it now is, with the new
     * {@link io.gmq.PartitionGrowth} last in {@link TopicInfo#growth()}: the boundary of every old
     * partition lies above each keyed record routed with the old count and below each one routed
     * with the new count. NOT_FOUND if absent; INVALID_ARGUMENT if {@code partitions} is not above
     * the current count or over the limit (nothing changes). FAILED_PRECONDITION from a storage
     * that cannot grow topics.
     */
    default TopicInfo createPartitions(String topic, int partitions) {
        throw new io.gmq.GmqException(
                io.gmq.ErrorCode.FAILED_PRECONDITION, "this storage cannot grow a topic's partition count");
    }

    /** The topic; if absent, creates it with the default partition count when {@code autoCreate}, else NOT_FOUND. */
    TopicInfo topic(String topic, boolean autoCreate);

    List<TopicInfo> listTopics();

    /** Deletes the topic, its data and the groups' offsets for it. NOT_FOUND if absent. */
    void deleteTopic(String topic);

    // ---- log ----------------------------------------------------------------------------------

    /**
     * Appends one unsealed {@link BatchFormat} frame. Storage validates it, assigns offsets, seals
     * it and writes it. With {@code awaitDurable} the future completes once the bytes are durable
     * under the flush policy; without, once they are written (QoS 0).
     *
     * <p>A frame with producer fields ({@link BatchFormat#ATTR_PRODUCER}) is stored at most once: a
     * resend of one of the producer's last batches in the partition completes with the offsets it
     * got first and appends nothing; a sequence gap or a stale epoch fails with FAILED_PRECONDITION
     * and appends nothing (docs/PROTOCOL.md, "Idempotent publish").
     */
    CompletableFuture<AppendResult> append(TopicPartition tp, ByteBuffer batch, boolean awaitDurable);

    /**
     * Keeps one unsealed {@link BatchFormat} frame (validated as {@link #append} does) in storage's
     * durable schedule of delayed messages and appends it to {@code tp} once the clock reaches
     * {@code deliverAtMillis} (epoch millis), exactly once, also across restarts. A time not in the
     * future appends at once (the result then has schedule id -1). With {@code awaitDurable} the
     * future completes once the schedule entry is durable. INVALID_ARGUMENT beyond the maximum
     * delay, RESOURCE_EXHAUSTED when the schedule is full; nothing is kept then. A storage that
     * keeps no schedule (the replicated cluster) fails with FAILED_PRECONDITION.
     */
    default CompletableFuture<ScheduleResult> schedule(
            TopicPartition tp, ByteBuffer batch, long deliverAtMillis, boolean awaitDurable) {
        return CompletableFuture.failedFuture(new io.gmq.GmqException(
                io.gmq.ErrorCode.FAILED_PRECONDITION,
                "delayed messages are not supported by this storage (a replicated storage cluster keeps no"
                        + " schedule yet); publish without a delay or deliverAt, or use a single storage process"));
    }

    /**
     * As {@link #append(TopicPartition, ByteBuffer, boolean)} for a batch whose partition was
     * chosen by the hash of a key with {@code routedPartitions} partitions (0: no record of the
     * batch was routed by key, the batch is appended as any other). If the topic's count is not
     * {@code routedPartitions} any more, the future fails with FAILED_PRECONDITION starting with
     * {@link #STALE_ROUTING} and nothing is stored. A storage checks the count atomically with
     * {@link #createPartitions}; this default (for wrappers) checks it just before appending.
     */
    default CompletableFuture<AppendResult> append(
            TopicPartition tp, ByteBuffer batch, boolean awaitDurable, int routedPartitions) {
        if (routedPartitions > 0) {
            try {
                int now = topic(tp.topic(), false).partitions();
                if (now != routedPartitions) {
                    return CompletableFuture.failedFuture(new io.gmq.GmqException(
                            io.gmq.ErrorCode.FAILED_PRECONDITION,
                            STALE_ROUTING + "a keyed batch for topic '" + tp.topic() + "' was routed with "
                                    + routedPartitions + " partitions, the topic has " + now
                                    + "; refresh its metadata and route the batch again (nothing was stored)"));
                }
            } catch (io.gmq.GmqException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        return append(tp, batch, awaitDurable);
    }

    /**
     * Reads frames from {@code offset}, at most about {@code maxBytes} (at least one whole frame
     * if any is there). If nothing is readable at {@code offset} yet, waits up to
     * {@code maxWaitMillis} for new data and completes as soon as it arrives (long poll).
     */
    CompletableFuture<FetchResult> fetch(TopicPartition tp, long offset, int maxBytes, long maxWaitMillis);

    /**
     * Like {@link #fetch(TopicPartition, long, int, long)}, for a caller that goes on working on
     * {@code executor}: a future that is not complete when returned completes on a thread of
     * {@code executor}, so the caller can continue there without another hand-off. A storage that
     * can (the local one) runs the waiting read itself on {@code executor}.
     */
    default CompletableFuture<FetchResult> fetch(
            TopicPartition tp, long offset, int maxBytes, long maxWaitMillis, Executor executor) {
        CompletableFuture<FetchResult> f = fetch(tp, offset, maxBytes, maxWaitMillis);
        return f.isDone() ? f : f.thenApplyAsync(r -> r, executor);
    }

    PartitionInfo partitionInfo(TopicPartition tp);

    /** The offset {@code spec} names in this partition, resolved now. */
    long resolveOffset(TopicPartition tp, OffsetSpec spec);

    // ---- consumer groups ----------------------------------------------------------------------

    /** Adds a member; GMQ assigns the member id. */
    GroupMembership joinGroup(String group, String clientId, Set<String> topics, long sessionTimeoutMillis);

    /**
     * Adds a member; GMQ assigns the member id. With a {@code groupInstanceId} (not null) the
     * member is static: it survives a session that ends without a leave until its session timeout
     * runs out, and a join with the same instance id and topics takes it over with its partitions,
     * without a rebalance; the member id it replaces is fenced (ALREADY_EXISTS on its heartbeats
     * and commits). INVALID_ARGUMENT for an instance id that is not a valid name. With null, as
     * {@link #joinGroup(String, String, Set, long)}. Every GMQ storage implements it; the default
     * serves only dynamic members.
     */
    default GroupMembership joinGroup(
            String group, String clientId, Set<String> topics, long sessionTimeoutMillis, String groupInstanceId) {
        if (groupInstanceId != null) {
            throw new io.gmq.GmqException(
                    io.gmq.ErrorCode.FAILED_PRECONDITION,
                    getClass().getSimpleName() + " does not serve static members (group instance id " + groupInstanceId
                            + ")");
        }
        return joinGroup(group, clientId, topics, sessionTimeoutMillis);
    }

    /**
     * Keeps the member alive and reports the partitions it still owns; returns its current
     * assignment. FAILED_PRECONDITION if the member is unknown (expired, left, or fenced).
     */
    GroupMembership heartbeat(String group, String memberId, int generation, Set<TopicPartition> owned);

    void leaveGroup(String group, String memberId);

    /**
     * Commits offsets (next offset to consume) in one transaction. Entries for partitions the
     * member does not own, or acquired at a later generation than {@code generation} (a stale
     * commit from before the partition last moved to it), are rejected and returned; the rest
     * commit. FAILED_PRECONDITION if the member is unknown, ALREADY_EXISTS if it is a fenced
     * static member. A commit never moves an offset backward unless a reset does.
     */
    Set<TopicPartition> commitOffsets(String group, String memberId, int generation, Map<TopicPartition, Long> offsets);

    /** Committed offsets; partitions with none are absent from the map. */
    Map<TopicPartition, Long> committedOffsets(String group, Collection<TopicPartition> partitions);

    List<String> listGroups();

    /** NOT_FOUND if the group has neither members nor offsets. */
    GroupDescription describeGroup(String group);

    /** Sets the group's committed offsets of every partition of {@code topic}; FAILED_PRECONDITION while it has members. */
    void resetOffsets(String group, String topic, OffsetSpec spec);

    /**
     * Sets the group's committed offset of one partition (e.g. past a damaged batch);
     * FAILED_PRECONDITION while it has members, NOT_FOUND if the partition does not exist.
     */
    void resetOffsets(String group, TopicPartition partition, OffsetSpec spec);

    /**
     * Deletes a group: its committed offsets go, and it is no longer listed (a group of the same
     * name starts from its start position again). FAILED_PRECONDITION while it has members,
     * NOT_FOUND if it has neither members nor offsets; FAILED_PRECONDITION from a storage that
     * cannot delete groups.
     */
    default void deleteGroup(String group) {
        throw new io.gmq.GmqException(
                io.gmq.ErrorCode.FAILED_PRECONDITION, "this storage cannot delete consumer groups");
    }

    // ---- share groups ---------------------------------------------------------------------------

    /**
     * Adds a member to share group {@code group} ({@link io.gmq.GroupType#SHARE}); returns its
     * member id. A partition the group never consumed starts at {@code startFrom} (earliest or
     * latest). FAILED_PRECONDITION if {@code group} is an ordered consumer group, if live members
     * use another {@code ordering}, or from a storage without share groups.
     */
    default String joinShareGroup(
            String group,
            String clientId,
            Set<String> topics,
            long sessionTimeoutMillis,
            io.gmq.Ordering ordering,
            io.gmq.OffsetSpec startFrom) {
        throw noShareGroups();
    }

    /** Keeps a share member's session alive. FAILED_PRECONDITION if it is unknown (left or expired). */
    default void shareHeartbeat(String group, String memberId) {
        throw noShareGroups();
    }

    /** The share member leaves; the records it holds are available to the others at once. */
    default void leaveShareGroup(String group, String memberId) {
        throw noShareGroups();
    }

    /**
     * Acquires up to {@code maxRecords} available records of {@code tp} for a share member, each
     * locked to it for {@code lockMillis} (after which another member may acquire it). If none is
     * available, waits up to {@code maxWaitMillis} for new records (long poll). Counts as a
     * heartbeat. FAILED_PRECONDITION for an unknown member.
     */
    default CompletableFuture<ShareAcquisition> acquire(
            String group, String memberId, TopicPartition tp, int maxRecords, long lockMillis, long maxWaitMillis) {
        return CompletableFuture.failedFuture(noShareGroups());
    }

    /**
     * Settles records a share member holds ({@link ShareAck}); records it does not hold (any
     * more) are left alone. {@code millis}: the delay of a RELEASE (0: at once), the new lock
     * duration of a RENEW. Completes with how many records it settled.
     */
    default CompletableFuture<Integer> settle(
            String group, String memberId, TopicPartition tp, long[] offsets, ShareAck kind, long millis) {
        return CompletableFuture.failedFuture(noShareGroups());
    }

    /** A share group's members and per-partition share state. NOT_FOUND if {@code group} is not a share group. */
    default io.gmq.ShareGroupDescription describeShareGroup(String group) {
        throw noShareGroups();
    }

    private static io.gmq.GmqException noShareGroups() {
        return new io.gmq.GmqException(
                io.gmq.ErrorCode.FAILED_PRECONDITION,
                "this storage does not support share groups (a replicated storage cluster does not yet); "
                        + "use an ordered consumer group, or a single storage process");
    }

    /**
     * The replicated storage cluster behind this storage. FAILED_PRECONDITION for storage that is
     * not replicated (a local data directory, one storage process).
     */
    default io.gmq.ClusterDescription describeCluster() {
        throw notReplicated();
    }

    /**
     * Makes the running storage node {@code nodeId}, which answers at {@code raftAddress}, a member
     * of the replicated storage cluster; returns the cluster after the change. FAILED_PRECONDITION
     * for storage that is not replicated.
     */
    default io.gmq.ClusterDescription addStorageNode(String nodeId, String raftAddress) {
        throw notReplicated();
    }

    /**
     * Removes member {@code nodeId} from the replicated storage cluster; returns the cluster after
     * the change. FAILED_PRECONDITION for storage that is not replicated.
     */
    default io.gmq.ClusterDescription removeStorageNode(String nodeId) {
        throw notReplicated();
    }

    private static io.gmq.GmqException notReplicated() {
        return new io.gmq.GmqException(
                io.gmq.ErrorCode.FAILED_PRECONDITION,
                "storage is not replicated: a single data directory (docs/CLUSTER.md runs a storage cluster)");
    }

    @Override
    void close();
}
