package io.gmq.broker;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.OffsetSpec;
import io.gmq.Ordering;
import io.gmq.TimeSource;
import io.gmq.TopicPartition;
import io.gmq.storage.GroupMembership;
import io.gmq.storage.Storage;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * <p>This class is the supported API and runs membership (join, heartbeat, rejoin, assignment,
 * close); each other capability is a package-private class of its own:
 * <ul>
 *   <li>{@link MemberLease}: the member id, generation and lease as a pure state machine (time
 *       passed in);
 *   <li>{@link PartitionDelivery}: the fetch loop and delivery of the owned partitions;
 *   <li>{@link Redelivery}: ack timeouts, nacks, and dead letters after maxDeliveries;
 *   <li>{@link OffsetCommits}: batched commits of the lowest unacknowledged offsets.
 * </ul>
 *
 * <p>Threads: fetch completions run on the engine's delivery executor; heartbeats, commits and
 * the redelivery tick on its group executor; acks on the caller's thread. One monitor
 * ({@code this}) guards the member state: the lease, the owned partitions and their delivery
 * state, in this class and the parts above alike; storage calls that may block are made outside
 * it. Time is read from the engine's {@link TimeSource} ({@link io.gmq.GmqConfig#timeSource()}), never
 * from the system clock.
 */
public final class GroupSubscription implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GroupSubscription.class);

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
    private final TimeSource time;
    private final String group;
    private final String clientId;
    private final Set<String> topics;
    private final SubscriptionOptions options;
    private final DeliverySink sink;
    private final long sessionTimeoutMillis;

    /** Member id, generation and lease (guarded by this); see {@link MemberLease} for the lease. */
    private final MemberLease lease;

    private final Map<TopicPartition, OwnedPartition> partitions = new HashMap<>();
    private volatile boolean closed;
    private final List<ScheduledFuture<?>> tasks = new ArrayList<>();

    private final PartitionDelivery delivery;
    private final Redelivery redelivery;
    private final OffsetCommits commits;
    /** Non-null for a share group's member: membership and delivery go through it instead. */
    private final ShareMember share;
    /** This member's group's counters per topic, held from construction until the engine removes it. */
    private final Map<String, BrokerMetrics.GroupCounters> counters;

    GroupSubscription(
            BrokerEngine engine,
            String group,
            String clientId,
            Set<String> topics,
            SubscriptionOptions options,
            DeliverySink sink) {
        this.engine = engine;
        this.storage = engine.storage();
        this.time = engine.time();
        this.group = group;
        this.clientId = clientId;
        this.topics = Set.copyOf(topics);
        this.options = options;
        this.sink = sink;
        this.sessionTimeoutMillis = (options.sessionTimeout() != null
                        ? options.sessionTimeout()
                        : engine.config().sessionTimeout())
                .toMillis();
        long pullIntervalMillis = Math.max(1, options.pullInterval().toMillis());
        this.lease = new MemberLease(TimeUnit.MILLISECONDS.toNanos(sessionTimeoutMillis));
        this.delivery = new PartitionDelivery(this, engine, sink, pullIntervalMillis);
        this.redelivery = new Redelivery(this, engine, sink, pullIntervalMillis);
        this.commits = new OffsetCommits(this, storage);
        this.counters = engine.metrics().join(group, this.topics);
        this.share = options.groupType() == io.gmq.GroupType.SHARE
                ? new ShareMember(this, engine, sink, options, sessionTimeoutMillis)
                : null;
    }

    /** Joins and starts delivering. Errors of the join (bad names, storage down) are thrown here. */
    void start() {
        if (share != null) {
            share.start();
            return;
        }
        long sent = time.nanoTime();
        GroupMembership m = storage.joinGroup(group, clientId, topics, sessionTimeoutMillis, options.groupInstanceId());
        synchronized (this) {
            lease.joined(m.memberId(), m.generation(), sent);
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
        if (share != null) {
            return share.memberId();
        }
        return lease.memberId();
    }

    public synchronized int generation() {
        return lease.generation();
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
        if (share != null) {
            return share.assignment();
        }
        return Set.copyOf(partitions.keySet());
    }

    /** The group's counters per subscribed topic (released by the engine when this member is removed). */
    Map<String, BrokerMetrics.GroupCounters> counters() {
        return counters;
    }

    /** Acknowledges one delivered offset. Acks for partitions no longer owned are ignored. */
    public void ack(TopicPartition tp, long offset) {
        ack(tp, offset, 0);
    }

    /** As {@link #ack(TopicPartition, long)} for an offset delivered at {@code generation} (see {@link #ackAll(TopicPartition, long[], int, int)}). */
    public void ack(TopicPartition tp, long offset, int generation) {
        if (share != null) {
            share.settle(tp, new long[] {offset}, io.gmq.storage.ShareAck.ACCEPT, 0);
            return;
        }
        synchronized (this) {
            OwnedPartition ps = acceptingAcks(tp, generation);
            if (ps == null) {
                return;
            }
            boolean released = ps.keyOrder != null && redelivery.beforeAcks(ps, offset, offset + 1);
            if (ps.window.ack(offset)) {
                delivery.maybeFetch(ps);
            }
            if (released) {
                redelivery.redeliverDue(ps, time.nanoTime());
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
        ackAll(tp, offsets, n, 0);
    }

    /**
     * As {@link #ackAll(TopicPartition, long[], int)} for offsets delivered at {@code generation}:
     * ignored (refused) if that is older than the generation at which this member last acquired
     * the partition. 0: untagged, not checked.
     */
    public void ackAll(TopicPartition tp, long[] offsets, int n, int generation) {
        if (n <= 0) {
            return;
        }
        if (share != null) {
            share.settle(tp, java.util.Arrays.copyOf(offsets, n), io.gmq.storage.ShareAck.ACCEPT, 0);
            return;
        }
        synchronized (this) {
            OwnedPartition ps = acceptingAcks(tp, generation);
            if (ps == null) {
                return;
            }
            int acked = 0;
            boolean released = false;
            for (int i = 0; i < n; i++) {
                long first = offsets[i];
                while (i + 1 < n && offsets[i + 1] == offsets[i] + 1) {
                    i++; // a run of consecutive offsets is one range
                }
                released |= ps.keyOrder != null && redelivery.beforeAcks(ps, first, offsets[i] + 1);
                acked += ps.window.ackRange(first, offsets[i] + 1);
            }
            if (acked > 0) {
                delivery.maybeFetch(ps);
            }
            if (released) {
                redelivery.redeliverDue(ps, time.nanoTime());
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
        ackRanges(tp, ranges, n, 0);
    }

    /** As {@link #ackRanges(TopicPartition, long[], int)}, fenced by {@code generation} as {@link #ackAll(TopicPartition, long[], int, int)}. */
    public void ackRanges(TopicPartition tp, long[] ranges, int n, int generation) {
        if (n <= 0) {
            return;
        }
        if (share != null) {
            share.settle(tp, ShareRanges.offsets(ranges, n), io.gmq.storage.ShareAck.ACCEPT, 0);
            return;
        }
        synchronized (this) {
            OwnedPartition ps = acceptingAcks(tp, generation);
            if (ps == null) {
                return;
            }
            int acked = 0;
            boolean released = false;
            for (int i = 0; i < n; i++) {
                released |= ps.keyOrder != null && redelivery.beforeAcks(ps, ranges[2 * i], ranges[2 * i + 1]);
                acked += ps.window.ackRange(ranges[2 * i], ranges[2 * i + 1]);
            }
            if (acked > 0) {
                delivery.maybeFetch(ps);
            }
            if (released) {
                redelivery.redeliverDue(ps, time.nanoTime());
            }
        }
    }

    /**
     * The owned partition {@code tp} if acks delivered at {@code generation} apply to it (0:
     * untagged), else null: an ack from before the partition last came to this member is stale.
     * Lock held.
     */
    private OwnedPartition acceptingAcks(TopicPartition tp, int generation) {
        OwnedPartition ps = partitions.get(tp);
        return ps == null || (generation != 0 && generation < ps.acquiredGeneration) ? null : ps;
    }

    /**
     * Negatively acknowledges: the message is delivered again after the backoff of its delivery
     * count (the group's {@link SubscriptionOptions#retryBackoff()}, else the topic's).
     */
    public void nack(TopicPartition tp, long offset) {
        nack(tp, offset, -1);
    }

    /**
     * Negatively acknowledges with a delay: the message is delivered again after {@code delayNanos}
     * (0 or more), or after the backoff if {@code delayNanos} is negative. Under key ordering the
     * later records of its key wait for it.
     */
    public void nack(TopicPartition tp, long offset, long delayNanos) {
        if (share != null) {
            share.nack(tp, offset, delayNanos);
            return;
        }
        synchronized (this) {
            OwnedPartition ps = partitions.get(tp);
            if (ps == null) {
                return;
            }
            redelivery.nack(ps, offset, delayNanos, time.nanoTime());
        }
    }

    /** This member's options (ordering, backoff, ...). */
    public SubscriptionOptions options() {
        return options;
    }

    /** Heartbeats now rather than at the next interval (a topic of this member grew: its group rebalances). */
    void heartbeatNow() {
        if (!closed) {
            engine.groupExecutor().execute(this::heartbeatSafely);
        }
    }

    /**
     * Gives a record back (share groups): available to any member again at once; the delivery
     * counts. In an ordered group the same as {@link #nack}.
     */
    public void release(TopicPartition tp, long offset) {
        if (share != null) {
            share.settle(tp, new long[] {offset}, io.gmq.storage.ShareAck.RELEASE, 0);
        } else {
            nack(tp, offset);
        }
    }

    /**
     * Rejects a record (share groups): it is done for the group without another delivery.
     * FAILED_PRECONDITION in an ordered group (its committed offset cannot skip one record).
     */
    public void reject(TopicPartition tp, long offset) {
        requireShare("reject");
        share.settle(tp, new long[] {offset}, io.gmq.storage.ShareAck.REJECT, 0);
    }

    /** Renews the acquisition lock of a record (share groups). FAILED_PRECONDITION in an ordered group. */
    public void renew(TopicPartition tp, long offset) {
        requireShare("renew");
        share.renew(tp, offset);
    }

    /** Whether this member belongs to a share group. */
    public boolean isShare() {
        return share != null;
    }

    private void requireShare(String what) {
        if (share == null) {
            throw new GmqException(
                    ErrorCode.FAILED_PRECONDITION,
                    what + " is for members of share groups (groupType(SHARE)); group " + group + " is ordered");
        }
    }

    /** The sink has room again: resume fetching. */
    public void wakeUp() {
        if (share != null) {
            share.wakeUp();
            return;
        }
        synchronized (this) {
            for (OwnedPartition ps : partitions.values()) {
                delivery.maybeFetch(ps);
            }
        }
    }

    // ---- assignment -----------------------------------------------------------------------------

    private void applyAssignment(GroupMembership m) {
        List<OwnedPartition> removed = new ArrayList<>();
        List<TopicPartition> added = new ArrayList<>();
        Set<TopicPartition> target = m.assigned();
        synchronized (this) {
            if (closed || !lease.assignmentAnswered(m.memberId(), m.generation())) {
                return;
            }
            for (var it = partitions.values().iterator(); it.hasNext(); ) {
                OwnedPartition ps = it.next();
                if (!target.contains(ps.tp)) {
                    ps.active = false;
                    engine.metrics().released(this, ps);
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
            for (OwnedPartition ps : removed) {
                if (ps.window.base() > ps.committed) {
                    finalOffsets.put(ps.tp, ps.window.base());
                }
            }
            commits.commit(finalOffsets);
            LOG.debug("member {} of group {} released {}", m.memberId(), group, removed.size());
            // Tell the group at once, so the new owner does not wait a heartbeat interval.
            engine.groupExecutor().execute(this::heartbeatSafely);
        }
        List<OwnedPartition> started = new ArrayList<>();
        if (!added.isEmpty()) {
            Map<TopicPartition, Long> committed = storage.committedOffsets(group, added);
            for (TopicPartition tp : added) {
                Long c = committed.get(tp);
                long start = c != null ? c : storage.resolveOffset(tp, startSpec());
                synchronized (this) {
                    if (closed || !lease.isCurrent(m.memberId()) || partitions.containsKey(tp)) {
                        continue;
                    }
                    OwnedPartition ps = new OwnedPartition(
                            tp,
                            engine.config().maxInFlightPerPartition(),
                            start,
                            counters.getOrDefault(tp.topic(), BrokerMetrics.GroupCounters.NONE),
                            options.ordering() == Ordering.KEY);
                    ps.committed = c != null ? c : -1;
                    ps.acquiredGeneration = m.generation();
                    partitions.put(tp, ps);
                    engine.metrics().owned(this, ps);
                    started.add(ps);
                }
            }
        }
        if (!removed.isEmpty() || !started.isEmpty()) {
            // Before the first fetch: the sink hears of a partition before any of its records.
            sink.assignmentChanged(assignment(), m.generation());
        }
        synchronized (this) {
            for (OwnedPartition ps : started) {
                delivery.maybeFetch(ps);
            }
        }
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
            mid = lease.memberId();
            gen = lease.generation();
            owned = new HashSet<>(partitions.keySet());
        }
        try {
            long sent = time.nanoTime();
            GroupMembership m = storage.heartbeat(group, mid, gen, owned);
            synchronized (this) {
                lease.heartbeatAnswered(m.memberId(), m.generation(), sent);
            }
            applyAssignment(m);
        } catch (GmqException e) {
            if (e.code() == ErrorCode.ALREADY_EXISTS) {
                // A newer member took over our group instance id: rejoining would fence it in turn.
                LOG.warn("member {} of group {} stops: {}", mid, group, e.getMessage());
                stop();
                sink.failed(e);
            } else if (e.code() == ErrorCode.FAILED_PRECONDITION || e.code() == ErrorCode.NOT_FOUND) {
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
            lease.fenced();
            releaseAll();
        }
        try {
            long sent = time.nanoTime();
            GroupMembership m =
                    storage.joinGroup(group, clientId, topics, sessionTimeoutMillis, options.groupInstanceId());
            synchronized (this) {
                if (closed) {
                    storage.leaveGroup(group, m.memberId());
                    return;
                }
                lease.joined(m.memberId(), m.generation(), sent);
            }
            applyAssignment(m);
        } catch (RuntimeException e) {
            LOG.debug("rejoin of group {} failed, retrying on the next heartbeat: {}", group, e.toString());
        }
    }

    // ---- commits and the delivery tick ----------------------------------------------------------

    private void commitSafely() {
        if (closed) {
            return;
        }
        try {
            sink.flushAcks();
            commits.commitProgress();
        } catch (RuntimeException e) {
            LOG.debug("commit of group {} failed: {}", group, e.toString());
        }
    }

    private void tickSafely() {
        if (closed) {
            return;
        }
        try {
            sink.flushAcks();
            synchronized (this) {
                long now = time.nanoTime();
                if (!lease.valid(now)) {
                    return;
                }
                for (OwnedPartition ps : partitions.values()) {
                    redelivery.redeliverDue(ps, now);
                    delivery.maybeFetch(ps);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("delivery tick of group {} failed", group, e);
        }
    }

    // ---- for the parts (PartitionDelivery, Redelivery, OffsetCommits) ------------------------

    boolean isClosed() {
        return closed;
    }

    /** Whether this member may fetch and deliver now (see {@link MemberLease}). Lock held. */
    boolean leaseValid() {
        return lease.valid(time.nanoTime());
    }

    /** The owned partitions (live view). Lock held. */
    Collection<OwnedPartition> ownedPartitions() {
        return partitions.values();
    }

    /** The owned partition {@code tp}, or null. Lock held. */
    OwnedPartition ownedPartition(TopicPartition tp) {
        return partitions.get(tp);
    }

    // ---- lifecycle ------------------------------------------------------------------------------

    /** Drops every owned partition (fenced, crashed or closed). Lock held. */
    private void releaseAll() {
        for (OwnedPartition ps : partitions.values()) {
            ps.active = false;
            engine.metrics().released(this, ps);
        }
        partitions.clear();
    }

    /**
     * Stops this member the way a crash would: no final commit, no leave, no more heartbeats. The
     * group removes it when its session times out and its unacknowledged messages go to the next
     * owner. For fault-injection tests.
     */
    public void crash() {
        if (share != null) {
            closed = true;
            share.crash();
            engine.removed(this);
            return;
        }
        stop();
    }

    /** Stops without a final commit or a leave. */
    private void stop() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            lease.close();
            for (ScheduledFuture<?> t : tasks) {
                t.cancel(false);
            }
            releaseAll();
        }
        engine.removed(this);
    }

    /**
     * Stops delivery, commits acknowledged progress and leaves the group; a static member (with a
     * group instance id) does not leave: it keeps its partitions until its session runs out or a
     * member with its instance id takes it over.
     */
    @Override
    public void close() {
        if (share != null) {
            if (!closed) {
                share.close();
                closed = true;
            }
            engine.removed(this);
            return;
        }
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
            commits.commitProgress();
        } catch (RuntimeException e) {
            LOG.debug("final commit of group {} failed: {}", group, e.toString());
        }
        String mid;
        synchronized (this) {
            closed = true;
            lease.close();
            mid = lease.memberId();
            releaseAll();
        }
        try {
            if (options.groupInstanceId() == null) {
                storage.leaveGroup(group, mid);
            }
        } catch (RuntimeException e) {
            LOG.debug("leave of group {} failed: {}", group, e.toString());
        }
        engine.removed(this);
    }
}
