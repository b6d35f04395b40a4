package io.gmq.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.TopicPartition;
import io.gmq.storage.BatchBuilder;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchFrame;
import io.gmq.storage.BatchReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Key ordering end to end, as a model: the broker side is the real {@link DeliveryWindow} and
 * {@link KeyOrder}, driven the way {@link PartitionDelivery}, {@link Redelivery} and
 * {@link GroupSubscription} drive them; the consumer side is the real {@link KeyOrderGate}; the
 * links between them are FIFO queues (a delivery stream, an ack stream). Every interleaving of
 * first deliveries, dispatches, handler acks and nacks in any order (manual acks; automatic acks
 * are the special case of settling at once), ack timeouts, backoffs passing, redelivery reads
 * completing late, dead-lettering after {@link #MAX_DELIVERIES}, commits, and member changes
 * (the partition moves to a new member, from the committed offset or replayed from an earlier one).
 *
 * <p><b>The guarantee checked</b> ("in order" with redelivery): whenever a handler is given a
 * record of key K, every earlier record of K in the partition has already been acknowledged by a
 * handler or dead-lettered. So no handler ever sees a key's later record while an earlier one is
 * unprocessed or failed, first deliveries included; what may still happen is an already
 * acknowledged record coming again (at least once). Records without a key are not constrained.
 * And liveness: once failures stop, every record is acknowledged without waiting for an ack
 * timeout (no key stays blocked, nothing the consumer dropped is left out with it).
 */
final class KeyOrderModelProperties {
    private static final TopicPartition TP = new TopicPartition("t", 0);
    private static final int MAX_DELIVERIES = 3;
    private static final int WINDOW = 6;

    /** A record as the consumer decodes it; settling is done by the model, not by the record. */
    static final class Rec extends DeliveredRecord {
        final int member;

        Rec(BatchReader at, int deliveryCount, int member) {
            super(TP, at, deliveryCount, Delivery.isFinalAttempt(deliveryCount, MAX_DELIVERIES));
            this.member = member;
        }

        @Override
        protected void settle(boolean ack) {
            throw new AssertionError("settled by the model");
        }
    }

    record Sent(long offset, int deliveryCount, int member) {}

    record Settle(long offset, boolean ack, int member) {}

    /** The broker side of one member: a window and its key order, as GroupSubscription runs them. */
    final class Broker {
        final int member;
        final DeliveryWindow window;
        final KeyOrder keys = new KeyOrder();
        long fetchOffset;
        final Set<Long> reading = new HashSet<>();

        Broker(int member, long start) {
            this.member = member;
            this.window = new DeliveryWindow(WINDOW, start, true);
            this.fetchOffset = start;
        }

        /** PartitionDelivery.deliver: first delivery of up to {@code n} records, held ones not sent. */
        void deliverFirst(int n) {
            long to = Math.min(Math.min(fetchOffset + n, log.length), fetchOffset + window.room());
            if (to <= fetchOffset) {
                return;
            }
            long from = fetchOffset;
            window.deliveredRange(from, to, true, Long.MAX_VALUE);
            keys.delivered(window, frames, from, to);
            fetchOffset = to;
            for (long o = from; o < to; o++) {
                if (window.state(o) != DeliveryWindow.HELD) {
                    toConsumer.add(new Sent(o, 1, member));
                }
            }
        }

        /** Redelivery.redeliverDue on an offset whose ack timeout passed (a backoff follows). */
        void timeout(long o) {
            if (window.state(o) != DeliveryWindow.IN_FLIGHT) {
                return;
            }
            if (keys.failed(window, o)) {
                window.nack(o, 0);
            }
        }

        /** Redelivery.nack. */
        void nack(long o) {
            if (window.state(o) != DeliveryWindow.IN_FLIGHT) {
                return;
            }
            if (keys.failed(window, o)) {
                window.nack(o, 0);
            }
        }

        /** GroupSubscription.ack with key ordering. */
        void ack(long o) {
            if (window.awaitingAck(o)) {
                keys.acked(window, o, 0);
            }
            window.ack(o);
        }

        /** A record in backoff is due: its read starts (it completes later, see {@link #completeRead}). */
        void startRead(long o) {
            if (window.state(o) == DeliveryWindow.BACKOFF) {
                reading.add(o);
            }
        }

        /** Redelivery.onRedeliveryRead. */
        void completeRead(long o) {
            reading.remove(o);
            if (!window.redeliverable(o)) {
                return;
            }
            if (window.deliveryCount(o) >= MAX_DELIVERIES) {
                deadLettered.add(o);
                ack(o);
                return;
            }
            window.redelivered(o, Long.MAX_VALUE);
            toConsumer.add(new Sent(o, window.deliveryCount(o), member));
        }
    }

    // ---- the world -------------------------------------------------------------------------------

    private String[] log;
    private ByteBuffer frames;
    private final ArrayDeque<Sent> toConsumer = new ArrayDeque<>();
    private final ArrayDeque<Settle> toBroker = new ArrayDeque<>();
    private final List<Rec> inHandlers = new ArrayList<>();
    private final Set<Long> handlerAcked = new HashSet<>();
    private final Set<Long> deadLettered = new HashSet<>();
    private final List<String> trace = new ArrayList<>();
    private KeyOrderGate<Rec> gate;
    private Broker broker;
    private int member;
    private long committed;

    @Provide
    Arbitrary<List<String>> logs() {
        return Arbitraries.of("A", "B", "C", "-").list().ofMinSize(1).ofMaxSize(10);
    }

    @Provide
    Arbitrary<List<Integer>> steps() {
        return Arbitraries.integers().between(0, 9_999).list().ofMaxSize(120);
    }

    @Property(tries = 1500)
    void everyKeysRecordsReachAHandlerOnlyAfterItsEarlierOnesWereAcknowledged(
            @ForAll("logs") List<String> keys, @ForAll("steps") List<Integer> steps) {
        log = keys.toArray(new String[0]);
        frames = frames(log);
        toConsumer.clear();
        toBroker.clear();
        inHandlers.clear();
        handlerAcked.clear();
        deadLettered.clear();
        trace.clear();
        member = 0;
        committed = 0;
        newMember(0);
        for (int step : steps) {
            act(step % 12, step / 12);
        }
        // Failures stop: deliver, dispatch, acknowledge, let backoffs pass, until done. No ack
        // timeout is needed for that: what the consumer dropped, the broker holds and sends again.
        for (int round = 0; round < 500 && !allSettled(); round++) {
            broker.deliverFirst(WINDOW);
            while (!toConsumer.isEmpty()) {
                dispatch();
            }
            while (!inHandlers.isEmpty()) {
                settle(0, true);
            }
            while (!toBroker.isEmpty()) {
                applySettle();
            }
            for (long o = broker.window.base(); o < broker.window.next(); o++) {
                broker.startRead(o);
            }
            for (Long o : List.copyOf(broker.reading)) {
                broker.completeRead(o);
            }
        }
        assertTrue(allSettled(), () -> "stuck: base " + broker.window.base() + " of " + log.length + "; " + tail());
    }

    private String tail() {
        return String.join(", ", trace.subList(Math.max(0, trace.size() - 60), trace.size()));
    }

    private boolean allSettled() {
        return broker.window.base() == log.length && broker.fetchOffset == log.length;
    }

    private void act(int kind, int pick) {
        switch (kind) {
            case 0, 1 -> broker.deliverFirst(1 + pick % 3);
            case 2, 3 -> dispatch();
            case 4 -> settle(pick, true);
            case 5 -> settle(pick, false);
            case 6 -> applySettle();
            case 7 -> broker.timeout(inWindow(pick));
            case 8 -> broker.startRead(inWindow(pick));
            case 9 -> {
                if (!broker.reading.isEmpty()) {
                    List<Long> r = List.copyOf(broker.reading);
                    broker.completeRead(r.get(pick % r.size()));
                }
            }
            case 10 -> committed = Math.max(committed, broker.window.base());
            case 11 -> {
                if (pick % 4 == 0) {
                    // the partition moves on: cooperative hand-over commits, a crash does not;
                    // pick % 8 == 4 replays from an earlier offset (a reset)
                    if (pick % 16 == 0) {
                        committed = Math.max(committed, broker.window.base());
                    } else if (pick % 16 == 4) {
                        committed = committed == 0 ? 0 : (pick / 16) % committed;
                    }
                    newMember(committed);
                }
            }
            default -> throw new IllegalStateException();
        }
    }

    private long inWindow(int pick) {
        int n = broker.window.inFlight();
        return n == 0 ? broker.window.base() : broker.window.base() + pick % n;
    }

    private void newMember(long start) {
        member++;
        trace.add("member " + member + " from " + start);
        toConsumer.clear(); // the old member's deliveries are dropped (stale epoch/revoked)
        toBroker.clear(); // its acks reach no one
        broker = new Broker(member, start);
        gate = new KeyOrderGate<>(); // a new member (or the old one after revocation: forgotten)
    }

    /** The consumer's dispatcher takes the next delivery off the stream. */
    private void dispatch() {
        Sent s = toConsumer.poll();
        if (s == null) {
            return;
        }
        Rec r = decode(s);
        KeyOrderGate.Admission a = gate.admit(r);
        trace.add("arrive " + s.offset() + "#" + s.deliveryCount() + " " + a);
        if (a == KeyOrderGate.Admission.HANDLE) {
            hand(r);
        }
    }

    /** A handler acks or nacks one of the records it holds (any of them: manual acks). */
    private void settle(int pick, boolean ack) {
        if (inHandlers.isEmpty()) {
            return;
        }
        Rec r = inHandlers.remove(pick % inHandlers.size());
        trace.add((ack ? "ack " : "nack ") + r.offset());
        if (ack) {
            handlerAcked.add(r.offset());
        }
        if (r.member == member) {
            Rec next = gate.settled(r, ack, dropped -> {});
            toBroker.add(new Settle(r.offset(), ack, r.member));
            if (next != null) {
                hand(next);
            }
        }
    }

    private void applySettle() {
        Settle s = toBroker.poll();
        if (s == null || s.member() != member) {
            return;
        }
        if (s.ack()) {
            broker.ack(s.offset());
        } else {
            broker.nack(s.offset());
        }
    }

    /** The guarantee: a handler gets a record of a key only after the key's earlier records were acknowledged. */
    private void hand(Rec r) {
        long o = r.offset();
        trace.add("handle " + o + "#" + r.deliveryCount());
        String key = log[(int) o];
        if (!key.equals("-")) {
            for (int earlier = 0; earlier < o; earlier++) {
                if (log[earlier].equals(key)) {
                    long e = earlier;
                    assertTrue(
                            handlerAcked.contains(e) || deadLettered.contains(e),
                            () -> "record " + o + " of key " + key + " handed before " + e + " was acknowledged: "
                                    + String.join(", ", log) + " / " + tail());
                }
            }
        }
        inHandlers.add(r);
    }

    private Rec decode(Sent s) {
        BatchReader reader = new BatchReader(frames.duplicate());
        while (reader.next()) {
            if (reader.offset() == s.offset()) {
                return new Rec(reader, s.deliveryCount(), s.member());
            }
        }
        throw new AssertionError("no record at " + s.offset());
    }

    /** One sealed frame per record from offset 0, keys as given ("-": no key). */
    private static ByteBuffer frames(String[] keys) {
        ByteBuffer out = ByteBuffer.allocate(1 << 16).order(BatchFormat.ORDER);
        for (int i = 0; i < keys.length; i++) {
            BatchBuilder b = new BatchBuilder().attributes(BatchFormat.ATTR_QOS_AT_LEAST_ONCE);
            byte[] key = keys[i].equals("-") ? null : keys[i].getBytes(StandardCharsets.UTF_8);
            b.add(0, key, ("v" + i).getBytes(StandardCharsets.UTF_8), List.of());
            ByteBuffer frame = b.buildCopy();
            int start = out.position();
            out.put(frame);
            new BatchFrame().wrap(out, start).seal(i);
        }
        return out.flip();
    }

    /**
     * A key's head nacked on its last attempt goes to the dead-letter topic and never comes again:
     * the consumer must not go on waiting for it (found by the property above).
     */
    @Example
    void aHeadDeadLetteredOnItsLastAttemptDoesNotBlockItsKey() {
        // deliver 1, dispatch, nack, apply; then twice more: read again, dispatch, nack, apply
        List<Integer> steps = List.of(0, 2, 5, 6, 8, 9, 2, 5, 6, 8, 9, 2, 5, 6);
        everyKeysRecordsReachAHandlerOnlyAfterItsEarlierOnesWereAcknowledged(List.of("A", "A"), steps);
        assertTrue(deadLettered.contains(0L), () -> "record 0 dead-lettered: " + tail());
        assertEquals(2, broker.window.base());
    }

    @Property(tries = 1)
    void theModelSeesEveryRecordOfAQuietRun(@ForAll("logs") List<String> keys) {
        everyKeysRecordsReachAHandlerOnlyAfterItsEarlierOnesWereAcknowledged(keys, List.of());
        assertEquals(log.length, broker.window.base());
    }
}
