package io.gmq.broker;

import java.util.function.LongConsumer;

/**
 * The QoS 1 delivery state of one partition for one member: which offsets are out with the
 * consumer, which came back acknowledged, which are due again. The window spans
 * {@code [base, next)}: {@code base} is the lowest unacknowledged offset (the committable
 * position), {@code next} the next offset to deliver for the first time. At most
 * {@code capacity} offsets are in the window, which bounds unacknowledged messages per partition.
 *
 * <p>A ring of primitive arrays indexed by {@code offset & mask}. The ring starts small and
 * doubles when more offsets are in flight than it holds, up to {@code capacity} rounded up to a
 * power of two (13 bytes per slot: a member owning many quiet partitions must not pay for a
 * large window on each of them). Only {@code capacity} slots are ever in use. No allocation per
 * message, acknowledging out of order costs O(1) plus the slide of {@code base}, and a whole
 * delivered or acknowledged range is a few array fills ({@link #deliveredRange},
 * {@link #ackRange}): consumers deliver and acknowledge in runs, and per-offset calls were a
 * visible share of the broker's CPU per record.
 *
 * <p>Not thread safe; the owning subscription serialises access.
 */
final class DeliveryWindow {
    static final byte FREE = 0;
    static final byte IN_FLIGHT = 1;
    static final byte ACKED = 2;
    /** Negatively acknowledged, waiting for its backoff to pass. */
    static final byte BACKOFF = 3;
    /**
     * Held back behind a failed record of its key (key ordering, {@link KeyOrder}): not out with
     * the consumer, never due by itself; {@link #release} makes it due.
     */
    static final byte HELD = 4;

    private final int capacity;
    /** Smallest ring; a window that never holds more stays this size. */
    static final int INITIAL_RING = 256;

    private int mask;
    private byte[] state;
    private int[] deliveries;
    private long[] dueNanos;
    /** Key hash per slot ({@link KeyOrder#hash}); null unless the window orders by key. */
    private long[] keyHashes;
    /** A lower bound of the pending deadlines, valid while {@link #hasDue}. */
    private long earliestDueNanos;

    private boolean hasDue;
    private long base;
    private long next;

    DeliveryWindow(int capacity, long startOffset) {
        this(capacity, startOffset, false);
    }

    /** A window that also keeps each record's key hash ({@code keyed}), for key ordering. */
    DeliveryWindow(int capacity, long startOffset, boolean keyed) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        if (capacity > 1 << 30) {
            throw new IllegalArgumentException("capacity must be at most 2^30");
        }
        this.capacity = capacity;
        int ring = Math.min(INITIAL_RING, ringFor(capacity));
        this.mask = ring - 1;
        this.state = new byte[ring];
        this.deliveries = new int[ring];
        this.dueNanos = new long[ring];
        this.keyHashes = keyed ? new long[ring] : null;
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

    /** The smallest power of two at or above {@code n}. */
    private static int ringFor(int n) {
        return Integer.highestOneBit(n) == n ? n : Integer.highestOneBit(n) << 1;
    }

    /** Makes the ring hold {@code inFlight} offsets, doubling it and moving {@code [base, next)} over. */
    private void ensureRing(long inFlight) {
        if (inFlight <= mask + 1) {
            return;
        }
        int ring = ringFor((int) inFlight);
        byte[] newState = new byte[ring];
        int[] newDeliveries = new int[ring];
        long[] newDue = new long[ring];
        long[] newKeys = keyHashes == null ? null : new long[ring];
        int newMask = ring - 1;
        for (long o = base; o < next; o++) {
            int from = slot(o);
            int to = (int) (o & newMask);
            newState[to] = state[from];
            newDeliveries[to] = deliveries[from];
            newDue[to] = dueNanos[from];
            if (newKeys != null) {
                newKeys[to] = keyHashes[from];
            }
        }
        keyHashes = newKeys;
        state = newState;
        deliveries = newDeliveries;
        dueNanos = newDue;
        mask = newMask;
    }

    /** Ring slots allocated now (for tests). */
    int ringSize() {
        return mask + 1;
    }

    private int slot(long offset) {
        return (int) (offset & mask);
    }

    boolean contains(long offset) {
        return offset >= base && offset < next;
    }

    /**
     * Records the first delivery of {@code [from, to)}; {@code from} must be {@link #next()} and
     * the range must fit in {@link #room()}. Records that need no acknowledgement (QoS 0) are
     * acknowledged at once.
     */
    void deliveredRange(long from, long to, boolean needsAck, long ackDeadlineNanos) {
        if (from != next) {
            throw new IllegalStateException("delivered " + from + " but the window expects " + next);
        }
        if (to - from > room()) {
            throw new IllegalStateException("window of " + capacity + " cannot take " + from + ".." + to + " with "
                    + base + ".." + next + " in flight");
        }
        if (to <= from) {
            return;
        }
        if (!needsAck && base == next) {
            base = to; // QoS 0 into an empty window: acknowledged on delivery, nothing to track
            next = to;
            return;
        }
        ensureRing(to - base);
        // At most two runs of slots: up to the ring's end, then from its start.
        long o = from;
        while (o < to) {
            int s = slot(o);
            int n = (int) Math.min(to - o, mask + 1 - s);
            java.util.Arrays.fill(deliveries, s, s + n, 1);
            java.util.Arrays.fill(dueNanos, s, s + n, ackDeadlineNanos);
            java.util.Arrays.fill(state, s, s + n, needsAck ? IN_FLIGHT : ACKED);
            o += n;
        }
        if (needsAck) {
            noteDue(ackDeadlineNanos);
        }
        next = to;
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
        if (state[s] != IN_FLIGHT && state[s] != BACKOFF && state[s] != HELD) {
            return false;
        }
        state[s] = ACKED;
        slide();
        return true;
    }

    /**
     * Acknowledges every offset of {@code [from, to)} that is in flight or waiting; the rest of the
     * range (never delivered, already acknowledged, outside the window) is ignored, as by
     * {@link #ack}. @return how many offsets were newly acknowledged.
     */
    int ackRange(long from, long to) {
        long lo = Math.max(from, base);
        long hi = Math.min(to, next);
        int n = 0;
        for (long o = lo; o < hi; o++) {
            int s = slot(o);
            byte st = state[s];
            if (st == IN_FLIGHT || st == BACKOFF || st == HELD) {
                state[s] = ACKED;
                n++;
            }
        }
        if (n > 0) {
            slide();
        }
        return n;
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

    /** True if {@code offset} is out with the consumer, waiting for its backoff or held back behind its key. */
    boolean awaitingAck(long offset) {
        if (!contains(offset)) {
            return false;
        }
        byte st = state[slot(offset)];
        return st == IN_FLIGHT || st == BACKOFF || st == HELD;
    }

    /** True if {@code offset} is out with the consumer or waiting for its backoff: a due read may redeliver it. */
    boolean redeliverable(long offset) {
        if (!contains(offset)) {
            return false;
        }
        byte st = state[slot(offset)];
        return st == IN_FLIGHT || st == BACKOFF;
    }

    /** The state of {@code offset} ({@link #FREE} outside the window). */
    byte state(long offset) {
        return contains(offset) ? state[slot(offset)] : FREE;
    }

    /** Records the key hash of a delivered offset (keyed windows only). */
    void keyHash(long offset, long hash) {
        keyHashes[slot(offset)] = hash;
    }

    /** The key hash recorded for {@code offset} (keyed windows only, offset in the window). */
    long keyHash(long offset) {
        return keyHashes[slot(offset)];
    }

    /**
     * Holds an offset that is out with the consumer or waiting for its backoff back behind its
     * key ({@link #HELD}). A first delivery the consumer will not handle ({@code IN_FLIGHT}) does
     * not count as a delivery: its count goes back by one, so holding never brings a record
     * closer to the dead-letter topic. @return false if the offset is in neither state.
     */
    boolean hold(long offset) {
        if (!contains(offset)) {
            return false;
        }
        int s = slot(offset);
        if (state[s] == IN_FLIGHT) {
            deliveries[s] = Math.max(0, deliveries[s] - 1);
        } else if (state[s] != BACKOFF) {
            return false;
        }
        state[s] = HELD;
        return true;
    }

    /** Makes a held offset due at {@code dueAtNanos} (it waits like a nacked one). @return false if it was not held. */
    boolean release(long offset, long dueAtNanos) {
        if (!contains(offset) || state[slot(offset)] != HELD) {
            return false;
        }
        int s = slot(offset);
        state[s] = BACKOFF;
        dueNanos[s] = dueAtNanos;
        noteDue(dueAtNanos);
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
