package io.gmq.broker;

import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchFrame;
import java.nio.ByteBuffer;

/**
 * What one fetch of a partition may hand to the consumer now: the records {@code [from, to)} in
 * {@code frames}, and, if some of them are QoS 0, the offset the group must have committed before
 * they leave the broker ({@code commitFirst}).
 *
 * <p><b>Why QoS 0 commits first.</b> A QoS 0 record counts as consumed the moment it is sent. If
 * the broker sent it and died before its periodic commit, the partition's next owner would start
 * from the older committed offset and deliver it again: a QoS 0 duplicate. Committing past the
 * QoS 0 records before sending them turns that crash into a loss, which at most once allows. The
 * committed offset is the lowest unacknowledged one, so it can pass a QoS 0 record only when every
 * record before it is QoS 0 too or acknowledged: a QoS 0 frame behind an unacknowledged QoS 1
 * record stops the plan there and waits (mixed-QoS partitions trade a little QoS 0 latency for
 * that). Plans of QoS 1 records only commit nothing first: a crash redelivers them (at least once).
 *
 * @param from the first offset to deliver (the partition's fetch offset, or past a retention gap)
 * @param to one past the last offset to deliver
 * @param frames the whole frames holding {@code [from, to)} (they may start before {@code from}
 *     and end after {@code to}: the sink delivers only the range)
 * @param commitFirst the offset to commit before delivering; -1 if no QoS 0 record is included
 */
record DeliveryPlan(long from, long to, ByteBuffer frames, long commitFirst) {

    /** Nothing to deliver now (no room, no records, or QoS 0 records waiting behind unacknowledged ones). */
    static final DeliveryPlan NOTHING = new DeliveryPlan(0, 0, ByteBuffer.allocate(0), -1);

    boolean isEmpty() {
        return to == from;
    }

    /** True if the plan's QoS 0 records need a commit past them before they may be sent. */
    boolean needsCommitBeyond(long committed) {
        return commitFirst > committed;
    }

    /**
     * Plans the delivery of up to {@code capacity} records from {@code buf}, whose frames start at
     * or below {@code fetchOffset}, reading their headers with the caller's {@code frame} cursor.
     * Moves {@code window} past a retention gap at the very start (the records are gone, nothing is
     * delivered for them); changes nothing else.
     */
    static DeliveryPlan of(DeliveryWindow window, long fetchOffset, ByteBuffer buf, int capacity, BatchFrame frame) {
        if (capacity <= 0) {
            return NOTHING;
        }
        long from = fetchOffset;
        long to = from;
        long limit = from + capacity;
        // True while every record before `to` is acknowledged or QoS 0: only then can the
        // committed offset move past a QoS 0 record before it is sent.
        boolean committable = window.inFlight() == 0;
        long commitFirst = -1;
        int end = buf.limit();
        int deliveredEnd = buf.position();
        for (frame.wrap(buf, buf.position()); to < limit && frame.hasHeader(end); frame.next()) {
            long base = frame.baseOffset();
            long frameNext = frame.nextOffset();
            boolean needsAck = frame.atLeastOnce();
            if (frameNext > to) {
                if (base > to) {
                    // Offsets are dense; a gap means records below base are gone (retention raced us).
                    if (to != from) {
                        break;
                    }
                    window.skipTo(base);
                    from = base;
                    to = base;
                    limit = base + capacity;
                    committable = window.inFlight() == 0;
                }
                if (!needsAck && !committable) {
                    break; // a QoS 0 frame behind an unacknowledged record waits for its ack
                }
                if (frameNext > limit && to > from) {
                    // Stop at a frame boundary rather than cut a frame: a cut frame goes out again
                    // whole with the next delivery, and the consumer decodes its first part twice
                    // (client profiles had that skip as the top cost with frames of 2,000+ records).
                    break;
                }
                long take = Math.min(frameNext, limit);
                if (needsAck) {
                    committable = false;
                } else {
                    commitFirst = take;
                }
                to = take;
                deliveredEnd = frame.end();
            }
        }
        if (to == from) {
            return NOTHING;
        }
        ByteBuffer frames = buf.duplicate()
                .limit(deliveredEnd)
                .position(buf.position())
                .slice()
                .order(BatchFormat.ORDER);
        return new DeliveryPlan(from, to, frames, commitFirst);
    }

    /**
     * Marks {@code [from, to)} delivered in {@code window}: QoS 1 records in flight, QoS 0 ones
     * done. Reads the frame headers with the caller's {@code frame} cursor.
     */
    void markDelivered(DeliveryWindow window, long ackDeadlineNanos, BatchFrame frame) {
        int end = frames.limit();
        for (frame.wrap(frames, frames.position()); frame.hasHeader(end); frame.next()) {
            long first = Math.max(frame.baseOffset(), from);
            long last = Math.min(frame.nextOffset(), to);
            if (first < last) {
                window.deliveredRange(first, last, frame.atLeastOnce(), ackDeadlineNanos);
            }
        }
    }
}
