package io.gmq.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.QoS;
import io.gmq.TopicPartition;
import io.gmq.testkit.Finding.Criterion;
import io.gmq.testkit.QueueChecker.Options;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link QueueChecker} in at-most-once mode ({@link Options#qos0()}), for QoS 0 histories. */
class QueueCheckerAtMostOnceTest {
    private static final TopicPartition P0 = new TopicPartition("qos0", 0);
    private static final QoS QOS0 = QoS.AT_MOST_ONCE;

    /** Producer "p" sends m0..m(n-1), each acknowledged at offset i of P0. */
    private static History produced(int n) {
        History h = new History();
        for (int i = 0; i < n; i++) {
            h.attempt("p", "m" + i);
            h.acked("p", "m" + i, P0, i);
        }
        return h;
    }

    private static void consume(History h, String consumer, int... offsets) {
        for (int offset : offsets) {
            h.consumed(consumer, "m" + offset, P0, offset, 1, QOS0);
        }
    }

    private static CheckResult check(History h) {
        return QueueChecker.check(h, Options.qos0());
    }

    private static Finding only(CheckResult result, Criterion criterion) {
        assertFalse(result.valid(), result.report());
        List<Finding> found = result.findings(criterion);
        assertEquals(1, found.size(), result.report());
        assertEquals(found, result.findings(), "no other criterion should fire:\n" + result.report());
        return found.get(0);
    }

    @Test
    void lossesAreCountedNotFound() {
        History h = produced(6);
        h.attempt("p", "m6");
        h.indeterminate("p", "m6"); // the broker went away: never written
        consume(h, "c1", 0, 1, 4); // 2 and 3 were in flight to a consumer whose broker died
        h.assignment("c2", P0, 2);
        consume(h, "c2", 5);

        CheckResult result = check(h);

        result.assertValid();
        assertEquals(3, result.lost(), result.report());
        assertEquals(2, result.lostAcknowledged(), result.report());
        assertTrue(result.lostPayloads().containsAll(Set.of("m2", "m3", "m6")), result.report());
        assertTrue(result.report().contains("lost=3 (acknowledged 2)"), result.report());
    }

    @Test
    void recordDeliveredAgainAfterReassignmentIsDuplicate() {
        History h = produced(3);
        consume(h, "c1", 0, 1);
        h.assignment("c2", P0, 2); // at least once this explains the repeat; at most once nothing does
        consume(h, "c2", 1, 2);

        CheckResult result = check(h);

        Finding f = only(result, Criterion.DUPLICATED);
        assertEquals(List.of("m1"), f.payloadIds());
        assertTrue(f.message().contains("consumed 2 times under at most once"), f.message());
        assertEquals(1, result.duplicated());
    }

    @Test
    void sameHistoryPassesTheAtLeastOnceRulesOnlyBecauseOfTheReassignment() {
        History h = produced(3);
        consume(h, "c1", 0, 1);
        h.assignment("c2", P0, 2);
        h.consumed("c2", "m1", P0, 1, 2, QoS.AT_LEAST_ONCE);
        h.consumed("c2", "m2", P0, 2, 1, QoS.AT_LEAST_ONCE);

        QueueChecker.check(h).assertValid();
        assertFalse(check(h).valid());
    }

    @Test
    void indeterminateSendAtTwoPositionsIsDuplicateAndInconsistent() {
        History h = new History();
        h.attempt("p", "m0");
        h.indeterminate("p", "m0");
        h.attempt("p", "m0"); // a QoS 0 send retried after an unknown outcome: what the client must never do
        h.acked("p", "m0", P0, 1);
        h.consumed("c", "m0", P0, 0, 1, QOS0);
        h.consumed("c", "m0", P0, 1, 1, QOS0);

        CheckResult result = check(h);

        assertEquals(1, result.findings(Criterion.DUPLICATED).size(), result.report());
        assertTrue(
                result.findings(Criterion.INCONSISTENT_OFFSET).stream()
                        .anyMatch(
                                f -> f.message().contains("acknowledged at [qos0-0@1] but consumed by c at qos0-0@0")),
                result.report());
    }

    @Test
    void consumerSteppingBackAcrossAReassignmentIsReported() {
        History h = produced(4);
        h.assignment("c1", P0, 1);
        consume(h, "c1", 0, 1, 2);
        h.assignment("c1", P0, 2); // rejoined through another broker
        h.consumed("c1", "m1", P0, 1, 1, QOS0); // the group's position went back to 1

        CheckResult result = check(h);

        assertTrue(
                result.findings(Criterion.CONSUMER_ORDER).stream()
                        .anyMatch(f -> f.message().contains("stepped back from offset 2 to 1 under at most once")),
                result.report());
    }

    @Test
    void existingThreeFlagOptionsStayAtLeastOnce() {
        Options legacy = new Options(true, true, false);

        assertFalse(legacy.atMostOnce());
        assertEquals(Options.defaults(), legacy);
        assertTrue(Options.qos0().withCheckLost(false).atMostOnce(), "withers keep the mode");
    }
}
