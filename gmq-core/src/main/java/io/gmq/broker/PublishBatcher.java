package io.gmq.broker;

import io.gmq.GmqException;
import io.gmq.PublishRequest;
import io.gmq.PublishResult;
import io.gmq.QoS;
import io.gmq.TimeSource;
import io.gmq.TopicPartition;
import io.gmq.internal.topic.TopicNames;
import io.gmq.storage.BatchBuilder;
import io.gmq.storage.BatchFormat;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one publish path: routes each message, accumulates one open batch per (topic, partition,
 * QoS), decides when a batch is sealed and handed to a {@link Transport}, and completes every
 * message's future with its own offset (the batch's base offset plus its index in the batch).
 * Embedded {@code Gmq} (over {@code BrokerEngine.append}) and the network client (over a
 * {@code PublishBatch} on its session) use it alike, so both route and batch by the same rules.
 *
 * <h2>Routing</h2>
 *
 * An explicit partition, else {@code murmur2(key)} ({@link Partitioner#partitionForKey}), else the
 * keyless rule: <b>sticky per batch</b>. Keyless messages of a topic and QoS join the open batch of
 * one partition until that batch is sealed; the next keyless message takes the topic's next
 * partition in round-robin ({@link Partitioner#nextSpreadPartition}). A batch stays whole on one
 * partition (one append, one frame), and successive batches cycle over all partitions. Measured
 * against per-message round-robin in docs/PERFORMANCE.md.
 *
 * <h2>Sealing</h2>
 *
 * A batch is sealed and sent:
 * <ol>
 *   <li>with its first message, if fewer than {@link Policy#eagerInFlight()} batches of its key
 *       are in flight (sent, not completed): a lone message at a low rate is never held back;
 *   <li>when the next message would not fit in {@link Policy#maxBatchBytes()} (the message starts
 *       the next batch), or when it reaches that size;
 *   <li>after {@link Policy#linger()} from its first message (zero: with every message);
 *   <li>with {@link Policy#sealOnCompletion()}, as soon as a completion leaves fewer than
 *       {@code eagerInFlight} batches of its key in flight (ack clocking: under load the batch
 *       size follows the append latency);
 *   <li>on {@link #flush()}, or with a publish that asks for it ({@code sendNow}).
 * </ol>
 *
 * <h2>Threads</h2>
 *
 * Routing and sealing run under this object's lock, which is held only for that: a sealed batch
 * joins a queue, and the thread that sealed it then sends the queue in order under a second lock
 * (the send lock), so batches reach {@link Transport#send} one at a time in the order they were
 * sealed, while other threads go on adding messages to open batches (a frame's validation and
 * write do not stall producers). A thread that sealed a batch waits for the send lock: a slow
 * transport slows the producers that fill batches, it does not queue sealed batches without bound.
 * A completion ({@link ProducerBatch#complete}, {@link ProducerBatch#fail}) takes the locks only with
 * {@code sealOnCompletion}, so a transport whose {@code send} waits for a completion (the network
 * client waits for an in-flight permit) must not use it. Completions run the callers' callbacks, which may publish: a transport must never
 * complete a batch on a thread that such a publish could stop, such as the log's writer or syncer
 * (the embedded transport hands completions to its own thread).
 *
 * <h2>Idempotence</h2>
 *
 * An idempotent batcher ({@link #idempotent()}) is one producer: a random 64-bit producer id, and
 * per QoS 1 (topic, partition) an epoch (from one counter of the producer, so always newer than any
 * it used before) and the sequence of the next record. Each sealed QoS 1
 * batch carries the id, its partition's epoch and the base sequence of its first record in its
 * frame ({@link BatchFormat#ATTR_PRODUCER}); storage stores a batch it already holds once and
 * answers a resend with the original offsets. A transport resends a batch as the same bytes. When
 * a batch fails for good, its partition's next batch starts a new epoch at sequence 0: storage
 * then refuses that partition's older batches still in flight (their sequences follow a batch
 * that is not stored), so nothing sent after a failed batch can be stored twice or out of order.
 * The id is random rather than allocated: two producers collide with probability about
 * {@code n^2 / 2^65} for {@code n} producers active on a partition within the producer expiration,
 * negligible at any realistic {@code n}, and no round trip is needed to start publishing.
 *
 * <p>The hot path allocates the message's future and, per batch, the batch, its builder (presized
 * from the key's last batch, so its array becomes the frame without a copy) and its list of
 * futures; keys and per-partition state are created once per topic.
 */
public final class PublishBatcher {
    /** Smallest initial capacity of a batch opened to fill. */
    static final int MIN_BATCH_CAPACITY = 4096;

    /** Where sealed batches go. */
    @FunctionalInterface
    public interface Transport {
        /**
         * Sends {@code batch}; later completes it exactly once with {@link ProducerBatch#complete} or
         * {@link ProducerBatch#fail}. Called one batch at a time, in seal order, under the batcher's send
         * lock (not its routing lock). A runtime exception fails the batch.
         */
        void send(ProducerBatch batch);
    }

    /** When batches are sealed; see the class comment. */
    public record Policy(int maxBatchBytes, int eagerInFlight, Duration linger, boolean sealOnCompletion) {
        public Policy {
            if (maxBatchBytes < 1) {
                throw new IllegalArgumentException("maxBatchBytes must be positive, was " + maxBatchBytes);
            }
            if (eagerInFlight < 0) {
                throw new IllegalArgumentException("eagerInFlight must not be negative, was " + eagerInFlight);
            }
            if (linger != null && linger.isNegative()) {
                throw new IllegalArgumentException("linger must not be negative, was " + linger);
            }
            if (linger == null && !sealOnCompletion) {
                throw new IllegalArgumentException(
                        "without a linger a batch needs sealOnCompletion, or it may never leave");
            }
        }

        /**
         * In-process appends: two in flight let the log write one batch while it forces the
         * previous one; a waiting batch leaves when one completes (no timer).
         */
        public static Policy embedded(int maxBatchBytes) {
            return new Policy(maxBatchBytes, 2, null, true);
        }

        /**
         * Over a network session: one batch per key in flight, then fill for {@code linger}. Sending
         * the waiting batch as soon as an ack returns was measured too (docs/PERFORMANCE-NETWORK.md)
         * and made smaller batches and lower throughput over a round trip.
         */
        public static Policy network(int maxBatchBytes, Duration linger) {
            return new Policy(maxBatchBytes, 1, linger, false);
        }
    }

    /** How keyless messages are spread over a topic's partitions. */
    enum KeylessRouting {
        /** One partition per batch: keyless messages join it until it is sealed (the rule). */
        STICKY,
        /** The next partition for every message (measured against {@link #STICKY}). */
        ROUND_ROBIN
    }

    private final Policy policy;
    private final Transport transport;
    private final ScheduledExecutorService timer;
    private final TimeSource time;
    private final KeylessRouting keyless;
    private final long lingerNanos;
    private final Partitioner partitioner = new Partitioner();
    private final Map<String, TopicState> topics = new HashMap<>();
    /** Sealed batches not yet handed to the transport, in seal order (guarded by this). */
    private final ArrayDeque<ProducerBatch> sealed = new ArrayDeque<>();
    /** Held while handing sealed batches to the transport: one sender at a time, in order. */
    private final Object sendLock = new Object();
    /** The topic of the last publish (guarded by this): a stream to one topic looks up no map. */
    private TopicState lastTopic;
    /** Whether QoS 1 batches carry producer fields (see the class comment). */
    private final boolean idempotent;
    /** This producer's id (meaningful when {@link #idempotent}). */
    private final long producerId;
    /** The last epoch given to a partition (guarded by this); epochs start at 0. */
    private int lastEpoch = -1;

    private static final java.security.SecureRandom PRODUCER_IDS = new java.security.SecureRandom();

    /**
     * @param timer runs linger timeouts; may be null when {@code policy} has no linger
     */
    public PublishBatcher(Policy policy, Transport transport, ScheduledExecutorService timer, TimeSource time) {
        this(policy, transport, timer, time, KeylessRouting.STICKY, false);
    }

    /**
     * @param idempotent QoS 1 batches carry this producer's id, epoch and sequences, so storage stores
     *     each once however often it is resent (see the class comment)
     */
    public PublishBatcher(
            Policy policy, Transport transport, ScheduledExecutorService timer, TimeSource time, boolean idempotent) {
        this(policy, transport, timer, time, KeylessRouting.STICKY, idempotent);
    }

    PublishBatcher(
            Policy policy,
            Transport transport,
            ScheduledExecutorService timer,
            TimeSource time,
            KeylessRouting keyless) {
        this(policy, transport, timer, time, keyless, false);
    }

    PublishBatcher(
            Policy policy,
            Transport transport,
            ScheduledExecutorService timer,
            TimeSource time,
            KeylessRouting keyless,
            boolean idempotent) {
        this.idempotent = idempotent;
        this.producerId = idempotent ? PRODUCER_IDS.nextLong() : 0L;
        if (policy.linger() != null && !policy.linger().isZero() && timer == null) {
            throw new IllegalArgumentException("a policy with a linger needs a timer");
        }
        this.policy = policy;
        this.transport = transport;
        this.timer = timer;
        this.time = time;
        this.keyless = keyless;
        this.lingerNanos = policy.linger() == null ? -1 : policy.linger().toNanos();
    }

    /** Whether QoS 1 batches carry producer fields (exactly once into the log). */
    public boolean idempotent() {
        return idempotent;
    }

    /** This producer's id in the frames of its QoS 1 batches (when {@link #idempotent()}). */
    public long producerId() {
        return producerId;
    }

    /**
     * Routes {@code r} to a partition of its topic (which has {@code partitions}) and adds it to
     * that partition's open batch.
     *
     * @param sendNow seal the batch with this message (a caller that waits for the result)
     * @param calledNanos when the publish was called ({@link TimeSource#nanoTime}); a batch
     *     carries the earliest of its messages' ({@link ProducerBatch#firstCallNanos()}) for deadlines
     * @throws GmqException INVALID_ARGUMENT for an explicit partition out of range
     */
    public CompletableFuture<PublishResult> publish(
            PublishRequest r, int partitions, boolean sendNow, long calledNanos) {
        if (partitions < 1) {
            throw GmqException.invalidArgument(
                    "topic '" + r.topic() + "' must have at least 1 partition, was " + partitions);
        }
        if (r.deliverAtMillis() != PublishRequest.DELIVER_NOW) {
            return publishScheduled(r, partitions, calledNanos);
        }
        CompletableFuture<PublishResult> f = new CompletableFuture<>();
        long timestamp = r.timestamp() >= 0 ? r.timestamp() : time.wallMillis();
        int recordSize = BatchBuilder.recordSize(r.key(), r.payload().length, r.headers());
        boolean toSend;
        synchronized (this) {
            KeyState k = route(topicState(r.topic(), partitions), r, partitions);
            ProducerBatch b = k.open;
            if (b != null && b.builder.sizeInBytes() + recordSize > policy.maxBatchBytes()) {
                seal(k); // full: this message starts the next batch
                b = null;
            }
            boolean eager = false;
            if (b == null) {
                eager = k.inFlight.get() < policy.eagerInFlight();
                b = open(k, recordSize, sendNow || eager || lingerNanos == 0);
            }
            if (r.key() != null && r.partition() == PublishRequest.ANY_PARTITION) {
                b.routedByKey(b.futures.size(), partitions);
            }
            b.builder.add(timestamp, r.key(), r.payload(), r.headers());
            b.futures.add(f);
            if (!b.firstCallSet || calledNanos - b.firstCallNanos < 0) {
                b.firstCallNanos = calledNanos;
                b.firstCallSet = true;
            }
            if (sendNow || eager || lingerNanos == 0 || b.builder.sizeInBytes() >= policy.maxBatchBytes()) {
                seal(k);
            } else if (lingerNanos > 0 && b.lingerTask == null) {
                ProducerBatch lingering = b;
                b.lingerTask = timer.schedule(() -> sealLingering(k, lingering), lingerNanos, TimeUnit.NANOSECONDS);
            }
            toSend = !sealed.isEmpty();
        }
        if (toSend) {
            sendSealed();
        }
        return f;
    }

    /**
     * A delayed message: routed as any other (explicit partition, key hash, else the topic's next
     * partition in round-robin), then sent at once as a batch of its own that carries its delivery
     * time ({@link ProducerBatch#deliverAtMillis()}). It has a key state of its own, so it never
     * holds back (or waits for) the partition's immediate batches.
     */
    private CompletableFuture<PublishResult> publishScheduled(PublishRequest r, int partitions, long calledNanos) {
        CompletableFuture<PublishResult> f = new CompletableFuture<>();
        long timestamp = r.timestamp() >= 0 ? r.timestamp() : time.wallMillis();
        int recordSize = BatchBuilder.recordSize(r.key(), r.payload().length, r.headers());
        synchronized (this) {
            TopicState t = topicState(r.topic(), partitions);
            int partition;
            if (r.partition() != PublishRequest.ANY_PARTITION) {
                TopicNames.checkPartition(r.topic(), r.partition(), partitions);
                partition = r.partition();
            } else if (r.key() != null) {
                partition = Partitioner.partitionForKey(r.key(), partitions);
            } else {
                partition = partitioner.nextSpreadPartition(t.name, partitions);
            }
            int q = r.qos() == QoS.AT_LEAST_ONCE ? 1 : 0;
            KeyState k = new KeyState(t, new TopicPartition(t.name, partition), r.qos(), q, false);
            ProducerBatch b = new ProducerBatch(
                    this, k, new BatchBuilder(recordSize + BatchFormat.HEADER_LENGTH), 1, false, false);
            b.deliverAtMillis = r.deliverAtMillis();
            b.builder.add(timestamp, r.key(), r.payload(), r.headers());
            b.futures.add(f);
            b.firstCallNanos = calledNanos;
            b.firstCallSet = true;
            k.open = b;
            seal(k);
        }
        sendSealed();
        return f;
    }

    /** Seals and sends every open batch. */
    public void flush() {
        synchronized (this) {
            for (TopicState t : topics.values()) {
                for (KeyState k : t.keys) {
                    if (k != null && k.open != null) {
                        seal(k);
                    }
                }
            }
        }
        sendSealed();
    }

    /**
     * Forgets the routing state of {@code topic} (deleted, or its partition count changed). Open
     * batches are not lost: each still leaves by its linger or its key's next completion.
     */
    public synchronized void forget(String topic) {
        topics.remove(topic);
        if (lastTopic != null && lastTopic.name.equals(topic)) {
            lastTopic = null;
        }
        partitioner.forget(topic);
    }

    /** Fails every open (unsent) batch with {@code cause} (closing); sent batches are the transport's. */
    public void failOpen(GmqException cause) {
        List<ProducerBatch> unsent = new ArrayList<>();
        synchronized (this) {
            for (TopicState t : topics.values()) {
                for (KeyState k : t.keys) {
                    if (k != null && k.open != null) {
                        ProducerBatch b = k.open;
                        k.open = null;
                        if (b.lingerTask != null) {
                            b.lingerTask.cancel(false);
                        }
                        unsent.add(b);
                    }
                }
                t.sticky[0] = null;
                t.sticky[1] = null;
            }
        }
        for (ProducerBatch b : unsent) {
            b.failFutures(cause);
        }
    }

    private TopicState topicState(String topic, int partitions) {
        TopicState t = lastTopic;
        if (t == null || t.name != topic) { // identity: the caller's String, usually a constant
            t = topics.get(topic);
            if (t == null) {
                t = new TopicState(topic, partitions);
                topics.put(topic, t);
            }
            lastTopic = t;
        }
        if (t.partitions != partitions) {
            resize(t, partitions);
        }
        return t;
    }

    /**
     * The partition count changed: keys that remain keep their state. Every open batch is sent as
     * it is first, so no batch holds records routed with two counts (storage checks a keyed batch's
     * count, {@link ProducerBatch#routedPartitions()}); a batch of a partition that is gone is
     * reported by the transport.
     */
    private void resize(TopicState t, int partitions) {
        KeyState[] old = t.keys;
        for (KeyState k : old) {
            if (k != null && k.open != null) {
                seal(k);
            }
        }
        t.keys = new KeyState[2 * partitions];
        System.arraycopy(old, 0, t.keys, 0, Math.min(old.length, t.keys.length));
        t.partitions = partitions;
        for (int q = 0; q < 2; q++) {
            if (t.sticky[q] != null && t.sticky[q].tp.partition() >= partitions) {
                t.sticky[q] = null;
            }
        }
    }

    private KeyState route(TopicState t, PublishRequest r, int partitions) {
        int q = r.qos() == QoS.AT_LEAST_ONCE ? 1 : 0;
        if (r.partition() != PublishRequest.ANY_PARTITION) {
            TopicNames.checkPartition(r.topic(), r.partition(), partitions);
            return t.key(r.partition(), q, r.qos(), idempotent);
        }
        if (r.key() != null) {
            return t.key(Partitioner.partitionForKey(r.key(), partitions), q, r.qos(), idempotent);
        }
        if (keyless == KeylessRouting.STICKY) {
            KeyState sticky = t.sticky[q];
            if (sticky == null) {
                sticky = t.key(partitioner.nextSpreadPartition(t.name, partitions), q, r.qos(), idempotent);
                t.sticky[q] = sticky;
            }
            return sticky;
        }
        return t.key(partitioner.nextSpreadPartition(t.name, partitions), q, r.qos(), idempotent);
    }

    /**
     * Opens {@code k}'s next batch. One that leaves with its first message is sized for exactly
     * that. One that fills either reuses its key's builder, whose frame is copied out at the seal
     * ({@link Policy#sealOnCompletion()}: under load the seal runs on the completing thread, so the
     * producers keep writing into memory already touched, and the copy is not theirs), or gets a
     * builder presized from the last batch of its key that filled (plus a quarter), whose array
     * becomes the frame without a copy (a seal by linger or size, which the producers pay for
     * either way). A lone message never allocates the size of a full batch.
     */
    private ProducerBatch open(KeyState k, int recordSize, boolean single) {
        int needed = recordSize + k.headerLength();
        ProducerBatch b;
        if (single) {
            b = new ProducerBatch(this, k, new BatchBuilder(needed).reset(k.idempotent), 1, false, false);
        } else if (policy.sealOnCompletion()) {
            BatchBuilder reused =
                    (k.spare != null ? k.spare : new BatchBuilder(MIN_BATCH_CAPACITY)).reset(k.idempotent);
            k.spare = null;
            b = new ProducerBatch(
                    this, k, reused, Math.max(4, k.lastBatchRecords + k.lastBatchRecords / 4), true, true);
        } else {
            int last = k.lastBatchBytes;
            int capacity = Math.max(
                    needed,
                    Math.min(policy.maxBatchBytes() + k.headerLength(), Math.max(MIN_BATCH_CAPACITY, last + last / 4)));
            int records = Math.max(4, k.lastBatchRecords + k.lastBatchRecords / 4);
            b = new ProducerBatch(this, k, new BatchBuilder(capacity).reset(k.idempotent), records, true, false);
        }
        k.open = b;
        return b;
    }

    private void sealLingering(KeyState k, ProducerBatch b) {
        synchronized (this) {
            if (k.open != b) {
                return;
            }
            seal(k);
        }
        sendSealed();
    }

    /**
     * Hands every sealed batch to the transport, in seal order, one thread at a time. Called by a
     * thread after it sealed a batch, so none is left behind: whichever sealer gets the send lock
     * first sends the others' batches too, and the rest find the queue empty.
     */
    private void sendSealed() {
        synchronized (sendLock) {
            while (true) {
                ProducerBatch b;
                synchronized (this) {
                    b = sealed.pollFirst();
                }
                if (b == null) {
                    return;
                }
                try {
                    transport.send(b);
                } catch (RuntimeException e) {
                    b.fail(e);
                }
            }
        }
    }

    /** Takes {@code k}'s open batch out, builds its frame and queues it for {@link #sendSealed} (lock held). */
    private void seal(KeyState k) {
        ProducerBatch b = k.open;
        k.open = null;
        if (b.lingerTask != null) {
            b.lingerTask.cancel(false);
        }
        if (k.topic.sticky[k.qosIndex] == k) {
            k.topic.sticky[k.qosIndex] = null;
        }
        if (b.filling) {
            k.lastBatchBytes = b.builder.sizeInBytes();
            k.lastBatchRecords = b.futures.size();
        }
        b.builder.attributes(k.qosIndex == 1 ? BatchFormat.ATTR_QOS_AT_LEAST_ONCE : 0);
        if (k.idempotent) {
            assignSequences(k, b);
        }
        if (b.reusedBuilder) {
            b.frame = b.builder.buildCopy(); // the builder goes back to its key for the next batch
            k.spare = b.builder;
        } else {
            b.frame = b.builder.build(); // the builder is dropped: its array is the frame's now
        }
        b.builder = null;
        k.inFlight.incrementAndGet();
        sealed.addLast(b);
    }

    /**
     * Gives a batch of {@code k} being sealed its partition's epoch and sequences (lock held). A new
     * epoch, at sequence 0, for a partition's first batch, after a failed batch, or before the
     * sequence would pass int32. Every new epoch comes from one counter of this producer, so it is
     * newer than any epoch this producer used on any partition, also for a partition whose state
     * was forgotten ({@link #forget}) and routed to again.
     */
    private void assignSequences(KeyState k, ProducerBatch b) {
        int count = b.futures.size();
        int failed = k.failedEpoch.get();
        if (k.epoch < 0 || failed >= k.epoch || k.nextSequence > Integer.MAX_VALUE - count) {
            k.epoch = ++lastEpoch;
            k.nextSequence = 0;
        }
        b.builder.producer(producerId, k.epoch, k.nextSequence);
        b.producerEpoch = k.epoch;
        b.baseSequence = k.nextSequence;
        k.nextSequence += count;
    }

    /** A batch of {@code k} completed: with sealOnCompletion its waiting batch may leave now. */
    void completed(KeyState k) {
        if (policy.sealOnCompletion()) {
            synchronized (this) {
                if (k.open == null || k.inFlight.get() >= policy.eagerInFlight()) {
                    return;
                }
                seal(k);
            }
            sendSealed();
        }
    }

    /** Open batches, for tests. */
    synchronized int openBatches() {
        int n = 0;
        for (TopicState t : topics.values()) {
            for (KeyState k : t.keys) {
                if (k != null && k.open != null) {
                    n++;
                }
            }
        }
        return n;
    }

    /** A topic's keys: index {@code 2 * partition + (QoS 1 ? 1 : 0)}, created on first use. */
    private static final class TopicState {
        final String name;
        int partitions;
        KeyState[] keys;
        /** Per QoS index: the key keyless messages join until its batch is sealed, or null. */
        final KeyState[] sticky = new KeyState[2];

        TopicState(String name, int partitions) {
            this.name = name;
            this.partitions = partitions;
            this.keys = new KeyState[2 * partitions];
        }

        KeyState key(int partition, int qosIndex, QoS qos, boolean idempotent) {
            int i = 2 * partition + qosIndex;
            KeyState k = keys[i];
            if (k == null) {
                k = new KeyState(this, new TopicPartition(name, partition), qos, qosIndex, idempotent && qosIndex == 1);
                keys[i] = k;
            }
            return k;
        }
    }

    /** One (topic, partition, QoS): its open batch and how many of its batches are in flight. */
    static final class KeyState {
        final TopicState topic;
        final TopicPartition tp;
        final QoS qos;
        final int qosIndex;
        /** Sent and not completed; completions decrement it without the lock. */
        final AtomicInteger inFlight = new AtomicInteger();
        /** Guarded by the batcher. */
        ProducerBatch open;

        int lastBatchBytes;
        int lastBatchRecords;
        /** The builder the key's next filling batch reuses (guarded by the batcher; sealOnCompletion only). */
        BatchBuilder spare;

        /** Its batches carry producer fields (QoS 1 of an idempotent batcher). */
        final boolean idempotent;
        /** The epoch of this partition's batches, -1 before the first (guarded by the batcher). */
        int epoch = -1;
        /** The sequence of the next record (guarded by the batcher). */
        int nextSequence;
        /**
         * The newest epoch in which a batch of this key failed for good, or -1; written by
         * completions without the batcher's lock. The next seal starts a newer epoch.
         */
        final AtomicInteger failedEpoch = new AtomicInteger(-1);

        KeyState(TopicState topic, TopicPartition tp, QoS qos, int qosIndex, boolean idempotent) {
            this.topic = topic;
            this.tp = tp;
            this.qos = qos;
            this.qosIndex = qosIndex;
            this.idempotent = idempotent;
        }

        int headerLength() {
            return idempotent ? BatchFormat.PRODUCER_HEADER_LENGTH : BatchFormat.HEADER_LENGTH;
        }

        /** A batch of epoch {@code epoch} failed for good: the next batch starts a newer epoch. */
        void failed(int epoch) {
            failedEpoch.accumulateAndGet(epoch, Math::max);
        }
    }
}
