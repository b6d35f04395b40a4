package io.gmq.client.internal;

import io.gmq.AckMode;
import io.gmq.GmqException;
import io.gmq.Ordering;
import io.gmq.TopicPartition;
import io.gmq.broker.DeliveredRecord;
import io.gmq.broker.KeyOrderGate;
import io.gmq.client.ClientConfig;
import io.gmq.proto.Acks;
import io.gmq.proto.ClientFrame;
import io.gmq.proto.Credits;
import io.gmq.proto.Delivery;
import io.gmq.proto.PartitionOffsets;
import io.gmq.proto.Subscribe;
import io.gmq.proto.Unsubscribe;
import io.gmq.wire.Protos;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.agrona.collections.Int2ObjectHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One consumed topic of a network client: a group member on the broker, a dispatcher thread
 * running the handler in delivery order, and batched acks and credits going back.
 *
 * <p>The local queue needs no bound of its own: the broker never sends more records than the
 * credits this subscription granted ({@link ClientConfig#consumerCredits()}), and a credit comes
 * back only after the handler has run.
 *
 * <p>Across a reconnect the member is new (new epoch): records received on the old session are
 * not acknowledged on the new one (the group's next owner delivers them again), so the queue is
 * cleared and only current-epoch acks are sent.
 */
final class ClientSubscription implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClientSubscription.class);
    /** Longest an ack waits for others to share its frame. */
    private static final long ACK_FLUSH_MILLIS = 5;
    /** Tells the dispatcher to end (compared by identity). */
    private static final Received STOP = new Received(null, 0, 0, null, 0, -1, 0, false);

    private final long id;
    private final String topic;
    private final ClientConfig config;
    private final BrokerConnection connection;
    private final ScheduledExecutorService timer;
    /**
     * Deliveries received and not yet handled, one entry per {@code Delivery} frame: one queue
     * operation (and at most one wake-up of the dispatcher) per delivery rather than per record.
     * The dispatcher decodes them as it runs the handler, so the connection's thread only parses
     * the frame and queues it.
     */
    private final LinkedBlockingQueue<Received> queue = new LinkedBlockingQueue<>();

    /** One delivery as received: its frames and the records in [from, to) to hand to the handler. */
    private record Received(
            ByteBuffer frames,
            long from,
            long to,
            TopicPartition tp,
            int deliveryCount,
            int epoch,
            int generation,
            boolean finalAttempt) {}

    private final Thread dispatcher;

    /** Key ordering's consumer side (null under partition ordering); guarded by itself. */
    private final KeyOrderGate<ReceivedMessage> gate;
    /** Records whose turn came when their key's previous one was settled off the dispatcher. */
    private final ConcurrentLinkedQueue<ReceivedMessage> ready = new ConcurrentLinkedQueue<>();
    /** Wakes the dispatcher for {@link #ready} (compared by identity). */
    private static final Received WAKE = new Received(null, 0, 0, null, 0, -1, 0, false);

    /** Orders ack flushes and the final Unsubscribe; taken before the connection's lock, never inside it. */
    private final Object sendLock = new Object();

    // guarded by this
    /**
     * Acks since the last flush, per partition of this subscription's one topic, as offset ranges
     * (an in-order handler acks a whole delivery as one range); nacks, rare, as offsets in wire
     * form. Adding either is a primitive operation (no boxed Long, no key object per ack).
     */
    private final Int2ObjectHashMap<AckRanges> pendingAcks = new Int2ObjectHashMap<>();

    private final Int2ObjectHashMap<PartitionOffsets.Builder> pendingNacks = new Int2ObjectHashMap<>();
    /** Share groups' releases, rejects and renews since the last flush, in wire form. */
    private final ShareSettles pendingShare = new ShareSettles();

    private int pendingCredits;

    // Owned by the dispatcher thread: acks of consecutive offsets [runFrom, runTo) of runOf's
    // partition made on that thread and not yet handed over (runOf null: none).
    private ReceivedMessage runOf;
    private long runFrom;
    private long runTo;
    // Owned by the dispatcher thread: handled records of the delivery in hand whose credits are
    // not handed over yet, and the last of them.
    private int dispatchedInDelivery;
    private ReceivedMessage lastDispatched;
    private boolean flushScheduled;
    private volatile int epoch;
    private volatile String memberId;
    private volatile Set<TopicPartition> assignment = Set.of();
    /** Set first by {@link #close()}: the dispatcher handles no more records, no credits go back. */
    private volatile boolean stopping;
    /** Set by {@link #close()} after the last acks are sent: later acks are dropped (the next owner redelivers). */
    private volatile boolean closed;

    private final CompletableFuture<String> joined = new CompletableFuture<>();

    ClientSubscription(
            long id, String topic, ClientConfig config, BrokerConnection connection, ScheduledExecutorService timer) {
        this.id = id;
        this.topic = topic;
        this.config = config;
        this.connection = connection;
        this.timer = timer;
        this.gate = config.ordering() == Ordering.KEY ? new KeyOrderGate<>() : null;
        this.dispatcher = new Thread(this::dispatchLoop, "gmq-consumer-" + topic + "-" + id);
        this.dispatcher.setDaemon(true);
        this.dispatcher.start();
    }

    long id() {
        return id;
    }

    String topic() {
        return topic;
    }

    String memberId() {
        return memberId;
    }

    Set<TopicPartition> assignment() {
        return assignment;
    }

    /** Joins the group on session {@code epoch} (connection lock held). */
    void subscribe(int newEpoch) {
        GmqException failed = failure;
        if (failed != null && failed.code() == io.gmq.ErrorCode.ALREADY_EXISTS) {
            return; // fenced by a newer consumer with our group instance id: joining again would fence it
        }
        if (!assignment.isEmpty()) {
            onAssignment(Set.of()); // the previous member is gone with its session
        }
        synchronized (this) {
            epoch = newEpoch;
            pendingAcks.clear();
            pendingNacks.clear();
            pendingShare.clear();
            pendingCredits = 0;
        }
        queue.clear();
        if (gate != null) {
            synchronized (gate) {
                gate.clear(dropped -> {});
            }
            ready.clear();
        }
        Subscribe.Builder s = Subscribe.newBuilder()
                .setSubscriptionId(id)
                .setClientId(config.clientId())
                .setGroup(config.consumerGroup())
                .addTopics(topic)
                .setStartFrom(Protos.toProto(config.startFrom()))
                .setAckMode(
                        config.ackMode() == AckMode.MANUAL
                                ? io.gmq.proto.AckMode.ACK_MODE_MANUAL
                                : io.gmq.proto.AckMode.ACK_MODE_AUTO)
                .setPullIntervalMillis(config.pullInterval().toMillis())
                .setInitialCredits(config.consumerCredits());
        if (config.sessionTimeout() != null) {
            s.setSessionTimeoutMillis(config.sessionTimeout().toMillis());
        }
        if (config.groupInstanceId() != null) {
            s.setGroupInstanceId(config.groupInstanceId());
        }
        if (config.ordering() == Ordering.KEY) {
            s.setOrdering(io.gmq.proto.Ordering.ORDERING_KEY);
        }
        if (config.retryBackoff() != null) {
            s.setRetryBackoff(Protos.toProto(config.retryBackoff()));
        }
        if (config.groupType() == io.gmq.GroupType.SHARE) {
            s.setGroupType(io.gmq.proto.GroupType.GROUP_TYPE_SHARE);
        }
        if (config.lockDuration() != null) {
            s.setLockDurationMillis(config.lockDuration().toMillis());
        }
        connection.send(ClientFrame.newBuilder().setSubscribe(s).build());
    }

    void onSubscribed(String member, boolean brokerTakesCreditsInAcks) {
        this.memberId = member;
        this.creditsInAcks = brokerTakesCreditsInAcks; // per session: the next broker may be older
        joined.complete(member);
    }

    /** The current session's broker takes returned credits inside Acks (one frame per flush). */
    private volatile boolean creditsInAcks;

    /** Completes with the member id of the first join, or fails with the broker's refusal. */
    CompletableFuture<String> joined() {
        return joined;
    }

    /**
     * The member's partitions changed: tells the listener what was lost and gained. Runs on the
     * connection's thread, in frame order, so calls follow the broker's sequence of assignments.
     */
    void onAssignment(Set<TopicPartition> assigned) {
        Set<TopicPartition> before = assignment;
        this.assignment = assigned;
        Set<TopicPartition> lost = new java.util.HashSet<>(before);
        lost.removeAll(assigned);
        Set<TopicPartition> gained = new java.util.HashSet<>(assigned);
        gained.removeAll(before);
        if (gate != null) {
            synchronized (gate) {
                for (TopicPartition tp : lost) {
                    gate.forget(tp, dropped -> {});
                }
            }
        }
        try {
            if (!lost.isEmpty()) {
                config.assignmentListener().onRevoked(lost);
            }
            if (!gained.isEmpty()) {
                config.assignmentListener().onAssigned(gained);
            }
        } catch (RuntimeException e) {
            LOG.warn("assignment listener of '{}' failed: {}", topic, e.toString());
        }
    }

    /**
     * Queues the records of {@code d} in [from, to) for the handler. The frames stay valid after
     * this call, and so do the messages that view them: grpc's protobuf marshaller copies a bytes
     * field out of its receive buffer (it parses without aliasing), so {@code d} owns its bytes
     * (checked by GmqClientTest, which reads messages after later deliveries arrived).
     */
    void onDelivery(Delivery d, int deliveryEpoch) {
        if (stopping || deliveryEpoch != epoch || d.getToOffset() <= d.getFromOffset()) {
            return;
        }
        queue.add(new Received(
                Protos.readView(d.getFrames()),
                d.getFromOffset(),
                d.getToOffset(),
                new TopicPartition(d.getTopic(), d.getPartition()),
                d.getDeliveryCount(),
                deliveryEpoch,
                d.getGeneration(),
                d.getFinalAttempt()));
    }

    private void dispatchLoop() {
        while (true) {
            Received d;
            try {
                d = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (d == STOP) {
                return;
            }
            if (d == WAKE) {
                dispatchReady();
                continue;
            }
            dispatch(d);
        }
    }

    /**
     * Runs the handler over one delivery (one partition, offset order). Acks made on this thread
     * (auto, or manual from inside the handler) of consecutive offsets only extend a local run;
     * the run and the returned credits are handed over under one lock acquisition per
     * {@code consumerCredits / 4} records and at the end of the delivery, instead of one per record.
     */
    private void dispatch(Received d) {
        if (stopping || d.epoch() != epoch) {
            return; // stale or closing: the next owner of the partition delivers it again
        }
        dispatchedInDelivery = 0;
        lastDispatched = null;
        DeliveredRecord.decode(
                d.frames(),
                d.from(),
                d.to(),
                at -> new ReceivedMessage(
                        this, d.epoch(), d.generation(), d.tp(), at, d.deliveryCount(), d.finalAttempt()),
                this::dispatchOne);
        if (lastDispatched != null) {
            handOver(lastDispatched, dispatchedInDelivery, true);
            lastDispatched = null;
        }
    }

    /**
     * Key ordering: runs the handler on records whose key's previous record was settled off this
     * thread (their credits went back when they arrived). Dispatcher thread.
     */
    private void dispatchReady() {
        ReceivedMessage last = null;
        for (ReceivedMessage m; (m = ready.poll()) != null; ) {
            if (stopping || m.epoch() != epoch) {
                continue;
            }
            last = m;
            runAndSettle(m);
        }
        if (last != null) {
            handOver(last, 0, true);
        }
    }

    /** Runs the handler on one record of the delivery in hand (dispatcher thread). */
    private void dispatchOne(ReceivedMessage m) {
        if (stopping || m.epoch() != epoch) {
            return; // stale or closing: the next owner of the partition delivers the rest again
        }
        lastDispatched = m;
        KeyOrderGate.Admission admission = KeyOrderGate.Admission.HANDLE;
        if (gate != null) {
            synchronized (gate) {
                admission = gate.admit(m);
            }
        }
        if (admission == KeyOrderGate.Admission.HANDLE) {
            runAndSettle(m);
        }
        dispatchedInDelivery++; // a record that waits in the gate or is dropped returns its credit too
        if (dispatchedInDelivery == Math.max(1, config.consumerCredits() / 4)) {
            handOver(m, dispatchedInDelivery, false);
            dispatchedInDelivery = 0;
        }
    }

    private void runAndSettle(ReceivedMessage m) {
        boolean ok = runHandler(m);
        if (config.ackMode() == AckMode.AUTO) {
            if (ok) {
                m.ack();
            } else {
                m.nack();
            }
        }
    }

    private boolean runHandler(ReceivedMessage m) {
        try {
            config.messageHandler().handle(m);
            return true;
        } catch (Exception | Error e) { // as the embedded consumer: a handler's failure is a nack
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.warn("message handler failed on {}: {}", m, e.toString());
            return false;
        }
    }

    /**
     * Adds the dispatcher's run of acks and {@code credits} returned credits to what the next flush
     * sends; flushes now at the end of a delivery with nothing else queued, or once a quarter of
     * the credits is back, else within {@link #ACK_FLUSH_MILLIS}. Dispatcher thread only.
     */
    private void handOver(ReceivedMessage m, int credits, boolean endOfDelivery) {
        ReceivedMessage of = runOf;
        if (of == null && credits == 0) {
            return;
        }
        runOf = null;
        boolean flushNow;
        boolean schedule = false;
        synchronized (this) {
            if (of != null) {
                addRunLocked(of);
            }
            if (stopping || m.epoch() != epoch) {
                return; // the member that received them is gone; the next owner redelivers
            }
            pendingCredits += credits;
            flushNow =
                    (endOfDelivery && queue.isEmpty()) || pendingCredits >= Math.max(1, config.consumerCredits() / 4);
            if (!flushNow && !flushScheduled) {
                flushScheduled = true;
                schedule = true;
            }
        }
        if (flushNow) {
            flushAcks();
        } else if (schedule) {
            timer.schedule(this::flushAcks, ACK_FLUSH_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** Records a release, reject or renew (share groups); it goes out with the next flush. */
    void settleShare(ReceivedMessage m, io.gmq.storage.ShareAck kind) {
        if (config.groupType() != io.gmq.GroupType.SHARE) {
            if (kind == io.gmq.storage.ShareAck.RELEASE) {
                settle(m, false);
                return;
            }
            throw new io.gmq.GmqException(
                    io.gmq.ErrorCode.FAILED_PRECONDITION,
                    kind.name().toLowerCase(java.util.Locale.ROOT)
                            + " is for members of share groups (groupType(SHARE))");
        }
        boolean schedule = false;
        synchronized (this) {
            if (closed || m.epoch() != epoch) {
                return;
            }
            pendingShare.add(kind, m.topic(), m.partition(), m.offset());
            if (!flushScheduled && !stopping) {
                flushScheduled = true;
                schedule = true;
            }
        }
        if (schedule) {
            timer.schedule(this::flushAcks, ACK_FLUSH_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** Records an ack or nack; it goes out with the next flush (at most {@link #ACK_FLUSH_MILLIS} later). */
    void settle(ReceivedMessage m, boolean ack) {
        settle(m, ack, -1);
    }

    /** As {@link #settle(ReceivedMessage, boolean)}; a nack waits {@code nackDelayMillis} (negative: the backoff). */
    void settle(ReceivedMessage m, boolean ack, long nackDelayMillis) {
        if (gate != null) {
            ReceivedMessage next;
            synchronized (gate) {
                next = gate.settled(m, ack, dropped -> {});
            }
            if (next != null) {
                ready.add(next);
                queue.add(WAKE);
            }
        }
        if (ack && Thread.currentThread() == dispatcher) {
            ackOnDispatcher(m);
            return;
        }
        boolean schedule = false;
        synchronized (this) {
            addPendingLocked(m, ack, nackDelayMillis);
            if (config.ackMode() == AckMode.MANUAL && !flushScheduled && !stopping) {
                flushScheduled = true;
                schedule = true;
            }
        }
        if (schedule) {
            timer.schedule(this::flushAcks, ACK_FLUSH_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * An ack on the dispatcher thread: extends the run when it is the next offset of the run's
     * partition (a compare and an increment), else hands the run over and starts a new one. The
     * run is handed over by {@link #dispatch} before the dispatcher takes the next delivery.
     */
    private void ackOnDispatcher(ReceivedMessage m) {
        ReceivedMessage of = runOf;
        if (of != null
                && runTo == m.offset()
                && of.partition() == m.partition()
                && of.epoch() == m.epoch()
                && of.generation() == m.generation()) {
            runTo++;
            return;
        }
        if (of != null) {
            synchronized (this) {
                addRunLocked(of);
            }
        }
        runOf = m;
        runFrom = m.offset();
        runTo = runFrom + 1;
    }

    /** Adds the dispatcher's run [runFrom, runTo) of {@code of}'s partition to the pending acks (lock held). */
    private void addRunLocked(ReceivedMessage of) {
        if (!closed && of.epoch() == epoch) {
            pendingAcksOf(of).addRange(runFrom, runTo, of.generation());
        }
    }

    private void addPendingLocked(ReceivedMessage m, boolean ack, long nackDelayMillis) {
        if (closed || m.epoch() != epoch) {
            return; // the member that received it is gone; the next owner redelivers
        }
        if (ack) {
            pendingAcksOf(m).add(m.offset(), m.generation());
            return;
        }
        PartitionOffsets.Builder offsets = pendingNacks.get(m.partition());
        if (offsets == null) {
            offsets = PartitionOffsets.newBuilder().setTopic(m.topic()).setPartition(m.partition());
            pendingNacks.put(m.partition(), offsets);
        }
        offsets.addOffsets(m.offset());
        offsets.addNackDelayMillis(nackDelayMillis < 0 ? -1 : nackDelayMillis); // one per offset
    }

    private AckRanges pendingAcksOf(ReceivedMessage m) {
        AckRanges ranges = pendingAcks.get(m.partition());
        if (ranges == null) {
            ranges = new AckRanges(m.topic(), m.partition());
            pendingAcks.put(m.partition(), ranges);
        }
        return ranges;
    }

    /**
     * Sends pending acks, nacks and returned credits as one frame (a broker that takes credits
     * inside Acks) or at most two. Serialised on
     * {@link #sendLock}, so acks taken from the pending maps are on the wire before anything a
     * later flush or {@link #close()} sends (an Unsubscribe overtaking acks would lose them).
     */
    void flushAcks() {
        synchronized (sendLock) {
            flushAcksLocked();
        }
    }

    private void flushAcksLocked() {
        Acks.Builder acks = null;
        int credits;
        synchronized (this) {
            flushScheduled = false;
            boolean anyAck = false;
            for (AckRanges ranges : pendingAcks.values()) {
                anyAck |= !ranges.isEmpty();
            }
            if (anyAck || !pendingNacks.isEmpty() || !pendingShare.isEmpty()) {
                acks = Acks.newBuilder().setSubscriptionId(id);
                for (AckRanges ranges : pendingAcks.values()) {
                    if (!ranges.isEmpty()) {
                        acks.addAcks(ranges.drainTo()); // the AckRanges stay for reuse
                    }
                }
                for (PartitionOffsets.Builder offsets : pendingNacks.values()) {
                    acks.addNacks(offsets);
                }
                pendingNacks.clear();
                pendingShare.drainTo(acks);
            }
            credits = stopping ? 0 : pendingCredits;
            pendingCredits = 0;
        }
        if (acks != null) {
            if (credits > 0 && creditsInAcks) {
                acks.setCredits(credits);
                credits = 0;
            }
            connection.send(ClientFrame.newBuilder().setAcks(acks).build());
        }
        if (credits > 0) {
            connection.send(ClientFrame.newBuilder()
                    .setCredits(Credits.newBuilder().setSubscriptionId(id).setRecords(credits))
                    .build());
        }
    }

    void onError(GmqException e) {
        failure = e;
        if (!joined.completeExceptionally(e)) {
            LOG.warn("subscription to '{}' failed: {}", topic, e.getMessage());
            if (!assignment.isEmpty()) {
                onAssignment(Set.of()); // stopped by the broker (e.g. fenced): the listener hears of the loss
            }
        }
    }

    private volatile GmqException failure;

    /** The error the broker reported for this subscription, or null. */
    GmqException failure() {
        return failure;
    }

    /** Sends the last acks, leaves the group and stops the dispatcher. */
    @Override
    public void close() {
        synchronized (sendLock) {
            if (stopping) {
                return;
            }
            stopping = true;
        }
        queue.clear();
        queue.add(STOP);
        if (Thread.currentThread() != dispatcher) {
            try {
                dispatcher.join(TimeUnit.SECONDS.toMillis(5)); // it hands over its last run of acks
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else if (runOf != null) {
            synchronized (this) { // closed from inside the handler: the run in hand goes out too
                addRunLocked(runOf);
            }
            runOf = null;
        }
        synchronized (sendLock) {
            flushAcksLocked(); // every ack made before close, on any thread
            closed = true;
            connection.send(ClientFrame.newBuilder()
                    .setUnsubscribe(Unsubscribe.newBuilder().setSubscriptionId(id))
                    .build());
        }
    }
}
