package io.gmq.internal.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.TopicPartition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * The deduplication state machine ({@link ProducerStates}) against a simple model that keeps every
 * batch ever appended. Named invariants, each checked after every step of random histories of
 * several producers, epochs, duplicates, gaps, stale epochs and idle periods:
 * <ul>
 *   <li>in-order: the batch that follows the producer's last one in its epoch is appended;
 *   <li>duplicate: a resend of one of the last {@link ProducerStates#WINDOW} batches is answered
 *       with the offsets it got first, and nothing is appended;
 *   <li>gap / old: any other sequence of the current epoch is refused and changes nothing;
 *   <li>fencing: an older epoch is refused; a newer one is accepted only at sequence 0;
 *   <li>expiry: a producer idle longer than the expiration is unknown (anything is appended);
 *   <li>rebuild: replaying the appended batches into a fresh state gives the live state;
 *   <li>rollback: a run undone leaves the state as before it.
 * </ul>
 */
class ProducerStatesPropertiesTest {
    private static final TopicPartition TP = new TopicPartition("t", 0);
    private static final long EXPIRATION = 1_000;

    /** One step of a history: a batch, or time passing. */
    record Step(long producer, int epochDelta, int sequenceChoice, int count, long advanceMillis) {}

    @Provide
    Arbitrary<List<Step>> histories() {
        Arbitrary<Step> step = Combinators.combine(
                        Arbitraries.longs().between(1, 3),
                        Arbitraries.integers()
                                .between(-1, 1)
                                .withDistribution(net.jqwik.api.RandomDistribution.gaussian()),
                        Arbitraries.integers().between(0, 9),
                        Arbitraries.integers().between(1, 4),
                        Arbitraries.frequencyOf(
                                net.jqwik.api.Tuple.of(8, Arbitraries.longs().between(0, 50)),
                                net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(900, 1_500))))
                .as(Step::new);
        return step.list().ofMinSize(1).ofMaxSize(80);
    }

    @Property(tries = 300)
    void liveStateFollowsTheModelAndReplayRebuildsIt(@ForAll("histories") List<Step> history) {
        ProducerStates live = new ProducerStates(TP, EXPIRATION);
        Model model = new Model();
        List<long[]> appended = new ArrayList<>(); // producer, epoch, base sequence, count, offset, time
        long now = 0;
        long nextOffset = 0;
        for (Step s : history) {
            now += s.advanceMillis();
            Model.ProducerModel p = model.live(s.producer(), now);
            int epoch = Math.max(0, (p == null ? 0 : p.epoch) + s.epochDelta());
            int base = model.chooseSequence(p, epoch, s.sequenceChoice());
            long expected = model.decide(s.producer(), epoch, base, s.count(), now);
            long actual;
            try {
                actual = live.check(s.producer(), epoch, base, s.count(), now);
            } catch (GmqException e) {
                assertEquals(ErrorCode.FAILED_PRECONDITION, e.code(), e.getMessage());
                actual = Model.REFUSED;
            }
            assertEquals(expected, actual, () -> "decision for " + s + " with model " + model.producers);
            if (actual == ProducerStates.APPEND) {
                live.record(s.producer(), epoch, base, s.count(), nextOffset, now);
                model.append(s.producer(), epoch, base, s.count(), nextOffset, now);
                appended.add(new long[] {s.producer(), epoch, base, s.count(), nextOffset, now});
                nextOffset += s.count();
            }
            assertEquals(model.view(now), live.view(now), "live state equals the model after " + s);
        }
        ProducerStates rebuilt = new ProducerStates(TP, EXPIRATION);
        for (long[] a : appended) {
            rebuilt.record(a[0], (int) a[1], (int) a[2], (int) a[3], a[4], a[5]);
        }
        assertEquals(live.view(now), rebuilt.view(now), "replaying the log rebuilds the live state");
        assertEquals(live.view(now + EXPIRATION / 2), rebuilt.view(now + EXPIRATION / 2));
    }

    @Property(tries = 200)
    void aRolledBackRunLeavesTheStateAsBefore(
            @ForAll("histories") List<Step> before, @ForAll("histories") List<Step> run) {
        ProducerStates states = new ProducerStates(TP, EXPIRATION);
        long[] clock = {0, 0}; // now, next offset
        applyAll(states, before, clock, false);
        SortedMap<Long, ProducerStates.View> expected = states.view(clock[0]);
        long at = clock[0];
        states.beginRun();
        applyAll(states, run, clock, true);
        states.rollbackRun();
        assertEquals(expected, states.view(at));
    }

    private static void applyAll(ProducerStates states, List<Step> steps, long[] clock, boolean sameTime) {
        Map<Long, int[]> next = new HashMap<>();
        for (Step s : steps) {
            if (!sameTime) {
                clock[0] += s.advanceMillis();
            }
            int[] n = next.computeIfAbsent(s.producer(), k -> new int[] {0, 0});
            try {
                if (states.check(s.producer(), n[0], n[1], s.count(), clock[0]) == ProducerStates.APPEND) {
                    states.record(s.producer(), n[0], n[1], s.count(), clock[1], clock[0]);
                    clock[1] += s.count();
                    n[1] += s.count();
                }
            } catch (GmqException refused) {
                n[0]++; // as a client does: a new epoch at 0
                n[1] = 0;
            }
        }
    }

    // ---- examples, one rule each -------------------------------------------------------------

    @Test
    void aResendOfARememberedBatchGetsItsOriginalOffsetsAndAppendsNothing() {
        ProducerStates s = new ProducerStates(TP, EXPIRATION);
        s.record(7, 0, 0, 3, 100, 0);
        s.record(7, 0, 3, 2, 200, 0);
        assertEquals(100, s.check(7, 0, 0, 3, 10));
        assertEquals(200, s.check(7, 0, 3, 2, 10));
        assertEquals(ProducerStates.APPEND, s.check(7, 0, 5, 1, 10));
    }

    @Test
    void aSequenceGapIsRefusedAndChangesNothing() {
        ProducerStates s = new ProducerStates(TP, EXPIRATION);
        s.record(7, 0, 0, 3, 100, 0);
        SortedMap<Long, ProducerStates.View> before = s.view(10);
        GmqException e = assertThrows(GmqException.class, () -> s.check(7, 0, 4, 1, 10));
        assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
        assertEquals(true, e.getMessage().contains("next expected is 3"), e.getMessage());
        assertEquals(before, s.view(10));
    }

    @Test
    void anOlderEpochIsFencedAndANewerOneMustStartAtZero() {
        ProducerStates s = new ProducerStates(TP, EXPIRATION);
        s.record(7, 2, 0, 3, 100, 0);
        assertThrows(GmqException.class, () -> s.check(7, 1, 3, 1, 10));
        assertThrows(GmqException.class, () -> s.check(7, 3, 5, 1, 10));
        assertEquals(ProducerStates.APPEND, s.check(7, 3, 0, 1, 10));
    }

    @Test
    void aBatchOlderThanTheWindowIsRefused() {
        ProducerStates s = new ProducerStates(TP, EXPIRATION);
        for (int i = 0; i <= ProducerStates.WINDOW; i++) {
            s.record(7, 0, i, 1, 100 + i, 0);
        }
        assertThrows(GmqException.class, () -> s.check(7, 0, 0, 1, 10));
        assertEquals(101, s.check(7, 0, 1, 1, 10));
    }

    @Test
    void anIdleProducerIsForgottenAfterTheExpiration() {
        ProducerStates s = new ProducerStates(TP, EXPIRATION);
        s.record(7, 0, 0, 3, 100, 0);
        assertEquals(100, s.check(7, 0, 0, 3, EXPIRATION));
        assertEquals(ProducerStates.APPEND, s.check(7, 0, 0, 3, EXPIRATION + 1));
        s.record(8, 0, 0, 1, 200, 3 * EXPIRATION);
        assertEquals(1, s.size(), "the expired producer was dropped from memory");
    }

    /** Every batch ever appended per producer and epoch; the window is the last WINDOW of them. */
    static final class Model {
        static final long REFUSED = -2;

        static final class ProducerModel {
            int epoch;
            long lastAppendMillis;
            final List<ProducerStates.Batch> batches = new ArrayList<>();

            @Override
            public String toString() {
                return "epoch " + epoch + " at " + lastAppendMillis + " " + batches;
            }
        }

        final Map<Long, ProducerModel> producers = new TreeMap<>();

        ProducerModel live(long producer, long now) {
            ProducerModel p = producers.get(producer);
            return p == null || now - p.lastAppendMillis > EXPIRATION ? null : p;
        }

        /** A sequence that exercises every rule: the next one, a duplicate, a gap, an old one, 0. */
        int chooseSequence(ProducerModel p, int epoch, int choice) {
            if (p == null || epoch != p.epoch || p.batches.isEmpty()) {
                return choice < 7 ? 0 : choice;
            }
            List<ProducerStates.Batch> b = p.batches;
            int next = b.get(b.size() - 1).lastSequence() + 1;
            return switch (choice) {
                case 0, 1, 2, 3 -> next;
                case 4, 5 ->
                    b.get(b.size() - 1 - Math.min(b.size() - 1, choice - 4)).baseSequence();
                case 6 -> b.get(0).baseSequence(); // maybe older than the window
                case 7 -> next + 1;
                default -> Math.max(0, next - 1);
            };
        }

        long decide(long producer, int epoch, int base, int count, long now) {
            ProducerModel p = live(producer, now);
            if (p == null) {
                return ProducerStates.APPEND;
            }
            if (epoch < p.epoch) {
                return REFUSED;
            }
            if (epoch > p.epoch) {
                return base == 0 ? ProducerStates.APPEND : REFUSED;
            }
            List<ProducerStates.Batch> window = window(p);
            for (ProducerStates.Batch b : window) {
                if (b.baseSequence() == base) {
                    return b.lastSequence() == base + count - 1 ? b.baseOffset() : REFUSED;
                }
            }
            int next = p.batches.get(p.batches.size() - 1).lastSequence() + 1;
            return base == next ? ProducerStates.APPEND : REFUSED;
        }

        void append(long producer, int epoch, int base, int count, long offset, long now) {
            ProducerModel p = live(producer, now);
            if (p == null || p.epoch != epoch) {
                p = new ProducerModel();
                p.epoch = epoch;
                producers.put(producer, p);
            }
            p.batches.add(new ProducerStates.Batch(base, base + count - 1, offset));
            p.lastAppendMillis = now;
        }

        SortedMap<Long, ProducerStates.View> view(long now) {
            SortedMap<Long, ProducerStates.View> view = new TreeMap<>();
            producers.forEach((id, p) -> {
                if (live(id, now) != null) {
                    view.put(id, new ProducerStates.View(p.epoch, p.lastAppendMillis, window(p)));
                }
            });
            return view;
        }

        private static List<ProducerStates.Batch> window(ProducerModel p) {
            List<ProducerStates.Batch> b = p.batches;
            return List.copyOf(b.subList(Math.max(0, b.size() - ProducerStates.WINDOW), b.size()));
        }
    }
}
