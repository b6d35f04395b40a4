package io.gmq.net.broker;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.OffsetSpec;
import io.gmq.TopicPartition;
import io.gmq.broker.BrokerEngine;
import io.gmq.broker.Delivery;
import io.gmq.broker.DeliverySink;
import io.gmq.broker.GroupSubscription;
import io.gmq.broker.SubscriptionOptions;
import io.gmq.net.security.BrokerAccess;
import io.gmq.net.security.SecurityContext;
import io.gmq.proto.Acks;
import io.gmq.proto.AssignmentChanged;
import io.gmq.proto.ClientFrame;
import io.gmq.proto.Heartbeat;
import io.gmq.proto.PublishAck;
import io.gmq.proto.PublishBatch;
import io.gmq.proto.ServerFrame;
import io.gmq.proto.SessionError;
import io.gmq.proto.Subscribe;
import io.gmq.proto.Subscribed;
import io.gmq.proto.Unsubscribed;
import io.gmq.security.Principal;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchFrame;
import io.gmq.wire.GrpcErrors;
import io.gmq.wire.Protos;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's Session stream: decodes client frames into {@link BrokerEngine} calls and writes
 * their outcomes back. No queue of its own:
 *
 * <ul>
 *   <li>Inbound: automatic flow control is off; at most {@link #MAX_IN_FLIGHT_PUBLISHES}
 *       publishes are outstanding, frames are requested again as they complete (in batches), so
 *       a producer faster than storage is held back by HTTP/2 flow control.
 *   <li>Outbound deliveries: each subscription's {@link DeliverySink#capacity()} is its client
 *       credits, and 0 while the transport is not ready ({@code isReady()}), so the engine stops
 *       fetching for a slow consumer. The onReady handler and new credits wake the engine up.
 * </ul>
 *
 * Writes to the response stream come from gRPC, storage and engine threads and are serialised on
 * {@code out}.
 */
final class ClientSession implements StreamObserver<ClientFrame> {
    private static final Logger LOG = LoggerFactory.getLogger(ClientSession.class);

    /** Publish batches a session may have outstanding before the broker stops reading it. */
    static final int MAX_IN_FLIGHT_PUBLISHES = 1024;

    private final BrokerEngine engine;
    private final ServerCallStreamObserver<ServerFrame> out;
    private final Runnable onClose;
    private final Map<Long, SessionSubscription> subscriptions = new ConcurrentHashMap<>();
    /** Authorization of this session's publishes and subscribes, for the principal that opened it. */
    private final BrokerAccess access;

    private final Principal principal;
    /** SHA-256 of the token that opened the session, or null (certificate or no authentication). */
    private final byte[] tokenDigest;

    private boolean finished;

    /** Reads publish frame headers; inbound frames of a stream arrive one at a time. */
    private final BatchFrame publishCursor = new BatchFrame();
    /** Applies Acks frames; inbound frames of a stream arrive one at a time, so one per session. */
    private final AckFrames ackFrames = new AckFrames();

    /**
     * Frames handled but not yet requested again, and how many to request at once: asking the
     * transport for one frame at a time costs a task on the connection's event loop per frame
     * (mostly a wake-up at low rates); in batches of a sixteenth of the in-flight bound the
     * session still keeps at least fifteen sixteenths of it requested.
     */
    private final AtomicInteger handled = new AtomicInteger();

    private final int requestBatch;

    ClientSession(BrokerEngine engine, ServerCallStreamObserver<ServerFrame> out, Runnable onClose) {
        this(engine, out, onClose, BrokerAccess.allowAll(), SecurityContext.ANONYMOUS, null, MAX_IN_FLIGHT_PUBLISHES);
    }

    ClientSession(
            BrokerEngine engine,
            ServerCallStreamObserver<ServerFrame> out,
            Runnable onClose,
            BrokerAccess access,
            Principal principal,
            byte[] tokenDigest,
            int maxInFlightPublishes) {
        this.engine = engine;
        this.out = out;
        this.onClose = onClose;
        this.access = access;
        this.principal = principal;
        this.tokenDigest = tokenDigest;
        out.disableAutoRequest();
        out.setOnReadyHandler(this::onReady);
        out.setOnCancelHandler(this::closeSubscriptions);
        this.requestBatch = Math.max(1, maxInFlightPublishes / 16);
        out.request(maxInFlightPublishes);
    }

    @Override
    public void onNext(ClientFrame frame) {
        switch (frame.getFrameCase()) {
            case PUBLISH -> {
                publish(frame.getPublish());
                return; // the next frame is requested when the append completes
            }
            case SUBSCRIBE -> subscribe(frame.getSubscribe());
            case UNSUBSCRIBE -> unsubscribe(frame.getUnsubscribe().getSubscriptionId());
            case ACKS -> acks(frame.getAcks());
            case CREDITS -> {
                SessionSubscription s = subscriptions.get(frame.getCredits().getSubscriptionId());
                if (s != null) {
                    s.returnCredits(frame.getCredits().getRecords());
                }
            }
            case HEARTBEAT ->
                write(ServerFrame.newBuilder()
                        .setHeartbeat(Heartbeat.newBuilder().setTimestampMillis(System.currentTimeMillis()))
                        .build());
            default -> sessionError(0, GmqException.invalidArgument("unknown client frame " + frame.getFrameCase()));
        }
        requestNext();
    }

    /** One frame is handled: request the next ones in batches. */
    private void requestNext() {
        if (handled.incrementAndGet() >= requestBatch) {
            int n = handled.getAndSet(0);
            if (n > 0) {
                out.request(n);
            }
        }
    }

    private void publish(PublishBatch p) {
        if (p.getDeliverAtMillis() != 0) {
            publishScheduled(p);
            return;
        }
        long id = p.getRequestId();
        try {
            ByteBuffer batch = Protos.writableCopy(p.getBatch());
            boolean atLeastOnce = atLeastOnce(batch);
            access.checkPublish(principal, p.getTopic());
            engine.append(
                            new TopicPartition(p.getTopic(), p.getPartition()),
                            batch,
                            atLeastOnce,
                            p.getRoutedPartitions())
                    .whenComplete((r, e) -> {
                        PublishAck.Builder ack =
                                PublishAck.newBuilder().setRequestId(id).setPartition(p.getPartition());
                        if (e == null) {
                            ack.setBaseOffset(r.baseOffset()).setRecordCount(r.recordCount());
                        } else {
                            if (GrpcErrors.toGmq(e).code() == ErrorCode.NOT_FOUND) {
                                access.topicGone(p.getTopic()); // deleted: the next publish checks CREATE again
                            }
                            ack.setError(GrpcErrors.toProto(e));
                        }
                        long throttle = access.publishThrottleNanos(principal, batch.limit());
                        if (throttle <= 0) {
                            write(ServerFrame.newBuilder().setPublishAck(ack).build());
                            requestNext();
                            return;
                        }
                        // Over its publish quota: the answer and the next frame wait (Kafka's throttling).
                        Throttle.after(throttle, () -> {
                            write(ServerFrame.newBuilder().setPublishAck(ack).build());
                            requestNext();
                        });
                    });
        } catch (RuntimeException e) {
            write(ServerFrame.newBuilder()
                    .setPublishAck(PublishAck.newBuilder()
                            .setRequestId(id)
                            .setPartition(p.getPartition())
                            .setError(GrpcErrors.toProto(e)))
                    .build());
            requestNext();
        }
    }

    /**
     * A delayed batch: into storage's schedule (checked and authorised as an append is); the ack
     * carries base offset -1 and the schedule id. Throttled by the publish quota like an append.
     */
    private void publishScheduled(PublishBatch p) {
        long id = p.getRequestId();
        PublishAck.Builder ack = PublishAck.newBuilder().setRequestId(id).setPartition(p.getPartition());
        try {
            ByteBuffer batch = Protos.writableCopy(p.getBatch());
            boolean atLeastOnce = atLeastOnce(batch);
            access.checkPublish(principal, p.getTopic());
            int bytes = batch.limit();
            engine.schedule(
                            new TopicPartition(p.getTopic(), p.getPartition()),
                            batch,
                            p.getDeliverAtMillis(),
                            atLeastOnce)
                    .whenComplete((s, e) -> {
                        if (e == null) {
                            ack.setBaseOffset(io.gmq.PublishResult.SCHEDULED)
                                    .setRecordCount(s.recordCount())
                                    .setScheduleId(s.scheduleId());
                        } else {
                            if (GrpcErrors.toGmq(e).code() == ErrorCode.NOT_FOUND) {
                                access.topicGone(p.getTopic());
                            }
                            ack.setError(GrpcErrors.toProto(e));
                        }
                        long throttle = access.publishThrottleNanos(principal, bytes);
                        Runnable answer = () -> {
                            write(ServerFrame.newBuilder().setPublishAck(ack).build());
                            requestNext();
                        };
                        if (throttle <= 0) {
                            answer.run();
                        } else {
                            Throttle.after(throttle, answer);
                        }
                    });
        } catch (RuntimeException e) {
            write(ServerFrame.newBuilder()
                    .setPublishAck(ack.setError(GrpcErrors.toProto(e)))
                    .build());
            requestNext();
        }
    }

    /**
     * The publish's QoS, from the frame's attribute bit alone: that bit is what storage keeps, what
     * consumers read to decide whether a record needs an ack, and what the producer's CRC covers.
     * {@code PublishBatch.qos} is deprecated and ignored (docs/PROTOCOL.md). Storage checks the
     * rest of the frame before it appends anything.
     */
    private boolean atLeastOnce(ByteBuffer batch) {
        BatchFrame frame = publishCursor.wrap(batch, 0);
        if (!frame.hasHeader(batch.limit())) {
            throw GmqException.invalidArgument("publish batch of " + batch.limit()
                    + " bytes is shorter than a frame header (" + BatchFormat.HEADER_LENGTH + " bytes)");
        }
        return frame.atLeastOnce();
    }

    private void subscribe(Subscribe s) {
        long id = s.getSubscriptionId();
        if (subscriptions.containsKey(id)) {
            sessionError(
                    id, GmqException.invalidArgument("subscription id " + id + " is already in use on this session"));
            return;
        }
        SessionSubscription sub = new SessionSubscription(
                id, Math.max(0, s.getInitialCredits()), s.getGroup(), List.copyOf(s.getTopicsList()));
        subscriptions.put(id, sub);
        try {
            OffsetSpec start = s.hasStartFrom() ? Protos.fromProto(s.getStartFrom()) : OffsetSpec.earliest();
            SubscriptionOptions options = new SubscriptionOptions(
                    Duration.ofMillis(s.getPullIntervalMillis() > 0 ? s.getPullIntervalMillis() : 100),
                    start,
                    s.getSessionTimeoutMillis() > 0 ? Duration.ofMillis(s.getSessionTimeoutMillis()) : null,
                    s.getGroupInstanceId().isEmpty() ? null : s.getGroupInstanceId(),
                    s.getGroupType() == io.gmq.proto.GroupType.GROUP_TYPE_SHARE
                            ? io.gmq.GroupType.SHARE
                            : io.gmq.GroupType.ORDERED,
                    Protos.fromProto(s.getOrdering()),
                    s.hasRetryBackoff() ? Protos.fromProto(s.getRetryBackoff()) : null,
                    s.getLockDurationMillis() > 0 ? Duration.ofMillis(s.getLockDurationMillis()) : null);
            String clientId = s.getClientId().isEmpty() ? "gmq-client" : s.getClientId();
            access.checkSubscribe(principal, s.getGroup(), s.getTopicsList());
            GroupSubscription g =
                    engine.subscribe(s.getGroup(), clientId, new LinkedHashSet<>(s.getTopicsList()), options, sub);
            write(ServerFrame.newBuilder()
                    .setSubscribed(Subscribed.newBuilder()
                            .setSubscriptionId(id)
                            .setMemberId(g.memberId())
                            .setCreditsInAcks(true))
                    .build());
            sub.open = true; // deliveries follow Subscribed, never precede it
            sub.wakeUp();
        } catch (RuntimeException e) {
            subscriptions.remove(id);
            sessionError(id, e);
        }
    }

    private void unsubscribe(long id) {
        SessionSubscription s = subscriptions.remove(id);
        if (s != null) {
            s.close();
        }
        write(ServerFrame.newBuilder()
                .setUnsubscribed(Unsubscribed.newBuilder().setSubscriptionId(id))
                .build());
    }

    private void acks(Acks a) {
        SessionSubscription s = subscriptions.get(a.getSubscriptionId());
        if (s == null) {
            return; // acks of a closed subscription: its partitions were released, the next owner redelivers
        }
        if (s.group != null) { // not joined yet: nothing to ack, credits only
            String bad = ackFrames.apply(s.group, a);
            if (bad != null) {
                sessionError(a.getSubscriptionId(), GmqException.invalidArgument(bad)); // nothing of the frame applied
                return;
            }
        }
        s.returnCredits(a.getCredits());
    }

    private void onReady() {
        for (SessionSubscription s : subscriptions.values()) {
            s.wakeUp();
        }
    }

    private void sessionError(long subscriptionId, Throwable e) {
        write(ServerFrame.newBuilder()
                .setError(SessionError.newBuilder()
                        .setSubscriptionId(subscriptionId)
                        .setError(GrpcErrors.toProto(e)))
                .build());
    }

    private void write(ServerFrame frame) {
        synchronized (out) {
            if (finished || out.isCancelled()) {
                return;
            }
            try {
                out.onNext(frame);
            } catch (RuntimeException e) {
                finished = true;
                LOG.debug("session write failed: {}", e.toString());
            }
        }
    }

    @Override
    public void onError(Throwable t) {
        LOG.debug("client session ended: {}", t.toString());
        closeSubscriptions();
        synchronized (out) {
            finished = true;
        }
        onClose.run();
    }

    @Override
    public void onCompleted() {
        closeSubscriptions();
        synchronized (out) {
            if (!finished) {
                finished = true;
                out.onCompleted();
            }
        }
        onClose.run();
    }

    /** Ends the session from the server side (shutdown): members leave, the client fails over. */
    void terminate(String reason) {
        terminate(Status.UNAVAILABLE.withDescription(reason));
    }

    Principal principal() {
        return principal;
    }

    /** The digest of the token that opened this session, or null if no token did. */
    byte[] tokenDigest() {
        return tokenDigest;
    }

    /**
     * After the ACLs changed: every subscription whose principal may no longer consume its group or
     * one of its topics is closed (its member leaves the group, committing acknowledged progress)
     * and reported to the client as a session error, as a denied subscribe would be.
     */
    void recheckSubscriptions() {
        for (SessionSubscription s : List.copyOf(subscriptions.values())) {
            try {
                access.checkStillMayConsume(principal, s.groupName, s.topics);
            } catch (GmqException e) {
                if (subscriptions.remove(s.id, s)) {
                    s.close();
                    sessionError(s.id, e);
                }
            }
        }
    }

    /** Ends the session from the server side with {@code status}: members leave first. */
    void terminate(Status status) {
        closeSubscriptions();
        synchronized (out) {
            if (!finished) {
                finished = true;
                try {
                    out.onError(status.asRuntimeException());
                } catch (RuntimeException ignored) {
                    // already cancelled
                }
            }
        }
    }

    /** Commits acknowledged progress and leaves the group for every subscription of this session. */
    private void closeSubscriptions() {
        for (Long id : List.copyOf(subscriptions.keySet())) {
            SessionSubscription s = subscriptions.remove(id);
            if (s != null) {
                s.close();
            }
        }
    }

    /** The engine's view of one subscription: credits and transport readiness are its capacity. */
    private final class SessionSubscription implements DeliverySink {
        final long id;
        final String groupName;
        final List<String> topics;
        final AtomicInteger credits;
        volatile GroupSubscription group;
        /** False until Subscribed is written: capacity stays 0 so no delivery overtakes it. */
        volatile boolean open;
        /** Over its fetch quota: no delivery before this System.nanoTime(). */
        volatile long throttledUntilNanos;

        volatile boolean throttled;

        SessionSubscription(long id, int initialCredits, String groupName, List<String> topics) {
            this.id = id;
            this.groupName = groupName;
            this.topics = topics;
            this.credits = new AtomicInteger(initialCredits);
        }

        @Override
        public void attached(GroupSubscription g) {
            this.group = g;
        }

        /** Credits returned by a Credits frame or inside Acks: more records may be delivered. */
        void returnCredits(int records) {
            if (records > 0) {
                credits.addAndGet(records);
                wakeUp();
            }
        }

        void wakeUp() {
            GroupSubscription g = group;
            if (g != null) {
                g.wakeUp();
            }
        }

        void close() {
            GroupSubscription g = group;
            if (g != null) {
                try {
                    g.close();
                } catch (RuntimeException e) {
                    LOG.debug("closing subscription {} failed: {}", id, e.toString());
                }
            }
        }

        @Override
        public int capacity() {
            if (throttled) {
                if (System.nanoTime() - throttledUntilNanos < 0) {
                    return 0;
                }
                throttled = false;
            }
            return open && out.isReady() ? Math.max(0, credits.get()) : 0;
        }

        @Override
        public void deliver(Delivery d) {
            int bytes = d.frames().remaining();
            credits.addAndGet(-d.messageCount());
            write(ServerFrame.newBuilder()
                    .setDelivery(io.gmq.proto.Delivery.newBuilder()
                            .setSubscriptionId(id)
                            .setTopic(d.tp().topic())
                            .setPartition(d.tp().partition())
                            .setFrames(Protos.bytes(d.frames())) // storage never writes a fetched buffer again
                            .setFromOffset(d.fromOffset())
                            .setToOffset(d.toOffset())
                            .setDeliveryCount(d.deliveryCount())
                            .setGeneration(d.generation())
                            .setFinalAttempt(d.finalAttempt()))
                    .build());
            long throttle = access.fetchThrottleNanos(principal, bytes);
            if (throttle > 0) {
                // Over its fetch quota: nothing more until the debt is paid, then delivery resumes.
                throttledUntilNanos = System.nanoTime() + throttle;
                throttled = true;
                Throttle.after(throttle, this::wakeUp);
            }
        }

        @Override
        public void assignmentChanged(Set<TopicPartition> assigned, int generation) {
            write(ServerFrame.newBuilder()
                    .setAssignment(AssignmentChanged.newBuilder()
                            .setSubscriptionId(id)
                            .setGeneration(generation)
                            .addAllAssigned(Protos.toProto(assigned)))
                    .build());
        }

        @Override
        public void failed(GmqException error) {
            subscriptions.remove(id);
            sessionError(id, error.code() == null ? new GmqException(ErrorCode.INTERNAL, error.getMessage()) : error);
        }
    }
}
