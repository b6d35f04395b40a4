package io.gmq.broker;

import io.gmq.ErrorCode;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.PublishRequest;
import io.gmq.PublishResult;
import io.gmq.QoS;
import io.gmq.RetryBackoff;
import io.gmq.TimeSource;
import io.gmq.TopicConfig;
import io.gmq.TopicInfo;
import io.gmq.TopicPartition;
import io.gmq.internal.topic.TopicNames;
import io.gmq.storage.AppendResult;
import io.gmq.storage.BatchBuilder;
import io.gmq.storage.Storage;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The broker logic, written against {@link Storage} only: routing and publishing, and the
 * consumer-group members this broker serves. It holds soft state only (topic metadata cache,
 * members' in-flight deliveries), so a broker can die and another one carry on.
 *
 * <p>The same class runs embedded (over local storage) and in a broker process (over remote
 * storage).
 */
public final class BrokerEngine implements AutoCloseable {
    private final Storage storage;
    private final GmqConfig config;
    private final ConcurrentHashMap<String, TopicInfo> topicCache = new ConcurrentHashMap<>();
    /** Each cached topic's settings as the delivery path reads them; dropped with its topic. */
    private final ConcurrentHashMap<String, TopicSettings> settingsCache = new ConcurrentHashMap<>();

    private final TopicSettings defaults;
    private final Set<GroupSubscription> subscriptions = ConcurrentHashMap.newKeySet();
    private final ExecutorService deliveryExecutor;
    private final ScheduledExecutorService groupExecutor;
    /**
     * Runs append completions, and with them the callers' callbacks and the next batches they
     * send, off the log's threads: a publish from there could wait for the append queue that only
     * those threads drain (see {@link PublishBatcher}). One thread, so completions keep their order.
     */
    private final ThreadPoolExecutor publishCompletions;

    private final PublishBatcher batcher;
    private final BrokerMetrics metrics;

    private volatile boolean closed;

    public BrokerEngine(Storage storage, GmqConfig config) {
        this.storage = storage;
        this.config = config;
        this.metrics = BrokerMetrics.of(config.meterRegistry());
        this.deliveryExecutor = Executors.newFixedThreadPool(2, named("gmq-delivery"));
        ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(2, named("gmq-group"));
        timers.setRemoveOnCancelPolicy(true);
        this.groupExecutor = timers;
        this.publishCompletions = new ThreadPoolExecutor(
                1,
                1,
                0,
                TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(),
                named("gmq-publish"),
                // After close: append fails at once (the engine is closed), so running the
                // completion where it is can no longer send anything to the log.
                (task, executor) -> task.run());
        // Idempotent: a QoS 1 batch that storage appends again (a storage client's resend) is stored once.
        this.batcher = new PublishBatcher(
                PublishBatcher.Policy.embedded(config.maxBatchBytes()), this::send, null, config.timeSource(), true);
        this.defaults = TopicSettings.of(config, TopicConfig.empty());
        groupExecutor.scheduleWithFixedDelay(
                this::refreshTopics, TOPIC_REFRESH_MILLIS, TOPIC_REFRESH_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * How often the cached topics are read again from storage, so a topic's settings changed
     * through another broker (or a topic deleted there) reach this one.
     */
    static final long TOPIC_REFRESH_MILLIS = 2_000;

    /**
     * A topic's settings as this broker applies them: its own ({@link TopicConfig}) over the
     * engine's, read from the topic's cached metadata (at most {@link #TOPIC_REFRESH_MILLIS} old
     * for a change made elsewhere).
     */
    public record TopicSettings(
            int maxMessageBytes,
            long ackTimeoutNanos,
            int maxDeliveries,
            long nackBackoffNanos,
            RetryBackoff retryBackoff) {
        static TopicSettings of(GmqConfig engine, TopicConfig topic) {
            return new TopicSettings(
                    topic.maxMessageBytes(engine),
                    topic.ackTimeout(engine).toNanos(),
                    topic.maxDeliveries(engine),
                    topic.nackBackoff(engine).toNanos(),
                    topic.retryBackoff(engine));
        }
    }

    /**
     * Topic {@code topic}'s settings; the engine's for a topic that does not exist (never
     * creates one). One storage call the first time a topic is asked for, none after.
     */
    public TopicSettings settings(String topic) {
        TopicSettings s = settingsCache.get(topic);
        if (s != null) {
            return s;
        }
        TopicInfo t = topicCache.get(topic);
        if (t == null) {
            try {
                t = storage.topic(topic, false);
                topicCache.put(topic, t);
            } catch (GmqException e) {
                return defaults;
            }
        }
        return cacheSettings(t);
    }

    private TopicSettings cacheSettings(TopicInfo t) {
        TopicSettings s = TopicSettings.of(config, t.config());
        settingsCache.put(t.name(), s);
        return s;
    }

    /** Reads the cached topics again: changed settings replace the cached ones, deleted topics are forgotten. */
    private void refreshTopics() {
        if (closed || topicCache.isEmpty()) {
            return;
        }
        try {
            Map<String, TopicInfo> now = new HashMap<>();
            for (TopicInfo t : storage.listTopics()) {
                now.put(t.name(), t);
            }
            for (TopicInfo cached : topicCache.values()) {
                TopicInfo current = now.get(cached.name());
                if (current == null || current.partitions() != cached.partitions()) {
                    invalidateTopic(cached.name());
                } else if (!current.config().equals(cached.config())) {
                    topicCache.put(current.name(), current);
                    cacheSettings(current);
                }
            }
        } catch (RuntimeException e) {
            // storage unreachable: the cached settings stay until the next round
        }
    }

    /** Changes a topic's settings in storage; this broker applies them from the next call. */
    public TopicInfo alterTopicConfig(String topic, Map<String, String> changes) {
        TopicNames.validate(topic);
        TopicInfo t = storage.alterTopicConfig(topic, changes);
        topicCache.put(topic, t);
        cacheSettings(t);
        return t;
    }

    /**
     * Grows the topic to {@code partitions} partitions in storage ({@link Storage#createPartitions});
     * this broker routes with the new count from its next publish, other brokers within
     * {@link #TOPIC_REFRESH_MILLIS} or at their first keyed batch storage refuses as stale.
     */
    public TopicInfo createPartitions(String topic, int partitions) {
        TopicNames.validate(topic);
        TopicInfo t = storage.createPartitions(topic, partitions);
        invalidateTopic(topic);
        topicCache.put(topic, t);
        // This broker's members of the topic heartbeat at once: the new partitions get owners now.
        for (GroupSubscription s : subscriptions) {
            if (s.topics().contains(topic)) {
                s.heartbeatNow();
            }
        }
        return t;
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    public Storage storage() {
        return storage;
    }

    public GmqConfig config() {
        return config;
    }

    public TimeSource time() {
        return config.timeSource();
    }

    ExecutorService deliveryExecutor() {
        return deliveryExecutor;
    }

    ScheduledExecutorService groupExecutor() {
        return groupExecutor;
    }

    BrokerMetrics metrics() {
        return metrics;
    }

    /** Topic metadata, auto-creating the topic if the engine allows it. Cached: the hot path makes no storage call. */
    public TopicInfo topic(String topic) {
        TopicInfo t = topicCache.get(topic);
        if (t == null) {
            TopicNames.validate(topic);
            t = storage.topic(topic, config.autoCreateTopics());
            topicCache.put(topic, t);
        }
        return t;
    }

    /**
     * INVALID_ARGUMENT naming the rule if {@code topic} is not a legal topic name; the network
     * layer checks a name before its access checks, so a bad name is never answered with a denial.
     */
    public static void validateTopicName(String topic) {
        TopicNames.validate(topic);
    }

    /** Forgets cached metadata (after a delete, or when storage says the topic changed). */
    public void invalidateTopic(String topic) {
        topicCache.remove(topic);
        settingsCache.remove(topic);
        batcher.forget(topic);
    }

    /** Routes and publishes one message. */
    public CompletableFuture<PublishResult> publish(PublishRequest r) {
        try {
            checkOpen();
            checkMessageSize(r);
            return batcher.publish(r, topic(r.topic()).partitions(), false, 0L);
        } catch (GmqException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Publishes many messages (each routed and batched like {@link #publish}); results in request order. */
    public CompletableFuture<List<PublishResult>> publishAll(List<PublishRequest> requests) {
        List<CompletableFuture<PublishResult>> futures = new ArrayList<>(requests.size());
        for (PublishRequest r : requests) {
            futures.add(publish(r));
        }
        return CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]))
                .thenApply(v -> futures.stream().map(CompletableFuture::join).toList());
    }

    /** The embedded transport of {@link #batcher}: an append whose completion runs on {@link #publishCompletions}. */
    private void send(ProducerBatch batch) {
        if (batch.deliverAtMillis() != PublishRequest.DELIVER_NOW) {
            schedule(batch.topicPartition(), batch.frame(), batch.deliverAtMillis(), batch.qos() == QoS.AT_LEAST_ONCE)
                    .whenCompleteAsync(
                            (scheduled, e) -> {
                                if (e != null) {
                                    batch.fail(e);
                                } else {
                                    batch.complete(PublishResult.SCHEDULED);
                                }
                            },
                            publishCompletions);
            return;
        }
        append(batch.topicPartition(), batch.frame(), batch.qos() == QoS.AT_LEAST_ONCE, batch.routedPartitions())
                .whenCompleteAsync(
                        (appended, e) -> {
                            if (e != null && io.gmq.storage.StaleRouting.is(unwrap(e)) && countChanged(batch)) {
                                // The topic grew: route the records again with its count now.
                                batch.reroute(this::publish);
                            } else if (e != null
                                    && unwrap(e) instanceof GmqException g
                                    && g.code() == ErrorCode.FAILED_PRECONDITION
                                    && batch.epochAbandoned()) {
                                batch.reroute(this::publish); // a sequence gap behind a given-up batch: not stored
                            } else if (e != null) {
                                batch.fail(e);
                            } else {
                                batch.complete(appended.baseOffset());
                            }
                        },
                        publishCompletions);
    }

    /** Reads the topic's count again after a stale-routing refusal: whether it is not the one {@code batch} used. */
    private boolean countChanged(ProducerBatch batch) {
        invalidateTopic(batch.topic());
        try {
            return topic(batch.topic()).partitions() != batch.routedPartitions();
        } catch (GmqException e) {
            return false;
        }
    }

    /** Appends a producer-built frame after checking the topic and partition. */
    public CompletableFuture<AppendResult> append(TopicPartition tp, ByteBuffer frame, boolean durable) {
        return append(tp, frame, durable, 0);
    }

    /**
     * Appends a producer-built frame whose keyed records were routed with {@code routedPartitions}
     * partitions (0: none was routed by key); storage refuses it as stale if the topic's count is
     * another ({@link Storage#STALE_ROUTING}), and this broker then forgets the topic's cached
     * metadata.
     */
    public CompletableFuture<AppendResult> append(
            TopicPartition tp, ByteBuffer frame, boolean durable, int routedPartitions) {
        try {
            checkOpen();
            TopicInfo t = topic(tp.topic());
            if (tp.partition() >= t.partitions()) {
                // The topic may have grown since it was cached: ask storage before refusing.
                invalidateTopic(tp.topic());
                t = topic(tp.topic());
            }
            TopicNames.checkPartition(tp.topic(), tp.partition(), t.partitions());
            if (frame.remaining() > config.maxBatchBytes()) {
                throw new GmqException(
                        ErrorCode.RESOURCE_EXHAUSTED,
                        "batch of " + frame.remaining() + " bytes exceeds the maximum batch size of "
                                + config.maxBatchBytes() + " bytes (maxBatchBytes)");
            }
            boolean timed = durable && metrics.enabled();
            long started = timed ? metrics.startTimer() : 0;
            CompletableFuture<AppendResult> appended = routedPartitions > 0
                    ? storage.append(tp, frame, durable, routedPartitions)
                    : storage.append(tp, frame, durable);
            return appended.whenComplete((a, e) -> {
                if (e == null) {
                    if (timed) {
                        metrics.published(started);
                    }
                } else if (GmqException.class.isInstance(unwrap(e))
                        && (((GmqException) unwrap(e)).code() == ErrorCode.NOT_FOUND
                                || io.gmq.storage.StaleRouting.is(unwrap(e)))) {
                    invalidateTopic(tp.topic());
                }
            });
        } catch (GmqException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Hands a producer-built frame to storage's schedule of delayed messages ({@link
     * Storage#schedule}) after the checks {@link #append} makes: it is appended to {@code tp} at
     * {@code deliverAtMillis}.
     */
    public CompletableFuture<io.gmq.storage.ScheduleResult> schedule(
            TopicPartition tp, ByteBuffer frame, long deliverAtMillis, boolean durable) {
        try {
            checkOpen();
            TopicInfo t = topic(tp.topic());
            TopicNames.checkPartition(tp.topic(), tp.partition(), t.partitions());
            if (deliverAtMillis <= 0) {
                throw GmqException.invalidArgument(
                        "delivery time must be positive epoch millis, was " + deliverAtMillis);
            }
            return storage.schedule(tp, frame, deliverAtMillis, durable);
        } catch (GmqException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private void checkMessageSize(PublishRequest r) {
        int size = BatchBuilder.recordSize(r.key(), r.payload().length, r.headers());
        if (size > config.maxMessageBytes()) {
            throw new GmqException(
                    ErrorCode.RESOURCE_EXHAUSTED,
                    "message of " + size
                            + " bytes exceeds the maximum message size of " + config.maxMessageBytes()
                            + " bytes (maxMessageBytes)");
        }
        int topicMax = settings(r.topic()).maxMessageBytes();
        if (size > topicMax) {
            throw new GmqException(
                    ErrorCode.RESOURCE_EXHAUSTED,
                    "message of " + size + " bytes exceeds topic " + r.topic() + "'s maximum message size of "
                            + topicMax + " bytes (its setting max-message-bytes)");
        }
    }

    /** Joins {@code group} as a new member and starts delivering to {@code sink}. */
    public GroupSubscription subscribe(
            String group, String clientId, Set<String> topics, SubscriptionOptions options, DeliverySink sink) {
        checkOpen();
        if (topics.isEmpty()) {
            throw GmqException.invalidArgument("subscribe needs at least one topic");
        }
        TopicNames.validateGroup(group);
        for (String t : topics) {
            topic(t);
        }
        GroupSubscription s = new GroupSubscription(this, group, clientId, topics, options, sink);
        subscriptions.add(s);
        try {
            sink.attached(s);
            s.start();
        } catch (RuntimeException e) {
            removed(s);
            throw e;
        }
        return s;
    }

    /** The member {@code s} is gone (closed, crashed, or its start failed); its group's counters are released once. */
    void removed(GroupSubscription s) {
        if (subscriptions.remove(s)) {
            metrics.release(s.counters());
        }
    }

    public int subscriptionCount() {
        return subscriptions.size();
    }

    private void checkOpen() {
        if (closed) {
            throw new GmqException(ErrorCode.UNAVAILABLE, "the broker is closed");
        }
    }

    static Throwable unwrap(Throwable e) {
        while ((e instanceof java.util.concurrent.CompletionException
                        || e instanceof java.util.concurrent.ExecutionException)
                && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    /** Closes every member (commits acknowledged progress, leaves groups) and stops the threads. Storage stays open. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (GroupSubscription s : List.copyOf(subscriptions)) {
            s.close();
        }
        groupExecutor.shutdown();
        deliveryExecutor.shutdown();
        publishCompletions.shutdown();
        try {
            groupExecutor.awaitTermination(5, TimeUnit.SECONDS);
            deliveryExecutor.awaitTermination(5, TimeUnit.SECONDS);
            publishCompletions.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        metrics.close();
    }
}
