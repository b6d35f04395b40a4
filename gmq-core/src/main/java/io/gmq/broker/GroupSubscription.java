package io.gmq.broker;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.Header;
import io.gmq.OffsetSpec;
import io.gmq.PublishRequest;
import io.gmq.QoS;
import io.gmq.TopicPartition;
import io.gmq.storage.BatchFrame;
import io.gmq.storage.BatchReader;
import io.gmq.storage.FetchResult;
import io.gmq.storage.GroupMembership;
import io.gmq.storage.Storage;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member of a consumer group, as a broker runs it: joins through {@link Storage}, heartbeats,
 * fetches the partitions it owns (long poll), hands records to a {@link DeliverySink} within the
 * sink's capacity and each partition's {@link DeliveryWindow}, redelivers what is not
 * acknowledged in time, and commits the lowest unacknowledged offset of each partition in
 * batches.
 *
 * <p>All state is soft: a broker that dies loses only in-flight deliveries, which the next owner
 * delivers again from the committed offset (at least once). QoS 0 records are the exception: the
 * committed offset passes them before they are sent ({@link DeliveryPlan}), so a broker crash
 * loses them rather than delivering them twice (at most once).
 *
 * <p>Threads: fetch completions run on the engine's delivery executor; heartbeats, commits and
 * the redelivery tick on its group executor; acks on the caller's thread. One monitor
 * ({@code this}) guards the member state; storage calls that may block are made outside it.
 */
public final class GroupSubscription implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GroupSubscription.class);

    /** Most bytes asked for per fetch; a fetch returns at least one whole frame. */
    static final int FETCH_MAX_BYTES = 1 << 20;
    /** Fewest bytes asked for per fetch once the record size is known. */
    static final int FETCH_MIN_BYTES = 16 << 10;
    /** Heartbeats carry hand-overs, so they run at least this often whatever the session timeout. */
    static final long MAX_HEARTBEAT_MILLIS = 1000;
    /** How often the redelivery/retry tick runs. */
    static final long TICK_MILLIS = 20;

    public static final String DLQ_SOURCE_TOPIC = "gmq.dlq.source-topic";
    public static final String DLQ_SOURCE_PARTITION = "gmq.dlq.source-partition";
    public static final String DLQ_SOURCE_OFFSET = "gmq.dlq.source-offset";
    public static final String DLQ_DELIVERY_COUNT = "gmq.dlq.delivery-count";
    public static final String DLQ_GROUP = "gmq.dlq.group";

    private final BrokerEngine engine;
    private final Storage storage;
    private final String group;
    private final String clientId;
    private final Set<String> topics;
    private final SubscriptionOptions options;
    private final DeliverySink sink;
    private final long sessionTimeoutMillis;
    /**
     * When the last successful join or heartbeat was sent (engine clock). Our ownership is certain
     * only for a session timeout after it: past that the storage may have expired us and handed our
     * partitions to another member (this broker was paused, or cut off from storage), so nothing is
     * fetched or delivered until a heartbeat confirms us or fences us. Without it a broker resumed
     * after SIGSTOP delivers records its member no longer owns before its next heartbeat.
     */
    private volatile long leaseFromNanos;

    private final long pullIntervalMillis;
    private final long ackTimeoutNanos;
    private final long nackBackoffNanos;
    private final int fetchThreshold;

    private final Map<TopicPartition, PartitionState> partitions = new HashMap<>();
    /** Reads the frame headers of fetch results and deliveries (guarded by this). */
    private final BatchFrame frameCursor = new BatchFrame();

    private String memberId;
    private int generation;
    private volatile boolean closed;
    private final List<ScheduledFuture<?>> tasks = new ArrayList<>();

    /** Delivery state of one owned partition. */
    private static final class PartitionState {
        final TopicPartition tp;
        final DeliveryWindow window;
        long fetchOffset;
        long committed;
        boolean active = true;
        boolean fetching;
        long retryAtNanos;
        /** The fetch offset whose DATA_LOSS was last logged (-1: none), so a stuck partition logs once. */
        long dataLossLoggedAt = -1;
        /** Stored bytes per record (frame overhead included) seen in the last fetch; 0 before the first. */
        int bytesPerRecord;

        PartitionState(TopicPartition tp, int capacity, long start) {
            this.tp = tp;
            this.window = new DeliveryWindow(capacity, start);
            this.fetchOffset = start;
            this.committed = start;
        }
    }

    GroupSubscription(
            BrokerEngine engine,
            String group,
            String clientId,
            Set<String> topics,
            SubscriptionOptions options,
            DeliverySink sink) {
        this.engine = engine;
        this.storage = engine.storage();
        this.group = group;
        this.clientId = clientId;
        this.topics = Set.copyOf(topics);
        this.options = options;
        this.sink = sink;
        this.sessionTimeoutMillis = (options.sessionTimeout() != null
                        ? options.sessionTimeout()
                        : engine.config().sessionTimeout())
                .toMillis();
        this.pullIntervalMillis = Math.max(1, options.pullInterval().toMillis());
        this.ackTimeoutNanos = engine.config().ackTimeout().toNanos();
        this.nackBackoffNanos = engine.config().nackBackoff().toNanos();
        this.fetchThreshold = Math.max(1, engine.config().maxInFlightPerPartition() / 4);
    }

    /** Joins and starts delivering. Errors of the join (bad names, storage down) are thrown here. */
    void start() {
        long sent = engine.time().nanoTime();
        GroupMembership m = storage.joinGroup(group, clientId, topics, sessionTimeoutMillis);
        leaseFromNanos = sent;
        synchronized (this) {
            memberId = m.memberId();
            generation = m.generation();
        }
        applyAssignment(m);
        long heartbeatMillis = Math.max(10, Math.min(MAX_HEARTBEAT_MILLIS, sessionTimeoutMillis / 3));
        long commitMillis = engine.config().commitInterval().toMillis();
        synchronized (this) {
            tasks.add(engine.groupExecutor()
                    .scheduleWithFixedDelay(
                            this::heartbeatSafely, heartbeatMillis, heartbeatMillis, TimeUnit.MILLISECONDS));
            tasks.add(engine.groupExecutor()
                    .scheduleWithFixedDelay(this::commitSafely, commitMillis, commitMillis, TimeUnit.MILLISECONDS));
            tasks.add(engine.groupExecutor()
                    .scheduleWithFixedDelay(this::tickSafely, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS));
        }
    }

    public synchronized String memberId() {
        return memberId;
    }

    public synchronized int generation() {
        return generation;
    }

    public String group() {
        return group;
    }

    public String clientId() {
        return clientId;
    }

    public Set<String> topics() {
        return topics;
    }

    public synchronized Set<TopicPartition> assignment() {
        return Set.copyOf(partitions.keySet());
    }

    /** Acknowledges one delivered offset. Acks for partitions no longer owned are ignored. */
    public void ack(TopicPartition tp, long offset) {
        synchronized (this) {
            PartitionState ps = partitions.get(tp);
            if (ps == null) {
                return;
            }
            if (ps.window.ack(offset)) {
                maybeFetch(ps);
            }
        }
    }

    /**
     * Acknowledges {@code offsets[0..n)} of one partition under one acquisition of the member's
     * lock (a handler thread acks a whole delivery at once instead of taking the lock per record).
     * Same rules as {@link #ack}: offsets not delivered to this member, or of a partition it no
     * longer owns, are ignored.
     */
    public void ackAll(TopicPartition tp, long[] offsets, int n) {
        if (n <= 0) {
            return;
        }
        synchronized (this) {
            PartitionState ps = partitions.get(tp);
            if (ps == null) {
                return;
            }
            int acked = 0;
            for (int i = 0; i < n; i++) {
                long first = offsets[i];
                while (i + 1 < n && offsets[i + 1] == offsets[i] + 1) {
                    i++; // a run of consecutive offsets is one range
                }
                acked += ps.window.ackRange(first, offsets[i] + 1);
            }
            if (acked > 0) {
                maybeFetch(ps);
            }
        }
    }

    /**
     * Acknowledges the half-open offset ranges {@code [ranges[2i], ranges[2i+1])}, {@code i < n},
     * of one partition under one acquisition of the member's lock. Consumers acknowledge in runs
     * (the committable position is the lowest unacknowledged offset anyway), so one range stands
     * for a whole delivery. Same rules as {@link #ack} for every offset in the ranges.
     */
    public void ackRanges(TopicPartition tp, long[] ranges, int n) {
        if (n <= 0) {
            return;
        }
        synchronized (this) {
            PartitionState ps = partitions.get(tp);
            if (ps == null) {
                return;
            }
            int acked = 0;
            for (int i = 0; i < n; i++) {
                acked += ps.window.ackRange(ranges[2 * i], ranges[2 * i + 1]);
            }
            if (acked > 0) {
                maybeFetch(ps);
            }
        }
    }

    /** Negatively acknowledges: the message is delivered again after the configured backoff. */
    public void nack(TopicPartition tp, long offset) {
        synchronized (this) {
            PartitionState ps = partitions.get(tp);
            if (ps == null) {
                return;
            }
            long now = engine.time().nanoTime();
            if (ps.window.nack(offset, now + nackBackoffNanos) && nackBackoffNanos == 0) {
                redeliverDue(ps, now);
            }
        }
    }

    /** The sink has room again: resume fetching. */
    public void wakeUp() {
        synchronized (this) {
            for (PartitionState ps : partitions.values()) {
                maybeFetch(ps);
            }
        }
    }

    // ---- assignment -----------------------------------------------------------------------------

    private void applyAssignment(GroupMembership m) {
        List<PartitionState> removed = new ArrayList<>();
        List<TopicPartition> added = new ArrayList<>();
        Set<TopicPartition> target = m.assigned();
        synchronized (this) {
            if (closed || !m.memberId().equals(memberId)) {
                return;
            }
            generation = m.generation();
            for (var it = partitions.values().iterator(); it.hasNext(); ) {
                PartitionState ps = it.next();
                if (!target.contains(ps.tp)) {
                    ps.active = false;
                    removed.add(ps);
                    it.remove();
                }
            }
            for (TopicPartition tp : target) {
                if (!partitions.containsKey(tp)) {
                    added.add(tp);
                }
            }
        }
        if (!removed.isEmpty()) {
            // Cooperative hand-over: commit what was acknowledged before telling the group (next
            // heartbeat) that these partitions are released.
            Map<TopicPartition, Long> finalOffsets = new HashMap<>();
            for (PartitionState ps : removed) {
                if (ps.window.base() > ps.committed) {
                    finalOffsets.put(ps.tp, ps.window.base());
                }
            }
            commit(finalOffsets);
            LOG.debug("member {} of group {} released {}", m.memberId(), group, removed.size());
            // Tell the group at once, so the new owner does not wait a heartbeat interval.
            engine.groupExecutor().execute(this::heartbeatSafely);
        }
        List<PartitionState> started = new ArrayList<>();
        if (!added.isEmpty()) {
            Map<TopicPartition, Long> committed = storage.committedOffsets(group, added);
            for (TopicPartition tp : added) {
                Long c = committed.get(tp);
                long start = c != null ? c : storage.resolveOffset(tp, startSpec());
                synchronized (this) {
                    if (closed || !m.memberId().equals(memberId) || partitions.containsKey(tp)) {
                        continue;
                    }
                    PartitionState ps = new PartitionState(tp, engine.config().maxInFlightPerPartition(), start);
                    ps.committed = c != null ? c : -1;
                    partitions.put(tp, ps);
                    started.add(ps);
                }
            }
        }
        if (!removed.isEmpty() || !started.isEmpty()) {
            // Before the first fetch: the sink hears of a partition before any of its records.
            sink.assignmentChanged(assignment(), m.generation());
        }
        synchronized (this) {
            for (PartitionState ps : started) {
                maybeFetch(ps);
            }
        }
    }

    private boolean leaseValid() {
        return engine.time().nanoTime() - leaseFromNanos < TimeUnit.MILLISECONDS.toNanos(sessionTimeoutMillis);
    }

    private OffsetSpec startSpec() {
        return options.startFrom() == null ? OffsetSpec.earliest() : options.startFrom();
    }

    private void heartbeatSafely() {
        if (closed) {
            return;
        }
        String mid;
        int gen;
        Set<TopicPartition> owned;
        synchronized (this) {
            mid = memberId;
            gen = generation;
            owned = new HashSet<>(partitions.keySet());
        }
        try {
            long sent = engine.time().nanoTime();
            GroupMembership m = storage.heartbeat(group, mid, gen, owned);
            leaseFromNanos = sent;
            applyAssignment(m);
        } catch (GmqException e) {
            if (e.code() == ErrorCode.FAILED_PRECONDITION || e.code() == ErrorCode.NOT_FOUND) {
                LOG.warn("member {} of group {} was fenced ({}); rejoining", mid, group, e.getMessage());
                rejoin();
            } else {
                LOG.debug("heartbeat of {} in group {} failed: {}", mid, group, e.toString());
            }
        } catch (RuntimeException e) {
            LOG.warn("heartbeat of {} in group {} failed", mid, group, e);
        }
    }

    /** Our session ended (expired while we were away): drop everything in flight and join again. */
    private void rejoin() {
        synchronized (this) {
            for (PartitionState ps : partitions.values()) {
                ps.active = false;
            }
            partitions.clear();
        }
        try {
            long sent = engine.time().nanoTime();
            GroupMembership m = storage.joinGroup(group, clientId, topics, sessionTimeoutMillis);
            leaseFromNanos = sent;
            synchronized (this) {
                if (closed) {
                    storage.leaveGroup(group, m.memberId());
                    return;
                }
                memberId = m.memberId();
                generation = m.generation();
            }
            applyAssignment(m);
        } catch (RuntimeException e) {
            LOG.debug("rejoin of group {} failed, retrying on the next heartbeat: {}", group, e.toString());
        }
    }

    // ---- commits --------------------------------------------------------------------------------

    private void commitSafely() {
        if (closed) {
            return;
        }
        try {
            sink.flushAcks();
            commitProgress();
        } catch (RuntimeException e) {
            LOG.debug("commit of group {} failed: {}", group, e.toString());
        }
    }

    private void commitProgress() {
        Map<TopicPartition, Long> offsets = new HashMap<>();
        synchronized (this) {
            for (PartitionState ps : partitions.values()) {
                long c = ps.window.base();
                if (c > ps.committed) {
                    offsets.put(ps.tp, c);
                }
            }
        }
        commit(offsets);
    }

    private void commit(Map<TopicPartition, Long> offsets) {
        if (offsets.isEmpty()) {
            return;
        }
        String mid;
        int gen;
        synchronized (this) {
            mid = memberId;
            gen = generation;
        }
        Set<TopicPartition> rejected = storage.commitOffsets(group, mid, gen, offsets);
        synchronized (this) {
            for (Map.Entry<TopicPartition, Long> e : offsets.entrySet()) {
                PartitionState ps = partitions.get(e.getKey());
                if (ps != null && !rejected.contains(e.getKey())) {
                    ps.committed = Math.max(ps.committed, e.getValue());
                }
            }
        }
        if (!rejected.isEmpty()) {
            LOG.debug("group {} rejected commits of {} for member {} (no longer owner)", group, rejected, mid);
        }
    }

    // ---- fetch and deliver ----------------------------------------------------------------------

    /** Starts a fetch for the partition if it has room, the sink has capacity and none is running. */
    private void maybeFetch(PartitionState ps) {
        if (closed || !ps.active || ps.fetching || sink.capacity() <= 0) {
            return;
        }
        // Fetch in big bites: with messages in flight, wait until a quarter of the window is free
        // rather than fetching a record at a time as acks trickle in.
        int room = ps.window.room();
        if (room <= 0 || (ps.window.inFlight() > 0 && room < fetchThreshold)) {
            return;
        }
        if (ps.retryAtNanos != 0 && engine.time().nanoTime() - ps.retryAtNanos < 0) {
            return;
        }
        if (!leaseValid()) {
            return; // the tick tries again; a heartbeat renews the lease or fences us
        }
        ps.fetching = true;
        // A long poll completes on a delivery thread (the local log reads there when data arrives):
        // deliver on that thread. A result that is ready now goes to a delivery thread as a task,
        // not into a recursion of fetches on this one. (One completing between the check and the
        // callback's registration is delivered on this thread: rare, and as safe.)
        Executor delivery = engine.deliveryExecutor();
        CompletableFuture<FetchResult> fetched = storage.fetch(
                ps.tp, ps.fetchOffset, fetchBytes(ps, Math.min(room, sink.capacity())), pullIntervalMillis, delivery);
        if (fetched.isDone()) {
            fetched.whenCompleteAsync((r, e) -> onFetched(ps, r, e), delivery);
        } else {
            fetched.whenComplete((r, e) -> onFetched(ps, r, e));
        }
    }

    /**
     * Bytes to ask for when {@code records} can be delivered: about what they take on disk, so a
     * fetch does not read (and a broker does not ship from storage) a megabyte of which the window
     * takes a tenth, only to read the rest again on the next fetch.
     */
    private static int fetchBytes(PartitionState ps, int records) {
        if (ps.bytesPerRecord == 0) {
            return FETCH_MAX_BYTES;
        }
        long want = (long) records * ps.bytesPerRecord;
        return (int) Math.max(FETCH_MIN_BYTES, Math.min(FETCH_MAX_BYTES, want));
    }

    /** Learns the stored size of a record from the frame headers of a fetch result. Lock held. */
    private void learnRecordSize(PartitionState ps, ByteBuffer buf) {
        long first = -1;
        long next = -1;
        BatchFrame frame = frameCursor.wrap(buf, buf.position());
        for (; frame.fitsIn(buf.limit()); frame.next()) {
            first = first < 0 ? frame.baseOffset() : first;
            next = frame.nextOffset();
        }
        if (next > first && first >= 0) {
            ps.bytesPerRecord =
                    (int) Math.max(1, Math.min(Integer.MAX_VALUE, (frame.offset() - buf.position()) / (next - first)));
        }
    }

    private void onFetched(PartitionState ps, FetchResult r, Throwable error) {
        synchronized (this) {
            ps.fetching = false;
            if (closed || !ps.active) {
                return;
            }
            if (error != null) {
                ps.retryAtNanos = engine.time().nanoTime() + pullIntervalMillis * 1_000_000L;
                Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                        ? error.getCause()
                        : error;
                if (cause instanceof GmqException g
                        && g.code() == ErrorCode.DATA_LOSS
                        && ps.dataLossLoggedAt != ps.fetchOffset) {
                    // Damage found only on read (not by startup recovery): say so, or the partition just stalls.
                    ps.dataLossLoggedAt = ps.fetchOffset;
                    LOG.error(
                            "group {} cannot read {} at offset {}, delivery of this partition stops there: {}",
                            group,
                            ps.tp,
                            ps.fetchOffset,
                            g.getMessage());
                } else {
                    LOG.debug("fetch of {} at {} failed: {}", ps.tp, ps.fetchOffset, error.toString());
                }
                return;
            }
            if (!leaseValid()) {
                return; // fetched across a pause: not ours to deliver until a heartbeat confirms us
            }
            ps.retryAtNanos = 0;
            if (r.outOfRange()) {
                LOG.warn(
                        "group {} skips {} from offset {} to {}: older records were deleted by retention",
                        group,
                        ps.tp,
                        ps.fetchOffset,
                        r.logStartOffset());
                ps.window.skipTo(r.logStartOffset());
                ps.fetchOffset = r.logStartOffset();
            } else if (!r.isEmpty()) {
                learnRecordSize(ps, r.records());
                int capacity = Math.min(sink.capacity(), ps.window.room());
                DeliveryPlan plan = DeliveryPlan.of(ps.window, ps.fetchOffset, r.records(), capacity, frameCursor);
                if (plan.isEmpty() && capacity > 0) {
                    // QoS 0 records wait behind an unacknowledged QoS 1 record: look again on a later tick.
                    ps.retryAtNanos = engine.time().nanoTime() + TICK_MILLIS * 1_000_000L;
                } else if (plan.needsCommitBeyond(ps.committed)) {
                    commitThenDeliver(ps, plan);
                    return;
                } else if (!plan.isEmpty()) {
                    deliver(ps, plan);
                }
            }
            maybeFetch(ps);
        }
    }

    /**
     * Commits past the plan's QoS 0 records, then delivers it (see {@link DeliveryPlan}): a broker
     * crash in between loses them, never sends them twice. The partition stays marked as fetching
     * until the commit settles, so no second fetch plans the same records. Lock held.
     */
    private void commitThenDeliver(PartitionState ps, DeliveryPlan plan) {
        String mid = memberId;
        int gen = generation;
        try {
            // The storage keeps the higher of two commits, so a periodic commit of an older
            // window base racing this one cannot move the offset back before the records.
            CompletableFuture.supplyAsync(
                            () -> storage.commitOffsets(group, mid, gen, Map.of(ps.tp, plan.commitFirst())),
                            engine.groupExecutor())
                    .whenCompleteAsync(
                            (rejected, e) -> onCommittedBeforeDelivery(ps, plan, rejected, e),
                            engine.deliveryExecutor());
            ps.fetching = true;
        } catch (RejectedExecutionException e) {
            LOG.debug("group {} not delivering {}: the broker is shutting down", group, ps.tp);
        }
    }

    private void onCommittedBeforeDelivery(
            PartitionState ps, DeliveryPlan plan, Set<TopicPartition> rejected, Throwable error) {
        synchronized (this) {
            ps.fetching = false;
            if (closed || !ps.active) {
                return;
            }
            if (error != null || rejected.contains(ps.tp)) {
                // Nothing was sent: the records are fetched again (storage back) or are no longer ours.
                LOG.debug(
                        "group {} holds QoS 0 records of {} at {}: commit before delivery failed ({})",
                        group,
                        ps.tp,
                        plan.from(),
                        error != null ? error.toString() : "no longer owner");
                ps.retryAtNanos = engine.time().nanoTime() + pullIntervalMillis * 1_000_000L;
                return;
            }
            ps.committed = Math.max(ps.committed, plan.commitFirst());
            if (ps.fetchOffset <= plan.from() && leaseValid()) {
                deliver(ps, plan);
            }
            // else: committed past records this member may no longer own: lost, as at most once allows
            maybeFetch(ps);
        }
    }

    /** Marks the plan's records delivered and hands them to the sink. Lock held. */
    private void deliver(PartitionState ps, DeliveryPlan plan) {
        plan.markDelivered(ps.window, engine.time().nanoTime() + ackTimeoutNanos, frameCursor);
        ps.fetchOffset = plan.to();
        sink.deliver(new Delivery(ps.tp, plan.frames(), plan.from(), plan.to(), 1, generation));
    }

    // ---- redelivery -----------------------------------------------------------------------------

    private void tickSafely() {
        if (closed) {
            return;
        }
        try {
            sink.flushAcks();
            synchronized (this) {
                long now = engine.time().nanoTime();
                if (!leaseValid()) {
                    return;
                }
                for (PartitionState ps : partitions.values()) {
                    redeliverDue(ps, now);
                    maybeFetch(ps);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("delivery tick of group {} failed", group, e);
        }
    }

    private void redeliverDue(PartitionState ps, long now) {
        if (ps.window.inFlight() == 0) {
            return;
        }
        int maxDeliveries = engine.config().maxDeliveries();
        ps.window.forEachDue(now, offset -> {
            // While the record is being read again, keep it out of the due set.
            ps.window.postpone(offset, now + ackTimeoutNanos);
            boolean deadLetter = maxDeliveries > 0 && ps.window.deliveryCount(offset) >= maxDeliveries;
            storage.fetch(ps.tp, offset, 1, 0)
                    .whenCompleteAsync(
                            (r, e) -> onRedeliveryRead(ps, offset, deadLetter, r, e), engine.deliveryExecutor());
        });
    }

    private void onRedeliveryRead(PartitionState ps, long offset, boolean deadLetter, FetchResult r, Throwable e) {
        synchronized (this) {
            if (closed || !ps.active || !ps.window.contains(offset)) {
                return;
            }
            if (e != null || r.isEmpty()) {
                ps.window.postpone(offset, engine.time().nanoTime() + pullIntervalMillis * 1_000_000L);
                return;
            }
            if (deadLetter) {
                sendToDeadLetter(ps, offset, r.records());
                return;
            }
            if (sink.capacity() <= 0) {
                ps.window.postpone(offset, engine.time().nanoTime() + TICK_MILLIS * 1_000_000L);
                return;
            }
            ps.window.redelivered(offset, engine.time().nanoTime() + ackTimeoutNanos);
            sink.deliver(
                    new Delivery(ps.tp, r.records(), offset, offset + 1, ps.window.deliveryCount(offset), generation));
        }
    }

    /** Publishes the record to {@code <topic><deadLetterSuffix>} with its origin in headers, then acks it. */
    private void sendToDeadLetter(PartitionState ps, long offset, ByteBuffer frames) {
        BatchReader reader = new BatchReader(frames);
        while (reader.next()) {
            if (reader.offset() != offset) {
                continue;
            }
            List<Header> headers = new ArrayList<>(reader.headers());
            headers.add(Header.of(DLQ_SOURCE_TOPIC, ps.tp.topic()));
            headers.add(Header.of(DLQ_SOURCE_PARTITION, Integer.toString(ps.tp.partition())));
            headers.add(Header.of(DLQ_SOURCE_OFFSET, Long.toString(offset)));
            headers.add(Header.of(DLQ_DELIVERY_COUNT, Integer.toString(ps.window.deliveryCount(offset))));
            headers.add(Header.of(DLQ_GROUP, group));
            String dlq = ps.tp.topic() + engine.config().deadLetterSuffix();
            PublishRequest req = new PublishRequest(
                    dlq,
                    reader.value(),
                    QoS.AT_LEAST_ONCE,
                    reader.key(),
                    PublishRequest.ANY_PARTITION,
                    headers,
                    reader.timestamp());
            engine.publish(req).whenComplete((res, err) -> {
                if (err == null) {
                    LOG.info(
                            "group {} moved {}@{} to dead-letter topic {} after {} deliveries",
                            group,
                            ps.tp,
                            offset,
                            dlq,
                            ps.window.deliveryCount(offset));
                    ack(ps.tp, offset);
                } else {
                    LOG.warn("group {} could not dead-letter {}@{}: {}", group, ps.tp, offset, err.toString());
                }
            });
            return;
        }
    }

    // ---- lifecycle ------------------------------------------------------------------------------

    /**
     * Stops this member the way a crash would: no final commit, no leave, no more heartbeats. The
     * group removes it when its session times out and its unacknowledged messages go to the next
     * owner. For fault-injection tests.
     */
    public void crash() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            for (ScheduledFuture<?> t : tasks) {
                t.cancel(false);
            }
            for (PartitionState ps : partitions.values()) {
                ps.active = false;
            }
            partitions.clear();
        }
        engine.removed(this);
    }

    /** Stops delivery, commits acknowledged progress and leaves the group. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            for (ScheduledFuture<?> t : tasks) {
                t.cancel(false);
            }
        }
        try {
            sink.flushAcks();
            commitProgress();
        } catch (RuntimeException e) {
            LOG.debug("final commit of group {} failed: {}", group, e.toString());
        }
        String mid;
        synchronized (this) {
            closed = true;
            mid = memberId;
            for (PartitionState ps : partitions.values()) {
                ps.active = false;
            }
            partitions.clear();
        }
        try {
            storage.leaveGroup(group, mid);
        } catch (RuntimeException e) {
            LOG.debug("leave of group {} failed: {}", group, e.toString());
        }
        engine.removed(this);
    }
}
