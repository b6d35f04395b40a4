package io.gmq.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.gmq.QoS;
import io.gmq.TopicPartition;
import io.gmq.testkit.Finding.Criterion;
import io.gmq.testkit.History.Acked;
import io.gmq.testkit.History.Assignment;
import io.gmq.testkit.History.Attempt;
import io.gmq.testkit.History.Committed;
import io.gmq.testkit.History.Consumed;
import io.gmq.testkit.History.Event;
import io.gmq.testkit.History.Failed;
import io.gmq.testkit.History.Indeterminate;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The checker against generated histories of a correct queue: producers with acknowledged,
 * indeterminate (written or not, retried) and failed sends; consumers of one group with ack-timeout
 * redeliveries, commits and reassignments that rewind to the committed offset.
 */
class QueueCheckerProperties {

    @Property(tries = 300)
    void historyOfACorrectQueuePasses(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 3) int partitions,
            @ForAll @IntRange(min = 0, max = 60) int messages) {
        History history = correctQueueHistory(new Random(seed), partitions, messages);

        QueueChecker.check(history).assertValid();
    }

    @Property(tries = 300)
    void droppingOneAcknowledgedMessageFromConsumptionReportsExactlyItLost(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 3) int partitions,
            @ForAll @IntRange(min = 1, max = 60) int messages) {
        Random random = new Random(seed);
        History history = correctQueueHistory(random, partitions, messages);
        List<String> acked = history.events().stream()
                .filter(e -> e instanceof Acked)
                .map(e -> ((Acked) e).payloadId())
                .distinct()
                .toList();
        Assume.that(!acked.isEmpty());
        String victim = acked.get(random.nextInt(acked.size()));

        CheckResult result = QueueChecker.check(
                replay(history, e -> !(e instanceof Consumed c && c.payloadId().equals(victim))));

        assertFalse(result.valid(), result.report());
        assertEquals(Set.of(victim), result.lostPayloads(), result.report());
        List<String> reportedLost = result.findings(Criterion.LOST).stream()
                .flatMap(f -> f.payloadIds().stream())
                .toList();
        assertEquals(List.of(victim), reportedLost, result.report());
    }

    static History correctQueueHistory(Random random, int partitionCount, int messages) {
        History h = new History();
        List<List<String>> logs = new ArrayList<>();
        for (int p = 0; p < partitionCount; p++) {
            logs.add(new ArrayList<>());
        }
        int producers = 1 + random.nextInt(3);
        for (int i = 0; i < messages; i++) {
            String producer = "p" + random.nextInt(producers);
            String payload = "m" + i;
            int p = random.nextInt(partitionCount);
            List<String> log = logs.get(p);
            TopicPartition tp = new TopicPartition("t", p);
            h.attempt(producer, payload);
            switch (random.nextInt(10)) {
                case 0 -> { // timed out after the write, then retried successfully
                    log.add(payload);
                    h.indeterminate(producer, payload);
                    h.attempt(producer, payload);
                    h.acked(producer, payload, tp, log.size());
                    log.add(payload);
                }
                case 1 -> h.indeterminate(producer, payload); // timed out before the write; given up
                case 2 -> h.failed(producer, payload);
                default -> {
                    h.acked(producer, payload, tp, log.size());
                    log.add(payload);
                }
            }
        }
        String[] consumers = {"c0", "c1", "c2"};
        long generation = 0;
        for (int p = 0; p < partitionCount; p++) {
            TopicPartition tp = new TopicPartition("t", p);
            List<String> log = logs.get(p);
            String owner = consumers[random.nextInt(consumers.length)];
            h.assignment(owner, tp, ++generation);
            int committed = 0;
            int next = 0;
            while (next < log.size()) {
                h.consumed(owner, log.get(next), tp, next, 1, QoS.AT_LEAST_ONCE);
                next++;
                if (random.nextInt(10) == 0) { // ack timeout: an unacknowledged record comes again
                    int again = committed + random.nextInt(next - committed);
                    h.consumed(owner, log.get(again), tp, again, 2, QoS.AT_LEAST_ONCE);
                }
                if (random.nextInt(5) == 0) {
                    committed += random.nextInt(next - committed + 1);
                    h.committed("g", tp, committed);
                }
                if (random.nextInt(20) == 0) { // rebalance: the new owner resumes at the committed offset
                    owner = consumers[random.nextInt(consumers.length)];
                    h.assignment(owner, tp, ++generation);
                    next = committed;
                }
            }
        }
        return h;
    }

    /** A new history with the kept events of {@code source}, recorded in the same order. */
    static History replay(History source, Predicate<Event> keep) {
        History h = new History();
        for (Event e : source.events()) {
            if (!keep.test(e)) {
                continue;
            }
            if (e instanceof Attempt a) {
                h.attempt(a.producerId(), a.payloadId());
            } else if (e instanceof Acked a) {
                h.acked(a.producerId(), a.payloadId(), a.partition(), a.offset());
            } else if (e instanceof Indeterminate i) {
                h.indeterminate(i.producerId(), i.payloadId());
            } else if (e instanceof Failed f) {
                h.failed(f.producerId(), f.payloadId());
            } else if (e instanceof Consumed c) {
                h.consumed(c.consumerId(), c.payloadId(), c.partition(), c.offset(), c.deliveryCount(), c.qos());
            } else if (e instanceof Assignment a) {
                h.assignment(a.consumerId(), a.partition(), a.generation());
            } else if (e instanceof Committed c) {
                h.committed(c.group(), c.partition(), c.offset());
            }
        }
        return h;
    }
}
