package io.gmq.broker;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.TimeSource;
import io.gmq.TopicPartition;
import io.gmq.storage.BatchFrame;
import io.gmq.storage.FetchResult;
import io.gmq.storage.Storage;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fetch loop of a {@link GroupSubscription}'s owned partitions: starts a long-poll fetch when a
 * partition's {@link DeliveryWindow} and the sink have room, plans what a result may deliver
 * ({@link DeliveryPlan}), commits past QoS 0 records before sending them, and hands the records
 * to the {@link DeliverySink}.
 *
 * <p>Threads. Every method runs under the subscription's monitor (the callers hold it, or the
 * completion takes it first): it guards each {@link OwnedPartition} and {@link #frameCursor}. Fetch
 * completions run on the engine's delivery executor; the commit before a QoS 0 delivery runs on
 * its group executor. Nothing here blocks: storage calls made under the monitor only start
 * asynchronous work. Time comes from the engine's {@link TimeSource}.
 */
final class PartitionDelivery {
    /** Logs under the subscription's name, as before the fetch loop had a class of its own. */
    private static final Logger LOG = LoggerFactory.getLogger(GroupSubscription.class);

    /** Most bytes asked for per fetch; a fetch returns at least one whole frame. */
    static final int FETCH_MAX_BYTES = 1 << 20;
    /** Fewest bytes asked for per fetch once the record size is known. */
    static final int FETCH_MIN_BYTES = 16 << 10;

    private final GroupSubscription member;
    private final BrokerEngine engine;
    private final Storage storage;
    private final TimeSource time;
    private final DeliverySink sink;
    private final String group;
    private final long pullIntervalMillis;
    private final int fetchThreshold;
    /** Reads the frame headers of fetch results and deliveries (guarded by the member's monitor). */
    private final BatchFrame frameCursor = new BatchFrame();
    /** Holds records past partition growths' boundaries until the group passed them. */
    private final GrowthBarrier growth;

    PartitionDelivery(GroupSubscription member, BrokerEngine engine, DeliverySink sink, long pullIntervalMillis) {
        this.member = member;
        this.engine = engine;
        this.storage = engine.storage();
        this.time = engine.time();
        this.sink = sink;
        this.group = member.group();
        this.pullIntervalMillis = pullIntervalMillis;
        this.fetchThreshold = Math.max(1, engine.config().maxInFlightPerPartition() / 4);
        this.growth = new GrowthBarrier(member, engine);
    }

    /** Starts a fetch for the partition if it has room, the sink has capacity and none is running. Lock held. */
    void maybeFetch(OwnedPartition ps) {
        if (member.isClosed() || !ps.active || ps.fetching || sink.capacity() <= 0) {
            return;
        }
        // Fetch in big bites: with messages in flight, wait until a quarter of the window is free
        // rather than fetching a record at a time as acks trickle in.
        int room = ps.window.room();
        if (room <= 0 || (ps.window.inFlight() > 0 && room < fetchThreshold)) {
            return;
        }
        if (ps.retryAtNanos != 0 && time.nanoTime() - ps.retryAtNanos < 0) {
            return;
        }
        if (!member.leaseValid()) {
            return; // the tick tries again; a heartbeat renews the lease or fences us
        }
        if (ps.fetchOffset >= growth.holdFrom(ps.tp)) {
            growth.waiting(ps.tp); // past a partition growth the group has not passed yet
            return;
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
    static int fetchBytes(OwnedPartition ps, int records) {
        if (ps.bytesPerRecord == 0) {
            return FETCH_MAX_BYTES;
        }
        long want = (long) records * ps.bytesPerRecord;
        return (int) Math.max(FETCH_MIN_BYTES, Math.min(FETCH_MAX_BYTES, want));
    }

    /** Learns the stored size of a record from the frame headers of a fetch result. Lock held. */
    private void learnRecordSize(OwnedPartition ps, ByteBuffer buf) {
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

    private void onFetched(OwnedPartition ps, FetchResult r, Throwable error) {
        synchronized (member) {
            ps.fetching = false;
            if (member.isClosed() || !ps.active) {
                return;
            }
            if (error != null) {
                ps.retryAtNanos = time.nanoTime() + pullIntervalMillis * 1_000_000L;
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
            if (!member.leaseValid()) {
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
                forgetKeysIfSkipped(ps);
            } else if (!growth.knows(ps.tp, r.topicPartitions())) {
                return; // the topic grew unseen: its metadata is read again, then the fetch runs again
            } else if (!r.isEmpty()) {
                learnRecordSize(ps, r.records());
                int capacity = (int)
                        Math.min(Math.min(sink.capacity(), ps.window.room()), growth.holdFrom(ps.tp) - ps.fetchOffset);
                DeliveryPlan plan = DeliveryPlan.of(ps.window, ps.fetchOffset, r.records(), capacity, frameCursor);
                forgetKeysIfSkipped(ps);
                if (plan.isEmpty() && capacity > 0) {
                    // QoS 0 records wait behind an unacknowledged QoS 1 record: look again on a later tick.
                    ps.retryAtNanos = time.nanoTime() + GroupSubscription.TICK_MILLIS * 1_000_000L;
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
    private void commitThenDeliver(OwnedPartition ps, DeliveryPlan plan) {
        String mid = member.memberId();
        int gen = member.generation();
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
            OwnedPartition ps, DeliveryPlan plan, Set<TopicPartition> rejected, Throwable error) {
        synchronized (member) {
            ps.fetching = false;
            if (member.isClosed() || !ps.active) {
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
                ps.retryAtNanos = time.nanoTime() + pullIntervalMillis * 1_000_000L;
                return;
            }
            ps.committed = Math.max(ps.committed, plan.commitFirst());
            if (ps.fetchOffset <= plan.from() && member.leaseValid()) {
                deliver(ps, plan);
            }
            // else: committed past records this member may no longer own: lost, as at most once allows
            maybeFetch(ps);
        }
    }

    /** Marks the plan's records delivered and hands them to the sink. Lock held. */
    void deliver(OwnedPartition ps, DeliveryPlan plan) {
        plan.markDelivered(
                ps.window, time.nanoTime() + engine.settings(ps.tp.topic()).ackTimeoutNanos(), frameCursor);
        ps.counters.deliveries.increment(plan.to() - plan.from());
        ps.fetchOffset = plan.to();
        if (ps.keyOrder != null && ps.keyOrder.delivered(ps.window, plan.frames(), plan.from(), plan.to())) {
            deliverNotHeld(ps, plan);
            return;
        }
        sink.deliver(firstDelivery(ps, plan, plan.from(), plan.to()));
    }

    /** Records {@code [from, to)} of the plan, delivered the first time. */
    private Delivery firstDelivery(OwnedPartition ps, DeliveryPlan plan, long from, long to) {
        boolean last = Delivery.isFinalAttempt(1, engine.settings(ps.tp.topic()).maxDeliveries());
        return new Delivery(ps.tp, plan.frames(), from, to, 1, member.generation(), last);
    }

    /**
     * After retention deleted records under the window ({@link DeliveryWindow#skipTo}, which
     * empties it): the blocked keys' heads and held records are gone, so no key stays blocked.
     */
    private static void forgetKeysIfSkipped(OwnedPartition ps) {
        if (ps.keyOrder != null && ps.window.inFlight() == 0 && !ps.keyOrder.isEmpty()) {
            ps.keyOrder.clear();
        }
    }

    /** Sends the runs of the plan's records that are not held back behind their key ({@link KeyOrder}). Lock held. */
    private void deliverNotHeld(OwnedPartition ps, DeliveryPlan plan) {
        long runFrom = -1;
        for (long o = plan.from(); o < plan.to(); o++) {
            boolean held = ps.window.state(o) == DeliveryWindow.HELD;
            if (!held && runFrom < 0) {
                runFrom = o;
            } else if (held && runFrom >= 0) {
                sink.deliver(firstDelivery(ps, plan, runFrom, o));
                runFrom = -1;
            }
        }
        if (runFrom >= 0) {
            sink.deliver(firstDelivery(ps, plan, runFrom, plan.to()));
        }
    }
}
