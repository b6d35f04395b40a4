package io.gmq.broker;

import io.gmq.storage.BatchReader;
import java.nio.ByteBuffer;
import java.util.TreeSet;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * Key ordering of one owned partition ({@link io.gmq.Ordering#KEY}): which keys are blocked, by
 * which record, and which of their records wait behind it.
 *
 * <p><b>Rule.</b> A record that fails (nacked, or its ack timeout passed) becomes its key's
 * <em>head</em>. While a key has a head, every other record of that key in the window is
 * {@link DeliveryWindow#HELD}: records already out with the consumer after the head are taken
 * back (the SDK drops them, see {@link KeyOrderGate}), records fetched later are held instead of
 * sent. When the head is acknowledged (or dead-lettered, which acknowledges it), the lowest held
 * record becomes the head and is made due at once; so a key's held records go out one at a time,
 * each after the one before it was acknowledged. A key with no head and no held record is not
 * tracked. Invariant: every held offset of a key is above its head.
 *
 * <p>Keys are 64-bit hashes of the key bytes ({@link KeyOrderGate#keyHash}); two keys with the
 * same hash block each other (more waiting, never another order). Records without a key have
 * {@link KeyOrderGate#NO_KEY} and are never blocked or blocking. QoS 0 records are acknowledged on
 * delivery and never held.
 *
 * <p>Not thread safe: the owning subscription's monitor guards it with the window.
 */
final class KeyOrder {
    /** A blocked key: its head (-1 while none) and its held offsets, ascending. */
    private static final class Blocked {
        long head;
        final TreeSet<Long> held = new TreeSet<>();

        Blocked(long head) {
            this.head = head;
        }
    }

    private final Long2ObjectHashMap<Blocked> blocked = new Long2ObjectHashMap<>();
    private final BatchReader reader = new BatchReader();

    /** No key is blocked: first deliveries need no look at their keys beyond recording them. */
    boolean isEmpty() {
        return blocked.isEmpty();
    }

    /** Forgets every blocked key (the window was emptied: nothing is left to wait for). */
    void clear() {
        blocked.clear();
    }

    /** How many keys are blocked (for tests and metrics). */
    int blockedKeys() {
        return blocked.size();
    }

    /** The head of {@code keyHash}, or -1 if the key is not blocked or has none. */
    long head(long keyHash) {
        Blocked b = blocked.get(keyHash);
        return b == null ? -1 : b.head;
    }

    /**
     * After the first delivery of {@code [from, to)} was recorded in {@code window}: records the
     * key hash of each record from {@code frames}, and holds the records of blocked keys.
     *
     * @return true if any record was held (the caller then sends only the rest)
     */
    boolean delivered(DeliveryWindow window, ByteBuffer frames, long from, long to) {
        boolean any = false;
        reader.wrap(frames);
        while (reader.next()) {
            long o = reader.offset();
            if (o < from) {
                continue;
            }
            if (o >= to) {
                break;
            }
            long h = reader.keyLength() < 0
                    ? KeyOrderGate.NO_KEY
                    : KeyOrderGate.keyHash(reader.buffer(), reader.keyPosition(), reader.keyLength());
            if (!window.contains(o)) {
                continue; // QoS 0 into an empty window: acknowledged, not tracked
            }
            window.keyHash(o, h);
            if (h != KeyOrderGate.NO_KEY && !blocked.isEmpty()) {
                Blocked b = blocked.get(h);
                if (b != null && window.hold(o)) {
                    b.held.add(o);
                    any = true;
                }
            }
        }
        return any;
    }

    /**
     * Record {@code offset} failed (nack or ack timeout). It becomes its key's head and the key's
     * later records out with the consumer or waiting are held; a head above it is held too.
     *
     * @return true if the record is its key's head (or keyless) and waits for its redelivery as
     *     usual; false if it was held instead (it is above its key's head)
     */
    boolean failed(DeliveryWindow window, long offset) {
        long h = window.keyHash(offset);
        if (h == KeyOrderGate.NO_KEY) {
            return true;
        }
        Blocked b = blocked.get(h);
        if (b == null) {
            b = new Blocked(offset);
            blocked.put(h, b);
        } else if (b.head == offset) {
            return true;
        } else if (b.head >= 0 && b.head < offset) {
            if (window.hold(offset)) {
                b.held.add(offset);
            }
            return false;
        } else {
            if (b.head >= 0 && window.hold(b.head)) {
                b.held.add(b.head);
            }
            b.head = offset;
        }
        for (long o = offset + 1; o < window.next(); o++) {
            byte st = window.state(o);
            if ((st == DeliveryWindow.IN_FLIGHT || st == DeliveryWindow.BACKOFF)
                    && window.keyHash(o) == h
                    && window.hold(o)) {
                b.held.add(o);
            }
        }
        return true;
    }

    /**
     * Call before {@code offset} is acknowledged (by the consumer, or after it went to the
     * dead-letter topic) while it still awaits its ack. A held record leaves its key's queue; a
     * head passes the key on to its lowest held record, which is made due at {@code nowNanos}.
     *
     * @return the offset made due (the caller starts its redelivery), or -1
     */
    long acked(DeliveryWindow window, long offset, long nowNanos) {
        if (blocked.isEmpty()) {
            return -1;
        }
        long h = window.keyHash(offset);
        Blocked b = h == KeyOrderGate.NO_KEY ? null : blocked.get(h);
        if (b == null) {
            return -1;
        }
        if (b.head != offset) {
            b.held.remove(offset);
            if (b.head < 0 && b.held.isEmpty()) {
                blocked.remove(h);
            }
            return -1;
        }
        Long next = b.held.pollFirst();
        if (next == null) {
            blocked.remove(h);
            return -1;
        }
        b.head = next;
        window.release(next, nowNanos);
        return next;
    }
}
