package io.gmq.net.it;

import io.gmq.ConsumeMessage;
import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.PublishOption;
import io.gmq.PublishResult;
import io.gmq.QoS;
import io.gmq.TopicPartition;
import io.gmq.client.GmqClient;
import io.gmq.testkit.History;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * Records what the producers and consumers of a fault test observe into one {@link History}, and
 * runs the producer threads.
 *
 * <p><b>Fault epochs.</b> The client resends an unacknowledged QoS 1 batch by itself after its
 * broker session breaks or the broker answers UNAVAILABLE (see the client's Producer): the first
 * transmission may have been stored already, so the payload can sit at two positions although the
 * application saw one acknowledgement. In the history that is a retry after an unknown outcome, and
 * the test records it as one: every injected fault moves the epoch ({@link #faultBegins()},
 * {@link #faultEnds()}), and a send whose attempt and acknowledgement are in different epochs, or
 * that ran while a fault was active, is recorded as attempt, indeterminate, attempt, acked. Only
 * the "one payload, one position" rule is relaxed by that; lost and unexpected are judged as strictly
 * as ever.
 *
 * <p>Send outcomes: an acknowledgement is {@code acked}; the codes in {@link #definiteFailures} are
 * {@code failed} (the server promises nothing was written); every other error (UNAVAILABLE,
 * DEADLINE_EXCEEDED, INTERNAL, ...) is {@code indeterminate} (the write may have happened).
 *
 * <p>Every observation is stamped with {@code System.nanoTime()} when recorded; {@link #history()}
 * replays them in stamp order, so an observation known to hold from an earlier moment
 * ({@link #recordAt}) lands where it belongs.
 */
final class Recorder {
    /** How long a QoS 0 producer thread pauses after a failed send. */
    private static final long ERROR_PAUSE_MILLIS = 10;

    private final List<Stamped> log = new ArrayList<>();
    final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    final Set<String> consumed = ConcurrentHashMap.newKeySet();
    final Map<ErrorCode, AtomicInteger> errors = new EnumMap<>(ErrorCode.class);
    final AtomicInteger sends = new AtomicInteger();
    /** Producer id -> sends that ended without an acknowledgement. */
    private final Map<String, AtomicInteger> unacknowledged = new ConcurrentHashMap<>();

    private final AtomicLong epoch = new AtomicLong();
    private final AtomicInteger activeFaults = new AtomicInteger();
    private final Set<ErrorCode> definiteFailures;
    private final AtomicBoolean producing = new AtomicBoolean(true);
    private final List<Thread> producers = new ArrayList<>();
    /** The payload id inside a delivered payload (the whole payload unless a test embeds an id in filler). */
    private volatile UnaryOperator<String> payloadId = UnaryOperator.identity();

    Recorder(Set<ErrorCode> definiteFailures) {
        this.definiteFailures = definiteFailures;
        for (ErrorCode c : ErrorCode.values()) {
            errors.put(c, new AtomicInteger());
        }
    }

    Recorder() {
        this(Set.of());
    }

    /** One observation and when it was made ({@code System.nanoTime()}); {@code seq} breaks ties. */
    private record Stamped(long nanos, long seq, Consumer<History> event) {}

    /** Records an observation made now. */
    void record(Consumer<History> event) {
        recordAt(System.nanoTime(), event);
    }

    /**
     * Records an observation known to hold from {@code nanos} on, which may be earlier than now: a
     * sampled group assignment is placed at the moment of the previous sample that did not show it,
     * the earliest moment it can have taken effect (see {@link GroupSampler}).
     */
    synchronized void recordAt(long nanos, Consumer<History> event) {
        log.add(new Stamped(nanos, log.size(), event));
    }

    /** The history of everything recorded so far, in time order. */
    synchronized History history() {
        History h = new History();
        log.stream()
                .sorted(Comparator.comparingLong(Stamped::nanos).thenComparingLong(Stamped::seq))
                .forEach(s -> s.event().accept(h));
        return h;
    }

    /** Large payloads: the id is what {@code extractor} finds in the payload text. */
    Recorder withPayloadId(UnaryOperator<String> extractor) {
        this.payloadId = extractor;
        return this;
    }

    void faultBegins() {
        activeFaults.incrementAndGet();
        epoch.incrementAndGet();
    }

    void faultEnds() {
        epoch.incrementAndGet();
        activeFaults.decrementAndGet();
    }

    int errorCount(ErrorCode code) {
        return errors.get(code).get();
    }

    /** Acknowledged sends of a producer thread started by {@link #startProducer} ("{id}-{n}" payloads). */
    int acknowledgedBy(String producerId) {
        String prefix = producerId + "-";
        return (int) acknowledged.stream().filter(p -> p.startsWith(prefix)).count();
    }

    /** Sends of {@code producerId} that failed or timed out (no acknowledgement). */
    int unacknowledgedBy(String producerId) {
        AtomicInteger n = unacknowledged.get(producerId);
        return n == null ? 0 : n.get();
    }

    /** One synchronous QoS 1 publish of {@code payload}, recorded. Returns true if acknowledged. */
    boolean publish(GmqClient client, String producerId, String topic, String payload, PublishOption... options) {
        return publish(client, producerId, topic, payload, QoS.AT_LEAST_ONCE, options);
    }

    /**
     * One synchronous publish at {@code qos}, recorded. Returns true if acknowledged. At QoS 0 the
     * client never resends, so an acknowledgement is recorded as it is, whatever the fault epochs.
     */
    boolean publish(
            GmqClient client, String producerId, String topic, String payload, QoS qos, PublishOption... options) {
        long before = epoch.get();
        boolean faultBefore = activeFaults.get() > 0;
        record(h -> h.attempt(producerId, payload));
        sends.incrementAndGet();
        PublishOption[] all = Arrays.copyOf(options, options.length + 1);
        all[options.length] = PublishOption.qos(qos);
        try {
            PublishResult r = client.publish(topic, payload.getBytes(StandardCharsets.UTF_8), all);
            boolean mayHaveBeenResent = faultBefore || activeFaults.get() > 0 || epoch.get() != before;
            if (qos == QoS.AT_LEAST_ONCE && mayHaveBeenResent) {
                record(h -> {
                    h.indeterminate(producerId, payload);
                    h.attempt(producerId, payload);
                });
            }
            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            record(h -> h.acked(producerId, payload, tp, r.offset()));
            acknowledged.add(payload);
            return true;
        } catch (GmqException e) {
            errors.get(e.code()).incrementAndGet();
            unacknowledged.computeIfAbsent(producerId, p -> new AtomicInteger()).incrementAndGet();
            if (definiteFailures.contains(e.code())) {
                record(h -> h.failed(producerId, payload));
            } else {
                record(h -> h.indeterminate(producerId, payload));
            }
            return false;
        }
    }

    /** Starts a QoS 1 producer thread publishing "{id}-{n}" with 12 rotating keys until {@link #stopProducers()}. */
    void startProducer(GmqClient client, String producerId, String topic) {
        startProducer(client, producerId, topic, QoS.AT_LEAST_ONCE);
    }

    /** Starts a producer thread publishing "{id}-{n}" at {@code qos} with 12 rotating keys. */
    void startProducer(GmqClient client, String producerId, String topic, QoS qos) {
        Thread t = new Thread(
                () -> {
                    for (int i = 0; producing.get(); i++) {
                        boolean acked = publish(
                                client,
                                producerId,
                                topic,
                                producerId + "-" + i,
                                qos,
                                PublishOption.partitionKey("key-" + (i % 12)));
                        if (!acked) {
                            // Pacing, not synchronisation: a send can fail at once while storage is
                            // down (QoS 0; QoS 1 when a storage cluster has no majority), and without
                            // a pause as an application would take, one outage is tens of thousands
                            // of instant UNAVAILABLE answers eating the test's CPU and memory.
                            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(ERROR_PAUSE_MILLIS));
                        }
                    }
                },
                "producer-" + producerId);
        t.setDaemon(true);
        producers.add(t);
        t.start();
    }

    /** Tells the producer threads to stop after their current send, without waiting for them. */
    void haltProducers() {
        producing.set(false);
    }

    void stopProducers() throws InterruptedException {
        producing.set(false);
        for (Thread t : producers) {
            t.join(TimeUnit.SECONDS.toMillis(60));
            if (t.isAlive()) {
                throw new AssertionError(t.getName() + " did not stop");
            }
        }
    }

    /** Lets {@link #startProducer} start new producers after {@link #stopProducers()} (a new phase of a test). */
    void resumeProducing() {
        producers.clear();
        producing.set(true);
    }

    /** A message handler for a member {@code consumerId}: records the delivery (auto ack on return). */
    void consume(String consumerId, ConsumeMessage m) {
        String payload = payloadId.apply(m.payloadAsString());
        TopicPartition tp = new TopicPartition(m.topic(), m.partition());
        long offset = m.offset();
        int deliveryCount = m.deliveryCount();
        QoS qos = m.qos();
        record(h -> h.consumed(consumerId, payload, tp, offset, deliveryCount, qos));
        consumed.add(payload);
    }

    /** Waits until every acknowledged payload has been consumed at least once. */
    void awaitAllAcknowledgedConsumed(long seconds) {
        await(
                "every acknowledged message is consumed (" + acknowledged.size() + " acknowledged)",
                seconds,
                () -> consumed.containsAll(acknowledged));
    }

    String summary() {
        StringBuilder b = new StringBuilder();
        b.append(sends.get())
                .append(" sends, ")
                .append(acknowledged.size())
                .append(" acknowledged, ")
                .append(consumed.size())
                .append(" distinct consumed, errors {");
        errors.forEach((code, n) -> {
            if (n.get() > 0) {
                b.append(' ').append(code).append('=').append(n.get());
            }
        });
        return b.append(" }").toString();
    }

    static void await(String what, long seconds, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + seconds + " s waiting until " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }
}
