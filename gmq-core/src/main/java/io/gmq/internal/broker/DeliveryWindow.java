package io.gmq.internal.broker;

import java.util.function.LongConsumer;

/**
 * The QoS 1 delivery state of one partition for one member: which offsets are out with the
 * consumer, which came back acknowledged, which are due again. The window spans
 * {@code [base, next)}: {@code base} is the lowest unacknowledged offset (the committable
 * position), {@code next} the next offset to deliver for the first time. At most
 * {@code capacity} offsets are in the window, which bounds unacknowledged messages per partition.
 *
 * <p>A ring of primitive arrays indexed by {@code offset % capacity}: no allocation per
 * message, and acknowledging out of order costs O(1) plus the slide of {@code base}.
 *
 * <p>Not thread safe; the owning subscription serialises access.
 */
final class DeliveryWindow {
    static final byte FREE = 0;
    static final byte IN_FLIGHT = 1;
    static final byte ACKED = 2;
    /** Negatively acknowledged, waiting for its backoff to pass. */
    static final byte BACKOFF = 3;

    private final int capacity;
    private final byte[] state;
    private final int[] deliveries;
    private final long[] dueNanos;
    /** A lower bound of the pending deadlines, valid while {@link #hasDue}. */
    private long earliestDueNanos;

    private boolean hasDue;
    private long base;
    private long next;

    DeliveryWindow(int capacity, long startOffset) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.capacity = capacity;
        this.state = new byte[capacity];
        this.deliveries = new int[capacity];
        this.dueNanos = new long[capacity];
        this.base = startOffset;
        this.next = startOffset;
    }

    long base() {
        return base;
    }

    long next() {
        return next;
    }

    int room() {
        return (int) (capacity - (next - base));
    }

    int inFlight() {
        return (int) (next - base);
    }

    private int slot(long offset) {
        return (int) (offset % capacity);
    }

    boolean contains(long offset) {
        return offset >= base && offset < next;
    }

    /**
     * Records the first delivery of {@code offset}, which must be {@link #next()}. A record that
     * needs no acknowledgement (QoS 0) is acknowledged at once.
     */
    void delivered(long offset, boolean needsAck, long ackDeadlineNanos) {
        if (offset != next) {
            throw new IllegalStateException("delivered " + offset + " but the window expects " + next);
        }
        if (room() <= 0) {
            throw new IllegalStateException("window full at " + base + ".." + next);
        }
        int s = slot(offset);
        deliveries[s] = 1;
        dueNanos[s] = ackDeadlineNanos;
        state[s] = needsAck ? IN_FLIGHT : ACKED;
        if (needsAck) {
            noteDue(ackDeadlineNanos);
        }
        next++;
        slide();
    }

    /** Skips offsets that are not there any more (retention) or were never readable. Only when nothing is in flight. */
    void skipTo(long offset) {
        if (offset <= next) {
            return;
        }
        for (long o = base; o < next; o++) {
            state[slot(o)] = FREE;
        }
        base = offset;
        next = offset;
    }

    /** @return true if the offset was in flight (or waiting) and is now acknowledged. */
    boolean ack(long offset) {
        if (!contains(offset)) {
            return false;
        }
        int s = slot(offset);
        if (state[s] != IN_FLIGHT && state[s] != BACKOFF) {
            return false;
        }
        state[s] = ACKED;
        slide();
        return true;
    }

    /** Schedules the offset for redelivery at {@code redeliverAtNanos}. @return false if not in flight. */
    boolean nack(long offset, long redeliverAtNanos) {
        if (!contains(offset)) {
            return false;
        }
        int s = slot(offset);
        if (state[s] != IN_FLIGHT) {
            return false;
        }
        state[s] = BACKOFF;
        dueNanos[s] = redeliverAtNanos;
        noteDue(redeliverAtNanos);
        return true;
    }

    int deliveryCount(long offset) {
        return contains(offset) ? deliveries[slot(offset)] : 0;
    }

    /**
     * Calls {@code due} for every offset whose ack deadline or backoff has passed, lowest first.
     * Costs O(1) until the earliest deadline passes (the redelivery tick runs every few
     * milliseconds over windows of thousands of offsets), then one scan that also finds the next
     * earliest deadline.
     */
    int forEachDue(long nowNanos, LongConsumer due) {
        if (!hasDue || nowNanos - earliestDueNanos < 0) {
            return 0;
        }
        int n = 0;
        boolean found = false;
        long min = 0;
        for (long o = base; o < next; o++) {
            int s = slot(o);
            if (state[s] != IN_FLIGHT && state[s] != BACKOFF) {
                continue;
            }
            if (nowNanos - dueNanos[s] >= 0) {
                due.accept(o);
                n++;
            }
            // The callback may have moved the deadline (postpone); what is pending counts.
            if ((state[s] == IN_FLIGHT || state[s] == BACKOFF) && (!found || dueNanos[s] - min < 0)) {
                min = dueNanos[s];
                found = true;
            }
        }
        hasDue = found;
        earliestDueNanos = min;
        return n;
    }

    /** Keeps {@link #earliestDueNanos} a lower bound of every pending deadline. */
    private void noteDue(long dueAtNanos) {
        if (!hasDue || dueAtNanos - earliestDueNanos < 0) {
            earliestDueNanos = dueAtNanos;
            hasDue = true;
        }
    }

    /** Marks a redelivery of {@code offset}: one more delivery, a new ack deadline. */
    void redelivered(long offset, long ackDeadlineNanos) {
        int s = slot(offset);
        deliveries[s]++;
        state[s] = IN_FLIGHT;
        dueNanos[s] = ackDeadlineNanos;
        noteDue(ackDeadlineNanos);
    }

    /** Removes an offset from the due set until its deadline moves (used while a redelivery read is under way). */
    void postpone(long offset, long untilNanos) {
        if (contains(offset)) {
            dueNanos[slot(offset)] = untilNanos;
            noteDue(untilNanos);
        }
    }

    private void slide() {
        while (base < next && state[slot(base)] == ACKED) {
            state[slot(base)] = FREE;
            base++;
        }
    }
}
