package io.gmq.internal.broker;

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
            w.delivered(o, true, 0);
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
        w.delivered(0, false, 0);
        w.delivered(1, false, 0);
        assertEquals(2, w.base());
        assertEquals(4, w.room());
    }

    @Test
    void windowBoundsUnacknowledgedMessages() {
        DeliveryWindow w = new DeliveryWindow(3, 0);
        w.delivered(0, true, 0);
        w.delivered(1, true, 0);
        w.delivered(2, true, 0);
        assertEquals(0, w.room());
        assertThrows(IllegalStateException.class, () -> w.delivered(3, true, 0));
        w.ack(1);
        assertEquals(0, w.room(), "an ack above the lowest unacked does not free room");
        w.ack(0);
        assertEquals(2, w.room());
    }

    @Test
    void ackOfUnknownOrRepeatedOffsetIsIgnored() {
        DeliveryWindow w = new DeliveryWindow(3, 10);
        w.delivered(10, true, 0);
        assertFalse(w.ack(9));
        assertFalse(w.ack(11));
        assertTrue(w.ack(10));
        assertFalse(w.ack(10));
    }

    @Test
    void expiredDeliveriesAreDueAndRedeliveryCountsUp() {
        DeliveryWindow w = new DeliveryWindow(8, 0);
        w.delivered(0, true, 1_000);
        w.delivered(1, true, 5_000);
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
        w.delivered(0, true, 1_000_000);
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
                w.delivered(next, needsAck, 0);
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
                w.delivered(next, true, t);
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
}
