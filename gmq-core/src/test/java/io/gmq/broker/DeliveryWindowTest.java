package io.gmq.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class DeliveryWindowTest {

    @Test
    void committableOffsetIsTheLowestUnacknowledged() {
        DeliveryWindow w = new DeliveryWindow(10, 100);
        for (long o = 100; o < 105; o++) {
            w.deliveredRange(o, o + 1, true, 0);
        }
        w.ack(101);
        w.ack(102);
        assertEquals(100, w.base());
        w.ack(100);
        assertEquals(103, w.base());
        w.ack(104);
        assertEquals(103, w.base());
        w.ack(103);
        assertEquals(105, w.base());
    }

    @Test
    void qos0RecordsCountAsConsumedWhenDelivered() {
        DeliveryWindow w = new DeliveryWindow(4, 0);
        w.deliveredRange(0, 0 + 1, false, 0);
        w.deliveredRange(1, 1 + 1, false, 0);
        assertEquals(2, w.base());
        assertEquals(4, w.room());
    }

    @Test
    void windowBoundsUnacknowledgedMessages() {
        DeliveryWindow w = new DeliveryWindow(3, 0);
        w.deliveredRange(0, 0 + 1, true, 0);
        w.deliveredRange(1, 1 + 1, true, 0);
        w.deliveredRange(2, 2 + 1, true, 0);
        assertEquals(0, w.room());
        assertThrows(IllegalStateException.class, () -> w.deliveredRange(3, 3 + 1, true, 0));
        w.ack(1);
        assertEquals(0, w.room(), "an ack above the lowest unacked does not free room");
        w.ack(0);
        assertEquals(2, w.room());
    }

    @Test
    void ackOfUnknownOrRepeatedOffsetIsIgnored() {
        DeliveryWindow w = new DeliveryWindow(3, 10);
        w.deliveredRange(10, 10 + 1, true, 0);
        assertFalse(w.ack(9));
        assertFalse(w.ack(11));
        assertTrue(w.ack(10));
        assertFalse(w.ack(10));
    }

    @Test
    void expiredDeliveriesAreDueAndRedeliveryCountsUp() {
        DeliveryWindow w = new DeliveryWindow(8, 0);
        w.deliveredRange(0, 0 + 1, true, 1_000);
        w.deliveredRange(1, 1 + 1, true, 5_000);
        List<Long> due = new ArrayList<>();
        assertEquals(1, w.forEachDue(2_000, due::add));
        assertEquals(List.of(0L), due);
        w.redelivered(0, 10_000);
        assertEquals(2, w.deliveryCount(0));
        due.clear();
        w.forEachDue(6_000, due::add);
        assertEquals(List.of(1L), due);
    }

    @Test
    void nackMakesMessageDueAfterBackoff() {
        DeliveryWindow w = new DeliveryWindow(8, 0);
        w.deliveredRange(0, 0 + 1, true, 1_000_000);
        assertTrue(w.nack(0, 500));
        List<Long> due = new ArrayList<>();
        w.forEachDue(400, due::add);
        assertTrue(due.isEmpty());
        w.forEachDue(500, due::add);
        assertEquals(List.of(0L), due);
    }

    @Test
    void skipToMovesAnEmptyWindowForward() {
        DeliveryWindow w = new DeliveryWindow(8, 0);
        w.skipTo(50);
        assertEquals(50, w.base());
        assertEquals(50, w.next());
    }

    /** Model check: after any sequence of deliveries and acks, base is the lowest unacked offset. */
    @Property(tries = 300)
    void baseIsAlwaysTheLowestUnacknowledgedOffset(
            @ForAll("ops") List<Integer> ops, @ForAll @IntRange(min = 1, max = 16) int capacity) {
        DeliveryWindow w = new DeliveryWindow(capacity, 0);
        TreeSet<Long> unacked = new TreeSet<>();
        long next = 0;
        for (int op : ops) {
            if (op < 0 && w.room() > 0) {
                boolean needsAck = op % 3 != 0;
                w.deliveredRange(next, next + 1, needsAck, 0);
                if (needsAck) {
                    unacked.add(next);
                }
                next++;
            } else if (op >= 0 && !unacked.isEmpty()) {
                Long target = unacked.ceiling(unacked.first() + op % 5);
                long o = target == null ? unacked.first() : target;
                assertTrue(w.ack(o));
                unacked.remove(o);
            }
            long expectedBase = unacked.isEmpty() ? next : unacked.first();
            assertEquals(expectedBase, w.base());
            assertTrue(w.next() - w.base() <= capacity);
        }
    }

    @Provide
    Arbitrary<List<Integer>> ops() {
        return Arbitraries.integers().between(-10, 10).list().ofMaxSize(200);
    }

    /**
     * Model check of the due set: after any mix of deliveries, acks, nacks, redeliveries and
     * postponements, forEachDue(now) reports exactly the pending offsets whose deadline has
     * passed (the skip-ahead bound never hides one).
     */
    @Property(tries = 300)
    void forEachDueReportsExactlyThePendingOffsetsWhoseDeadlinePassed(@ForAll("dueOps") List<int[]> ops) {
        DeliveryWindow w = new DeliveryWindow(32, 0);
        java.util.Map<Long, Long> pending = new java.util.TreeMap<>();
        long next = 0;
        long now = 0;
        for (int[] op : ops) {
            int kind = op[0];
            long t = now + op[1];
            if (kind == 0 && w.room() > 0) {
                w.deliveredRange(next, next + 1, true, t);
                pending.put(next, t);
                next++;
            } else if (kind == 1 && !pending.isEmpty()) {
                long o = pending.keySet().iterator().next();
                assertTrue(w.ack(o));
                pending.remove(o);
            } else if (kind == 2 && !pending.isEmpty()) {
                long o = pending.keySet().stream()
                        .skip(op[1] % pending.size())
                        .findFirst()
                        .orElseThrow();
                w.postpone(o, t);
                pending.put(o, t);
            } else if (kind == 3) {
                now += op[1];
                List<Long> expected = new ArrayList<>();
                for (var e : pending.entrySet()) {
                    if (now - e.getValue() >= 0) {
                        expected.add(e.getKey());
                    }
                }
                List<Long> got = new ArrayList<>();
                long at = now;
                w.forEachDue(at, o -> {
                    got.add(o);
                    w.redelivered(o, at + 50);
                    pending.put(o, at + 50);
                });
                assertEquals(expected, got);
            }
        }
    }

    @Provide
    Arbitrary<List<int[]>> dueOps() {
        return Arbitraries.integers()
                .between(0, 3)
                .flatMap(k -> Arbitraries.integers().between(0, 100).map(v -> new int[] {k, v}))
                .list()
                .ofMaxSize(120);
    }

    /**
     * Model check of the bulk operations: a window driven by {@code deliveredRange} / {@code
     * ackRange} ends every step in the same state as a twin driven offset by offset, for any
     * capacity (power of two or not, so the ring wraps at a different place than the window; above
     * {@link DeliveryWindow#INITIAL_RING}, so the ring grows with offsets in flight) and any
     * ranges, including ranges that reach outside the window or over acknowledged offsets.
     */
    @Property(tries = 400)
    void rangeOperationsMatchTheirOffsetByOffsetEquivalent(
            @ForAll("rangeOps") List<int[]> ops, @ForAll @IntRange(min = 1, max = 700) int capacity) {
        DeliveryWindow bulk = new DeliveryWindow(capacity, 7);
        DeliveryWindow single = new DeliveryWindow(capacity, 7);
        for (int[] op : ops) {
            if (op[0] == 0) {
                int n = Math.min(op[1], bulk.room());
                boolean needsAck = op[2] % 4 != 0;
                long from = bulk.next();
                bulk.deliveredRange(from, from + n, needsAck, 100);
                for (long o = from; o < from + n; o++) {
                    single.deliveredRange(o, o + 1, needsAck, 100);
                }
            } else {
                long from = single.base() + op[1] % 50 - 3;
                long to = from + op[2];
                int acked = 0;
                for (long o = from; o < to; o++) {
                    acked += single.ack(o) ? 1 : 0;
                }
                assertEquals(acked, bulk.ackRange(from, to));
            }
            assertEquals(single.base(), bulk.base());
            assertEquals(single.next(), bulk.next());
            for (long o = single.base(); o < single.next(); o++) {
                assertEquals(single.deliveryCount(o), bulk.deliveryCount(o));
                assertEquals(single.awaitingAck(o), bulk.awaitingAck(o), "offset " + o);
            }
        }
    }

    @Test
    void deliveredRangeBeyondRoomIsRefusedAndChangesNothing() {
        DeliveryWindow w = new DeliveryWindow(5, 0);
        w.deliveredRange(0, 3, true, 0);
        assertThrows(IllegalStateException.class, () -> w.deliveredRange(3, 6, true, 0));
        assertThrows(IllegalStateException.class, () -> w.deliveredRange(4, 5, true, 0));
        assertEquals(0, w.base());
        assertEquals(3, w.next());
        assertEquals(2, w.ackRange(1, 3));
        assertEquals(0, w.base());
        assertEquals(1, w.ackRange(-10, 100));
        assertEquals(3, w.base());
    }

    @Test
    void ringGrowsWithOffsetsInFlightNotWithCapacity() {
        DeliveryWindow quiet = new DeliveryWindow(20_000, 0);
        for (int i = 0; i < 10; i++) {
            quiet.deliveredRange(quiet.next(), quiet.next() + 100, true, 0);
            assertEquals(100, quiet.ackRange(quiet.base(), quiet.next()));
        }
        assertEquals(DeliveryWindow.INITIAL_RING, quiet.ringSize());

        DeliveryWindow busy = new DeliveryWindow(5_000, 3);
        busy.deliveredRange(3, 203, true, 0);
        busy.ackRange(3, 100); // base 100: the live slots wrap when the ring grows
        busy.deliveredRange(203, 3_203, true, 7);
        assertEquals(4096, busy.ringSize());
        assertEquals(100, busy.base());
        for (long o = 100; o < 3_203; o++) {
            assertTrue(busy.awaitingAck(o), "offset " + o);
        }
        assertEquals(5_000 - 3_103, busy.room());
    }

    @Provide
    Arbitrary<List<int[]>> rangeOps() {
        return Arbitraries.integers()
                .between(0, 1)
                .flatMap(k -> Arbitraries.integers()
                        .between(0, 300)
                        .flatMap(a -> Arbitraries.integers().between(0, 300).map(b -> new int[] {k, a, b})))
                .list()
                .ofMaxSize(60);
    }
}
