package io.gmq.internal.log;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.TopicPartition;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * The deduplication state of one partition: per idempotent producer, its epoch and the sequences
 * and offsets of its last {@link #WINDOW} batches (Kafka's producer state). A pure state machine
 * with time passed in; the log's writer thread owns it (recovery builds it before the writer
 * starts).
 *
 * <p>{@link #check} decides a batch: append it, answer a duplicate with the offsets the batch got
 * the first time, or refuse it (nothing changes). {@link #record} is the only way the state
 * changes, and it is fed exactly the producer fields and offsets of the frames in the log, so
 * replaying the log (with each frame's stored append time) rebuilds the same state: restart =
 * replay, and replicas that apply the same frames hold the same state.
 *
 * <p>Rules for a batch (producer P, epoch E, sequences S..S+n-1) at time {@code now}:
 * <ul>
 *   <li>P unknown, or idle longer than the expiration (its last batch's append time is older than
 *       {@code now - expiration}): appended, whatever S (nothing to compare with);
 *   <li>E older than P's epoch here: refused, fenced by a newer session of the producer;
 *   <li>E newer: appended if S is 0 (a new epoch starts its sequences again), else refused;
 *   <li>same E, S the base of a remembered batch with the same last sequence: a duplicate;
 *   <li>same E, S one past P's last sequence: appended;
 *   <li>same E, otherwise: refused (a gap, or a batch older than the window).
 * </ul>
 *
 * Expiry is a function of the times alone, so an idle producer is forgotten the same way live, after
 * a restart and on every replica; {@link #record} also drops expired producers from memory now and
 * then, which changes no decision.
 *
 * <p>A run of batches written together can be undone if the write fails ({@link #beginRun},
 * {@link #rollbackRun}): the state then is as before the run. Not thread-safe.
 */
final class ProducerStates {
    /** Batches remembered per producer and partition, as Kafka does. */
    static final int WINDOW = 5;

    /** {@link #check}'s answer for a batch to append. */
    static final long APPEND = -1;

    private final TopicPartition tp;
    private final long expirationMillis;
    private final Long2ObjectHashMap<Producer> producers = new Long2ObjectHashMap<>();
    /** The state of each producer a run changed, before the run ({@link #ABSENT}: it was absent). */
    private final Long2ObjectHashMap<Producer> undo = new Long2ObjectHashMap<>();

    private static final Producer ABSENT = new Producer();

    private boolean inRun;
    private long lastSweepMillis = Long.MIN_VALUE;

    ProducerStates(TopicPartition tp, long expirationMillis) {
        this.tp = tp;
        this.expirationMillis = expirationMillis;
    }

    /**
     * Decides a batch at {@code nowMillis}: {@link #APPEND}, or the base offset the same batch got
     * when it was first appended (a duplicate: append nothing).
     *
     * @throws GmqException FAILED_PRECONDITION for a stale epoch, a new epoch not at sequence 0, a
     *     sequence gap or a sequence older than the window; nothing changes
     */
    long check(long producerId, int epoch, int baseSequence, int count, long nowMillis) {
        Producer p = live(producerId, nowMillis);
        if (p == null) {
            return APPEND;
        }
        if (epoch < p.epoch) {
            throw refused("producer " + producerId + " epoch " + epoch + " is fenced: epoch " + p.epoch
                    + " of the same producer has published here since; nothing was appended."
                    + " A producer never resends after starting a new epoch");
        }
        if (epoch > p.epoch) {
            if (baseSequence != 0) {
                throw refused("producer " + producerId + " starts epoch " + epoch + " at sequence " + baseSequence
                        + "; a new epoch starts at sequence 0. Nothing was appended");
            }
            return APPEND;
        }
        int lastSequence = baseSequence + count - 1;
        for (int i = 0; i < p.size; i++) {
            if (p.baseSequences[i] == baseSequence) {
                if (p.lastSequences[i] != lastSequence) {
                    throw refused("producer " + producerId + " epoch " + epoch + " sent sequences " + baseSequence
                            + ".." + lastSequence + ", but sequences " + baseSequence + ".."
                            + p.lastSequences[i] + " were stored as one batch; nothing was appended."
                            + " Resend a batch exactly as first sent");
                }
                return p.baseOffsets[i];
            }
        }
        int expected = p.lastSequence() + 1;
        if (baseSequence == expected) {
            return APPEND;
        }
        if (baseSequence < expected) {
            throw refused("producer " + producerId + " epoch " + epoch + " sent sequence " + baseSequence
                    + ", older than the last " + WINDOW + " batches remembered (next expected " + expected
                    + ") and not one of them; nothing was appended");
        }
        throw refused("producer " + producerId + " epoch " + epoch + " sent sequence " + baseSequence
                + " but the next expected is " + expected + ": an earlier batch is missing; nothing was appended."
                + " Resend the missing batches first, or start a new epoch at sequence 0");
    }

    /** The batch at {@code baseOffset} is in the log (appended now, or replayed from the log). */
    void record(long producerId, int epoch, int baseSequence, int count, long baseOffset, long appendMillis) {
        Producer p = producers.get(producerId);
        if (inRun && !undo.containsKey(producerId)) {
            undo.put(producerId, p == null ? ABSENT : p.copy());
        }
        if (p == null) {
            p = new Producer();
            producers.put(producerId, p);
            p.epoch = epoch;
        } else if (expired(p, appendMillis) || p.epoch != epoch) {
            p.size = 0;
            p.next = 0;
            p.epoch = epoch;
        }
        p.add(baseSequence, baseSequence + count - 1, baseOffset);
        p.lastAppendMillis = appendMillis;
        maybeSweep(appendMillis);
    }

    /** Starts a run of {@link #record}s that {@link #rollbackRun} can undo. */
    void beginRun() {
        inRun = true;
        undo.clear();
    }

    /** The run's batches are written: keep them. */
    void commitRun() {
        inRun = false;
        undo.clear();
    }

    /** The run's write failed: back to the state before {@link #beginRun}. */
    void rollbackRun() {
        undo.forEachLong((id, before) -> {
            if (before == ABSENT) {
                producers.remove(id);
            } else {
                producers.put(id, before);
            }
        });
        inRun = false;
        undo.clear();
    }

    /**
     * The state as it decides at {@code nowMillis}, for tests and comparisons: producer id -> its
     * epoch, last append time and remembered batches (oldest first), expired producers left out.
     */
    SortedMap<Long, View> view(long nowMillis) {
        SortedMap<Long, View> view = new TreeMap<>();
        producers.forEachLong((id, p) -> {
            if (!expired(p, nowMillis)) {
                List<Batch> batches = new ArrayList<>(p.size);
                for (int k = 0; k < p.size; k++) {
                    int i = (p.next - p.size + k + WINDOW) % WINDOW;
                    batches.add(new Batch(p.baseSequences[i], p.lastSequences[i], p.baseOffsets[i]));
                }
                view.put(id, new View(p.epoch, p.lastAppendMillis, Collections.unmodifiableList(batches)));
            }
        });
        return view;
    }

    /** Producers held in memory, expired ones not yet dropped included. */
    int size() {
        return producers.size();
    }

    /** One producer's state in {@link #view}. */
    record View(int epoch, long lastAppendMillis, List<Batch> batches) {}

    /** One remembered batch. */
    record Batch(int baseSequence, int lastSequence, long baseOffset) {}

    private Producer live(long producerId, long nowMillis) {
        Producer p = producers.get(producerId);
        return p == null || expired(p, nowMillis) ? null : p;
    }

    private boolean expired(Producer p, long nowMillis) {
        return nowMillis - p.lastAppendMillis > expirationMillis;
    }

    /** Drops expired producers, at most once per expiration period; they decide nothing any more. */
    private void maybeSweep(long nowMillis) {
        if (lastSweepMillis != Long.MIN_VALUE && nowMillis - lastSweepMillis < expirationMillis) {
            return;
        }
        lastSweepMillis = nowMillis;
        if (inRun) {
            return; // an undo could bring a dropped producer back; the next sweep drops it
        }
        producers.values().removeIf(p -> expired(p, nowMillis));
    }

    private GmqException refused(String why) {
        return new GmqException(ErrorCode.FAILED_PRECONDITION, tp + ": " + why);
    }

    /** A producer's epoch and ring of its last batches. */
    private static final class Producer {
        int epoch;
        long lastAppendMillis;
        final int[] baseSequences = new int[WINDOW];
        final int[] lastSequences = new int[WINDOW];
        final long[] baseOffsets = new long[WINDOW];
        int size;
        /** Where the next batch goes in the ring. */
        int next;

        void add(int baseSequence, int lastSequence, long baseOffset) {
            baseSequences[next] = baseSequence;
            lastSequences[next] = lastSequence;
            baseOffsets[next] = baseOffset;
            next = (next + 1) % WINDOW;
            size = Math.min(size + 1, WINDOW);
        }

        int lastSequence() {
            return lastSequences[(next - 1 + WINDOW) % WINDOW];
        }

        Producer copy() {
            Producer c = new Producer();
            c.epoch = epoch;
            c.lastAppendMillis = lastAppendMillis;
            System.arraycopy(baseSequences, 0, c.baseSequences, 0, WINDOW);
            System.arraycopy(lastSequences, 0, c.lastSequences, 0, WINDOW);
            System.arraycopy(baseOffsets, 0, c.baseOffsets, 0, WINDOW);
            c.size = size;
            c.next = next;
            return c;
        }
    }
}
