package io.gmq.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.storage.BatchBuilder;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchFrame;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeliveryPlanTest {
    private final BatchFrame cursor = new BatchFrame();

    /** One frame of {@code count} records at {@code base}; QoS 1 if {@code atLeastOnce}. */
    private record Frame(long base, int count, boolean atLeastOnce) {}

    private static ByteBuffer frames(Frame... frames) {
        ByteBuffer all = ByteBuffer.allocate(64 * 1024).order(BatchFormat.ORDER);
        for (Frame f : frames) {
            BatchBuilder b = new BatchBuilder();
            for (int i = 0; i < f.count(); i++) {
                b.add(0L, null, new byte[] {(byte) i}, List.of());
            }
            b.attributes(f.atLeastOnce() ? BatchFormat.ATTR_QOS_AT_LEAST_ONCE : 0);
            ByteBuffer frame = b.buildCopy();
            int start = all.position();
            all.put(frame);
            new BatchFrame().wrap(all, start).seal(f.base());
        }
        return all.flip();
    }

    @Test
    void qos0RecordsAreCommittedPastBeforeDelivery() {
        DeliveryWindow w = new DeliveryWindow(100, 0);

        DeliveryPlan plan = DeliveryPlan.of(w, 0, frames(new Frame(0, 5, false)), 100, cursor);

        assertEquals(0, plan.from());
        assertEquals(5, plan.to());
        assertEquals(5, plan.commitFirst());
        assertTrue(plan.needsCommitBeyond(-1));
        assertEquals(0, w.next(), "planning changes nothing in the window");
        plan.markDelivered(w, 0, cursor);
        assertEquals(5, w.base(), "QoS 0 records count as consumed once delivered");
    }

    @Test
    void qos1OnlyPlanCommitsNothingFirst() {
        DeliveryWindow w = new DeliveryWindow(100, 0);

        DeliveryPlan plan = DeliveryPlan.of(w, 0, frames(new Frame(0, 3, true)), 100, cursor);

        assertEquals(3, plan.to());
        assertFalse(plan.needsCommitBeyond(-1));
        plan.markDelivered(w, 0, cursor);
        assertEquals(0, w.base(), "QoS 1 records stay in flight until acknowledged");
        assertEquals(3, w.next());
    }

    @Test
    void qos0FrameBehindAnUnacknowledgedQos1RecordWaits() {
        DeliveryWindow w = new DeliveryWindow(100, 0);

        DeliveryPlan plan = DeliveryPlan.of(
                w, 0, frames(new Frame(0, 2, false), new Frame(2, 2, true), new Frame(4, 2, false)), 100, cursor);

        assertEquals(4, plan.to(), "stops before the QoS 0 frame that follows QoS 1 records");
        assertEquals(2, plan.commitFirst(), "commits past the leading QoS 0 records only");
        plan.markDelivered(w, 0, cursor);

        DeliveryPlan blocked = DeliveryPlan.of(w, 4, frames(new Frame(4, 2, false)), 100, cursor);
        assertTrue(blocked.isEmpty(), "offsets 2 and 3 are not acknowledged yet");

        w.ack(2);
        w.ack(3);
        DeliveryPlan after = DeliveryPlan.of(w, 4, frames(new Frame(4, 2, false)), 100, cursor);
        assertEquals(6, after.to());
        assertEquals(6, after.commitFirst());
    }

    @Test
    void capacityLimitsThePlanAndTheCommit() {
        DeliveryWindow w = new DeliveryWindow(100, 10);

        DeliveryPlan plan = DeliveryPlan.of(w, 10, frames(new Frame(10, 8, false)), 3, cursor);

        assertEquals(13, plan.to());
        assertEquals(13, plan.commitFirst(), "never commits past a record that is not sent");
    }

    @Test
    void retentionGapAtTheStartIsSkipped() {
        DeliveryWindow w = new DeliveryWindow(100, 0);

        DeliveryPlan plan = DeliveryPlan.of(w, 0, frames(new Frame(7, 2, false)), 100, cursor);

        assertEquals(7, plan.from());
        assertEquals(9, plan.to());
        assertEquals(7, w.base());
    }
}
