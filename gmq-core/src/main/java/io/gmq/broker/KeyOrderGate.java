package io.gmq.broker;

import io.gmq.QoS;
import io.gmq.TopicPartition;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.agrona.collections.LongHashSet;

/**
 * The consumer side of key ordering ({@link io.gmq.Ordering#KEY}): decides, for each record a
 * consumer's dispatcher receives, whether a handler may have it now, must wait, or must be
 * dropped. Used by the embedded and the network consumer alike.
 *
 * <p><b>Rules</b>, per partition and key (records without a key, and QoS 0 records, pass straight
 * through):
 * <ul>
 *   <li>A key's next record goes to a handler only after its previous one was settled (acked or
 *       nacked). With automatic acks the handler settles on return, so this costs nothing; with
 *       manual acks a record waits in the gate until the one before it is settled.
 *   <li>When a record is nacked, every record of its key waiting in the gate is dropped, and so is
 *       every later record of that key that arrives, until the nacked record arrives again: the
 *       broker took them back ({@link KeyOrder}) and sends them again after it. A nack of a
 *       record's last attempt ({@link DeliveredRecord#finalAttempt}) blocks nothing: the broker
 *       dead-letters it, which settles it as an ack would, and never sends it again.
 *   <li>A record that arrives again while its earlier copy is still with a handler (its ack
 *       timeout passed) replaces it: it is handed at once, and the key moves on when either copy
 *       is settled. An ack of the other copy after a nack lifts the nack's block (the broker took
 *       the ack and will not send the record again).
 * </ul>
 * A copy of a record this consumer already acknowledged (one of its last {@link #RECENT_ACKS} acks
 * in the partition) is dropped too: the broker has its ack.
 * A dropped record is neither acked nor nacked; it still returns its flow-control credit.
 *
 * <p>Not thread safe: the owner serialises calls (the embedded consumer and the network client
 * call it under a lock of their own, since settles come from any thread with manual acks).
 */
public final class KeyOrderGate<R extends DeliveredRecord> {
    /** The hash of "no key": such records never wait and never block. */
    public static final long NO_KEY = 0;

    /** What the gate decided for an arriving record. */
    public enum Admission {
        /** Hand it to a handler now. */
        HANDLE,
        /** It waits in the gate; {@link #settled} returns it when its turn comes. */
        WAIT,
        /** Drop it: the broker delivers it again after an earlier record of its key. */
        DROP
    }

    private static final class KeyState<R> {
        /** The record with a handler and not settled, or null. */
        R inHandler;
        /** Offset of the nacked record the key waits for (later ones are dropped), or -1. */
        long blockedAfter = -1;

        final ArrayDeque<R> waiting = new ArrayDeque<>(2);

        boolean idle() {
            return inHandler == null && blockedAfter < 0 && waiting.isEmpty();
        }
    }

    /** How many acknowledged offsets per partition the gate remembers to recognise their duplicates. */
    static final int RECENT_ACKS = 1024;

    /** The gate's state of one partition: its keys, and the offsets this consumer acknowledged lately. */
    private static final class PartitionState<R> {
        final Map<Long, KeyState<R>> keys = new HashMap<>();
        final LongHashSet recentAcks = new LongHashSet();
        final long[] ackRing = new long[RECENT_ACKS];
        int ackCount;

        void acked(long offset) {
            if (!recentAcks.add(offset)) {
                return;
            }
            int slot = ackCount++ % RECENT_ACKS;
            if (ackCount > RECENT_ACKS) {
                recentAcks.remove(ackRing[slot]);
            }
            ackRing[slot] = offset;
        }
    }

    /** Per partition. */
    private final Map<TopicPartition, PartitionState<R>> partitions = new HashMap<>();

    /**
     * A 64-bit hash of the key bytes {@code [pos, pos + len)} of {@code buf} (absolute reads),
     * never {@link #NO_KEY}. FNV-1a, then a finalising mix.
     */
    public static long keyHash(ByteBuffer buf, int pos, int len) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < len; i++) {
            h ^= buf.get(pos + i) & 0xff;
            h *= 0x100000001b3L;
        }
        h ^= len;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return h == NO_KEY ? 1 : h;
    }

    /** Decides what happens to {@code r}, which just arrived. */
    public Admission admit(R r) {
        long h = r.keyHash();
        if (h == NO_KEY || r.qos() != QoS.AT_LEAST_ONCE) {
            return Admission.HANDLE; // keyless, or QoS 0 (never settled, never redelivered)
        }
        PartitionState<R> partition = partitions.computeIfAbsent(r.topicPartition(), p -> new PartitionState<>());
        if (partition.recentAcks.contains(r.offset())) {
            // A copy of a record this consumer acknowledged (sent again after an ack timeout): the
            // broker has the ack; handing it again could only let a nack of it block its key.
            return Admission.DROP;
        }
        Map<Long, KeyState<R>> keys = partition.keys;
        KeyState<R> k = keys.get(h);
        if (k == null) {
            k = new KeyState<>();
            k.inHandler = r;
            keys.put(h, k);
            return Admission.HANDLE;
        }
        if (k.blockedAfter >= 0) {
            if (r.offset() > k.blockedAfter) {
                return Admission.DROP;
            }
            k.blockedAfter = -1; // the nacked record (or an earlier one) is back
        }
        if (k.inHandler != null && k.inHandler.offset() == r.offset()) {
            k.inHandler = r; // redelivered after its ack timeout: the new copy replaces the old
            return Admission.HANDLE;
        }
        if (k.inHandler != null) {
            k.waiting.addLast(r); // manual acks: its turn comes when the record in hand is settled
            return Admission.WAIT;
        }
        k.inHandler = r;
        return Admission.HANDLE;
    }

    /**
     * {@code r} was acked ({@code ack}) or nacked. Returns the record of its key to hand to a
     * handler next, or null. On a nack the key's waiting records are dropped: {@code dropped}
     * receives each (to return its credit).
     */
    public R settled(R r, boolean ack, java.util.function.Consumer<R> dropped) {
        long h = r.keyHash();
        if (h == NO_KEY || r.qos() != QoS.AT_LEAST_ONCE) {
            return null;
        }
        PartitionState<R> partition = partitions.get(r.topicPartition());
        if (partition == null) {
            return null; // a record of a revoked partition
        }
        if (ack) {
            partition.acked(r.offset());
        }
        Map<Long, KeyState<R>> keys = partition.keys;
        KeyState<R> k = keys.get(h);
        if (k == null) {
            return null; // a record of a revoked partition
        }
        if ((ack || r.finalAttempt()) && k.blockedAfter == r.offset()) {
            // The nacked record was acknowledged after all (another copy of it, after an ack
            // timeout): the broker will not send it again, nor hold its key for it.
            k.blockedAfter = -1;
        }
        if (k.inHandler == null || k.inHandler.offset() != r.offset()) {
            if (k.idle()) {
                keys.remove(h);
            }
            return null; // an old copy
        }
        k.inHandler = null;
        if (!ack && !r.finalAttempt()) {
            for (R w : k.waiting) {
                if (w.offset() > r.offset()) {
                    dropped.accept(w);
                }
            }
            k.waiting.removeIf(w -> w.offset() > r.offset());
            k.blockedAfter = r.offset();
        }
        R next = k.waiting.pollFirst();
        if (next != null) {
            k.inHandler = next;
            return next;
        }
        if (k.idle()) {
            keys.remove(h);
        }
        return null;
    }

    /** Forgets a partition (revoked, or its member is gone): its waiting records are dropped. */
    public void forget(TopicPartition partition, java.util.function.Consumer<R> dropped) {
        PartitionState<R> state = partitions.remove(partition);
        if (state != null) {
            for (KeyState<R> k : state.keys.values()) {
                k.waiting.forEach(dropped);
            }
        }
    }

    /** Forgets every partition. */
    public void clear(java.util.function.Consumer<R> dropped) {
        for (TopicPartition p : java.util.List.copyOf(partitions.keySet())) {
            forget(p, dropped);
        }
    }

    /** Records waiting in the gate (for tests). */
    public int waiting() {
        int n = 0;
        for (PartitionState<R> state : partitions.values()) {
            for (KeyState<R> k : state.keys.values()) {
                n += k.waiting.size();
            }
        }
        return n;
    }
}
