package io.gmq.broker;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.TimeSource;
import io.gmq.TopicPartition;
import io.gmq.storage.ShareAck;
import io.gmq.storage.ShareAcquisition;
import io.gmq.storage.Storage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member of a share group ({@link io.gmq.GroupType#SHARE}) as a broker runs it: joins through
 * {@link Storage#joinShareGroup}, and for every partition of its topics acquires records from
 * storage ({@link Storage#acquire}, long poll) within the sink's capacity, hands them to the
 * sink, and settles what the consumer says ({@link Storage#settle}: accept, release, reject,
 * renew). All share state (who holds which record, until when, delivery counts) is in storage;
 * this class holds only which acquisitions are under way, so a broker can die and its members'
 * records come back when their locks end.
 *
 * <p>A record acquired for the {@code maxDeliveries + 1}-th time is not delivered: it goes to the
 * dead-letter topic ({@link DeadLetters}) and is then settled as rejected.
 *
 * <p>Threads: acquisitions complete on the engine's delivery executor, heartbeats and retries run
 * on its group executor, settles on the caller's thread. This object's monitor guards the
 * acquisition state; storage calls that may block are made outside it.
 */
final class ShareMember {
    private static final Logger LOG = LoggerFactory.getLogger(ShareMember.class);
    /** Most records one acquisition asks for. */
    static final int MAX_ACQUIRE = 512;

    private final GroupSubscription owner;
    private final BrokerEngine engine;
    private final Storage storage;
    private final TimeSource time;
    private final DeliverySink sink;
    private final String group;
    private final SubscriptionOptions options;
    private final long sessionTimeoutMillis;
    private final long pullIntervalMillis;
    private final long lockMillis;

    /** One partition's acquisition loop. */
    private static final class Part {
        final TopicPartition tp;
        boolean acquiring;
        boolean retryScheduled;

        Part(TopicPartition tp) {
            this.tp = tp;
        }
    }

    private final Map<TopicPartition, Part> parts = new LinkedHashMap<>();
    private final List<ScheduledFuture<?>> tasks = new ArrayList<>();
    /** Settles sent and not answered yet: close waits for them before leaving. */
    private final Set<CompletableFuture<?>> pendingSettles = ConcurrentHashMap.newKeySet();
    /** Records asked for by acquisitions under way: with the sink's capacity, the room left. */
    private int reserved;

    private volatile String memberId;
    private volatile boolean closed;

    ShareMember(
            GroupSubscription owner,
            BrokerEngine engine,
            DeliverySink sink,
            SubscriptionOptions options,
            long sessionTimeoutMillis) {
        this.owner = owner;
        this.engine = engine;
        this.storage = engine.storage();
        this.time = engine.time();
        this.sink = sink;
        this.group = owner.group();
        this.options = options;
        this.sessionTimeoutMillis = sessionTimeoutMillis;
        this.pullIntervalMillis = Math.max(1, options.pullInterval().toMillis());
        this.lockMillis = options.lockMillis();
    }

    /** Joins and starts acquiring. Errors of the join (type conflict, storage down) are thrown here. */
    void start() {
        memberId = join();
        for (String t : owner.topics()) {
            int n = engine.topic(t).partitions();
            for (int p = 0; p < n; p++) {
                TopicPartition tp = new TopicPartition(t, p);
                parts.put(tp, new Part(tp));
            }
        }
        sink.assignmentChanged(assignment(), 0);
        long heartbeatMillis = Math.max(10, Math.min(GroupSubscription.MAX_HEARTBEAT_MILLIS, sessionTimeoutMillis / 3));
        synchronized (this) {
            tasks.add(engine.groupExecutor()
                    .scheduleWithFixedDelay(
                            this::heartbeatSafely, heartbeatMillis, heartbeatMillis, TimeUnit.MILLISECONDS));
            tasks.add(engine.groupExecutor()
                    .scheduleWithFixedDelay(
                            this::tick,
                            GroupSubscription.TICK_MILLIS,
                            GroupSubscription.TICK_MILLIS,
                            TimeUnit.MILLISECONDS));
        }
        wakeUp();
    }

    private String join() {
        return storage.joinShareGroup(
                group, owner.clientId(), owner.topics(), sessionTimeoutMillis, options.ordering(), options.startFrom());
    }

    String memberId() {
        return memberId;
    }

    /** Every partition of the subscribed topics: share members all consume all of them. */
    Set<TopicPartition> assignment() {
        return Set.copyOf(parts.keySet());
    }

    // ---- acquisition ------------------------------------------------------------------------------

    /** Starts an acquisition on every partition that has none under way, within the sink's capacity. */
    synchronized void wakeUp() {
        for (Part p : parts.values()) {
            maybeAcquire(p);
        }
    }

    private void maybeAcquire(Part p) {
        if (closed || p.acquiring || p.retryScheduled) {
            return;
        }
        int room = Math.min(MAX_ACQUIRE, sink.capacity() - reserved);
        if (room <= 0) {
            return;
        }
        p.acquiring = true;
        reserved += room;
        String mid = memberId;
        storage.acquire(group, mid, p.tp, room, lockMillis, pullIntervalMillis)
                .whenCompleteAsync((a, e) -> acquired(p, room, mid, a, e), engine.deliveryExecutor());
    }

    private void acquired(Part p, int asked, String mid, ShareAcquisition a, Throwable error) {
        List<Long> toDeadLetter = null;
        List<Integer> deadCounts = null;
        synchronized (this) {
            p.acquiring = false;
            reserved -= asked;
            if (closed || !mid.equals(memberId)) {
                if (a != null && a.count() > 0) {
                    settle(p.tp, a.offsets(), ShareAck.RELEASE, 0, mid); // not ours to deliver any more
                }
                return;
            }
            if (error != null) {
                Throwable cause = BrokerEngine.unwrap(error);
                if (cause instanceof GmqException g && g.code() == ErrorCode.FAILED_PRECONDITION) {
                    engine.groupExecutor().execute(() -> rejoin(mid));
                } else {
                    LOG.debug("acquire of {} for share group {} failed: {}", p.tp, group, cause.toString());
                }
                retryLater(p, pullIntervalMillis);
                return;
            }
            if (a.count() == 0) {
                retryLater(p, GroupSubscription.TICK_MILLIS);
                return;
            }
            int maxDeliveries = engine.settings(p.tp.topic()).maxDeliveries();
            long[] offsets = a.offsets();
            int[] counts = a.deliveryCounts();
            BrokerMetrics.GroupCounters counters =
                    owner.counters().getOrDefault(p.tp.topic(), BrokerMetrics.GroupCounters.NONE);
            int i = 0;
            while (i < offsets.length) {
                if (maxDeliveries > 0 && counts[i] > maxDeliveries) {
                    if (toDeadLetter == null) {
                        toDeadLetter = new ArrayList<>();
                        deadCounts = new ArrayList<>();
                    }
                    toDeadLetter.add(offsets[i]);
                    deadCounts.add(counts[i] - 1);
                    i++;
                    continue;
                }
                int j = i + 1; // a run: consecutive offsets with the same delivery count
                while (j < offsets.length
                        && offsets[j] == offsets[j - 1] + 1
                        && counts[j] == counts[i]
                        && !(maxDeliveries > 0 && counts[j] > maxDeliveries)) {
                    j++;
                }
                long from = offsets[i];
                long to = offsets[j - 1] + 1;
                sink.deliver(
                        new Delivery(p.tp, ShareAcquisition.framesFor(a.frames(), from, to), from, to, counts[i], 0));
                (counts[i] > 1 ? counters.redeliveries : counters.deliveries).increment();
                i = j;
            }
            maybeAcquire(p);
        }
        if (toDeadLetter != null) {
            for (int k = 0; k < toDeadLetter.size(); k++) {
                long offset = toDeadLetter.get(k);
                BrokerMetrics.GroupCounters counters =
                        owner.counters().getOrDefault(p.tp.topic(), BrokerMetrics.GroupCounters.NONE);
                DeadLetters.publish(engine, group, p.tp, offset, deadCounts.get(k), a.frames())
                        .whenComplete((res, err) -> {
                            if (err == null && res != null) {
                                counters.deadLettered.increment();
                                settle(p.tp, new long[] {offset}, ShareAck.REJECT, 0, mid);
                            }
                        });
            }
        }
    }

    /** Tries the partition again after {@code millis}. Lock held. */
    private void retryLater(Part p, long millis) {
        if (p.retryScheduled || closed) {
            return;
        }
        p.retryScheduled = true;
        engine.groupExecutor()
                .schedule(
                        () -> {
                            synchronized (this) {
                                p.retryScheduled = false;
                                maybeAcquire(p);
                            }
                        },
                        millis,
                        TimeUnit.MILLISECONDS);
    }

    // ---- settling ---------------------------------------------------------------------------------

    /** Settles {@code offsets} of {@code tp} as {@code kind} ({@code millis}: release delay or lock duration). */
    void settle(TopicPartition tp, long[] offsets, ShareAck kind, long millis) {
        settle(tp, offsets, kind, millis, memberId);
    }

    private void settle(TopicPartition tp, long[] offsets, ShareAck kind, long millis, String mid) {
        if (offsets.length == 0 || mid == null) {
            return;
        }
        CompletableFuture<Integer> f = settleCall(tp, offsets, kind, millis, mid);
        pendingSettles.add(f);
        f.whenComplete((n, e) -> {
            pendingSettles.remove(f);
            if (e != null) {
                Throwable cause = BrokerEngine.unwrap(e);
                LOG.debug(
                        "settle ({}) of {} records of {} in share group {} failed: {}",
                        kind,
                        offsets.length,
                        tp,
                        group,
                        cause.toString());
            } else if (kind != ShareAck.RENEW) {
                wakeUp();
            }
        });
    }

    private CompletableFuture<Integer> settleCall(
            TopicPartition tp, long[] offsets, ShareAck kind, long millis, String mid) {
        try {
            return storage.settle(group, mid, tp, offsets, kind, millis);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** The lock of an acquired record, renewed for another lock duration. */
    void renew(TopicPartition tp, long offset) {
        settle(tp, new long[] {offset}, ShareAck.RENEW, lockMillis);
    }

    /** A nack: released, available again after the topic's nack backoff. */
    /** Releases after {@code delayNanos} (0 or more), or after the topic's nack backoff if negative. */
    void nack(TopicPartition tp, long offset, long delayNanos) {
        long nanos = delayNanos >= 0 ? delayNanos : engine.settings(tp.topic()).nackBackoffNanos();
        settle(tp, new long[] {offset}, ShareAck.RELEASE, nanos / 1_000_000L);
    }

    // ---- membership -------------------------------------------------------------------------------

    private void tick() {
        if (closed) {
            return;
        }
        try {
            sink.flushAcks();
            wakeUp();
        } catch (RuntimeException e) {
            LOG.warn("tick of share group {} failed", group, e);
        }
    }

    private void heartbeatSafely() {
        if (closed) {
            return;
        }
        String mid = memberId;
        try {
            storage.shareHeartbeat(group, mid);
        } catch (GmqException e) {
            if (e.code() == ErrorCode.FAILED_PRECONDITION) {
                rejoin(mid);
            } else {
                LOG.debug("heartbeat of {} in share group {} failed: {}", mid, group, e.toString());
            }
        } catch (RuntimeException e) {
            LOG.warn("heartbeat of {} in share group {} failed", mid, group, e);
        }
    }

    /** Our session ended (we were away too long): join again under a new member id. */
    private void rejoin(String expired) {
        if (closed || !expired.equals(memberId)) {
            return;
        }
        try {
            String mid = join();
            synchronized (this) {
                if (closed) {
                    storage.leaveShareGroup(group, mid);
                    return;
                }
                LOG.warn("member {} of share group {} had expired; joined again as {}", expired, group, mid);
                memberId = mid;
            }
            wakeUp();
        } catch (RuntimeException e) {
            LOG.debug("rejoin of share group {} failed, retrying on the next heartbeat: {}", group, e.toString());
        }
    }

    /** Stops like a crashed process: no leave; the records it holds come back when their locks end. */
    void crash() {
        synchronized (this) {
            closed = true;
            tasks.forEach(t -> t.cancel(false));
        }
    }

    /** Applies held acks, waits for settles under way, and leaves (its unsettled records go back at once). */
    void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            tasks.forEach(t -> t.cancel(false));
        }
        try {
            sink.flushAcks();
        } catch (RuntimeException e) {
            LOG.debug("final acks of share group {} failed: {}", group, e.toString());
        }
        synchronized (this) {
            closed = true;
        }
        try {
            CompletableFuture.allOf(pendingSettles.toArray(new CompletableFuture<?>[0]))
                    .get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.debug("settles of share group {} still open at close: {}", group, e.toString());
        }
        try {
            storage.leaveShareGroup(group, memberId);
        } catch (RuntimeException e) {
            LOG.debug("leave of share group {} failed: {}", group, e.toString());
        }
    }
}
