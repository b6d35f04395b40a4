package io.gmq.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.QoS;
import io.gmq.TopicPartition;
import io.gmq.testkit.Finding.Criterion;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class QueueCheckerTest {
    private static final TopicPartition P0 = new TopicPartition("orders", 0);
    private static final TopicPartition P1 = new TopicPartition("orders", 1);
    private static final QoS QOS1 = QoS.AT_LEAST_ONCE;
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
            h.consumed(consumer, "m" + offset, P0, offset, 1, QOS1);
        }
    }

    private static Finding only(CheckResult result, Criterion criterion) {
        assertFalse(result.valid(), result.report());
        List<Finding> found = result.findings(criterion);
        assertEquals(1, found.size(), result.report());
        assertEquals(found, result.findings(), "no other criterion should fire:\n" + result.report());
        return found.get(0);
    }

    @Test
    void completeHistoryWithLegitimateRedeliveriesIsValid() {
        History h = produced(6);
        h.assignment("c1", P0, 1);
        consume(h, "c1", 0, 1, 2, 3);
        h.committed("g", P0, 2);
        h.consumed("c1", "m2", P0, 2, 2, QOS1); // ack timeout: redelivered with deliveryCount 2
        consume(h, "c1", 4);
        h.assignment("c2", P0, 2); // c1 lost its session; c2 restarts from the committed offset
        consume(h, "c2", 3, 4, 5);
        h.committed("g", P0, 6);

        CheckResult result = QueueChecker.check(h);

        result.assertValid();
        assertEquals(6, result.attempted());
        assertEquals(6, result.acked());
        assertEquals(6, result.consumed());
        assertEquals(3, result.duplicated()); // m2, m3, m4 came twice, each for a reason
        assertEquals(0, result.lost());
        assertTrue(result.report().startsWith("queue history VALID"), result.report());
    }

    @Test
    void indeterminateSendMayAppearAtTwoOffsets() {
        History h = new History();
        h.attempt("p", "m0");
        h.indeterminate("p", "m0"); // the first send timed out but was written at offset 0
        h.attempt("p", "m0");
        h.acked("p", "m0", P0, 1);
        h.consumed("c", "m0", P0, 0, 1, QOS1);
        h.consumed("c", "m0", P0, 1, 1, QOS1);

        QueueChecker.check(h).assertValid();
    }

    @Test
    void storedOnceRejectsAResentPayloadAtTwoOffsetsButAllowsRedeliveryOfOne() {
        History h = new History();
        h.attempt("p", "m0");
        h.indeterminate("p", "m0"); // resent by the client: an idempotent producer stores it once
        h.attempt("p", "m0");
        h.acked("p", "m0", P0, 1);
        h.consumed("c", "m0", P0, 0, 1, QOS1);
        h.consumed("c", "m0", P0, 1, 1, QOS1);
        QueueChecker.Options storedOnce = QueueChecker.Options.defaults().withStoredOnce(true);

        Finding f = only(QueueChecker.check(h, storedOnce), Criterion.DUPLICATED);
        assertTrue(f.message().contains("stored at 2 positions"), f.message());

        History once = new History();
        once.attempt("p", "m0");
        once.indeterminate("p", "m0");
        once.attempt("p", "m0");
        once.acked("p", "m0", P0, 0);
        once.consumed("c", "m0", P0, 0, 1, QOS1);
        once.consumed("c", "m0", P0, 0, 2, QOS1); // a redelivery of the one copy
        QueueChecker.check(once, storedOnce).assertValid();
    }

    @Test
    void indeterminateSendNeverConsumedIsNotLost() {
        History h = produced(1);
        h.attempt("p", "m1");
        h.indeterminate("p", "m1");
        consume(h, "c", 0);

        CheckResult result = QueueChecker.check(h);

        result.assertValid();
        assertEquals(1, result.indeterminate());
    }

    @Test
    void lostSuffixIsReported() {
        History h = produced(5);
        consume(h, "c", 0, 1, 2);

        Finding f = only(QueueChecker.check(h), Criterion.LOST);

        assertTrue(f.message().contains("lost suffix"), f.message());
        assertEquals(List.of("m3", "m4"), f.payloadIds());
        assertEquals(Set.of("m3", "m4"), QueueChecker.check(h).lostPayloads());
    }

    @Test
    void lostMiddleIsReported() {
        History h = produced(5);
        h.consumed("c", "m0", P0, 0, 1, QOS1);
        h.consumed("c", "m1", P0, 1, 1, QOS1);
        h.consumed("c2", "m3", P0, 3, 1, QOS1); // another member, so c's order is not at issue
        h.consumed("c2", "m4", P0, 4, 1, QOS1);

        Finding f = only(QueueChecker.check(h), Criterion.LOST);

        assertTrue(f.message().contains("lost middle"), f.message());
        assertEquals(List.of("m2"), f.payloadIds());
    }

    @Test
    void lostPrefixIsReported() {
        History h = produced(5);
        consume(h, "c", 2, 3, 4);

        Finding f = only(QueueChecker.check(h), Criterion.LOST);

        assertTrue(f.message().contains("lost prefix"), f.message());
        assertEquals(List.of("m0", "m1"), f.payloadIds());
    }

    @Test
    void partitionWithNothingConsumedIsReportedWhole() {
        History h = produced(2);
        h.attempt("p", "x");
        h.acked("p", "x", P1, 0);
        consume(h, "c", 0, 1);

        Finding f = only(QueueChecker.check(h), Criterion.LOST);

        assertTrue(f.message().startsWith("orders-1: lost all"), f.message());
    }

    @Test
    void lostCheckCanBeSwitchedOff() {
        History h = produced(5);
        consume(h, "c", 0, 1);

        CheckResult result =
                QueueChecker.check(h, QueueChecker.Options.defaults().withCheckLost(false));

        result.assertValid();
        assertEquals(0, result.lost());
    }

    @Test
    void consumedButNeverSentIsUnexpected() {
        History h = produced(2);
        consume(h, "c", 0, 1);
        h.consumed("c", "ghost", P0, 2, 1, QOS1);

        Finding f = only(QueueChecker.check(h), Criterion.UNEXPECTED);

        assertEquals(List.of("ghost"), f.payloadIds());
        assertEquals(1, QueueChecker.check(h).unexpected());
    }

    @Test
    void consumedAfterDefiniteFailureIsUnexpected() {
        History h = produced(1);
        h.attempt("p", "rejected");
        h.failed("p", "rejected");
        consume(h, "c", 0);
        h.consumed("c", "rejected", P0, 1, 1, QOS1);

        Finding f = only(QueueChecker.check(h), Criterion.UNEXPECTED);

        assertTrue(f.message().contains("definitely failed"), f.message());
    }

    @Test
    void qos0RecordDeliveredTwiceIsDuplicateEvenAfterReassignment() {
        History h = produced(2);
        h.consumed("c1", "m0", P0, 0, 1, QOS0);
        h.assignment("c2", P0, 2);
        h.consumed("c2", "m0", P0, 0, 2, QOS0);
        h.consumed("c2", "m1", P0, 1, 1, QOS0);

        Finding f = only(QueueChecker.check(h), Criterion.DUPLICATED);

        assertTrue(f.message().contains("QoS 0"), f.message());
        assertEquals(List.of("m0"), f.payloadIds());
    }

    @Test
    void qos1RepeatWithoutRedeliveryCountOrReassignmentIsDuplicate() {
        History h = produced(2);
        consume(h, "c1", 0, 1);
        h.consumed("c2", "m1", P0, 1, 1, QOS1);

        Finding f = only(QueueChecker.check(h), Criterion.DUPLICATED);

        assertEquals(List.of("m1"), f.payloadIds());
    }

    @Test
    void twoPayloadsAtOnePositionAreInconsistent() {
        History h = produced(2);
        h.attempt("q", "n0");
        h.acked("q", "n0", P0, 1); // offset 1 already holds m1
        consume(h, "c", 0, 1);

        CheckResult result = QueueChecker.check(h);

        List<Finding> found = result.findings(Criterion.INCONSISTENT_OFFSET);
        assertTrue(
                found.stream().anyMatch(f -> f.message().contains("orders-0@1 holds several payloads")),
                result.report());
        assertEquals(Set.of("n0"), result.lostPayloads(), result.report());
        assertEquals(List.of("n0"), result.findings(Criterion.LOST).get(0).payloadIds(), result.report());
    }

    @Test
    void ackedPayloadConsumedAtAnotherOffsetIsInconsistent() {
        History h = produced(2);
        consume(h, "c", 0);
        h.consumed("c", "m1", P0, 2, 1, QOS1); // acknowledged at 1, served from 2

        CheckResult result =
                QueueChecker.check(h, QueueChecker.Options.defaults().withAllowSkipOverUnconsumed(true));
        Finding f = only(result, Criterion.INCONSISTENT_OFFSET);

        assertTrue(f.message().contains("acknowledged at [orders-0@1] but consumed by c at orders-0@2"), f.message());
    }

    @Test
    void producerOffsetsGoingBackwardInSendOrderAreReported() {
        History h = new History();
        h.attempt("p", "a");
        h.attempt("p", "b"); // pipelined: b sent after a
        h.acked("p", "b", P0, 0);
        h.acked("p", "a", P0, 1);
        h.consumed("c", "b", P0, 0, 1, QOS1);
        h.consumed("c", "a", P0, 1, 1, QOS1);

        Finding f = only(QueueChecker.check(h), Criterion.PRODUCER_ORDER);

        assertEquals(List.of("a", "b"), f.payloadIds());
    }

    @Test
    void producerOrderIsPerPartition() {
        History h = new History();
        h.attempt("p", "a");
        h.attempt("p", "b");
        h.acked("p", "a", P1, 5);
        h.acked("p", "b", P0, 0);
        h.consumed("c", "a", P1, 5, 1, QOS1);
        h.consumed("c", "b", P0, 0, 1, QOS1);

        QueueChecker.check(h).assertValid();
    }

    @Test
    void consumerSteppingBackOnAFirstDeliveryIsReported() {
        History h = produced(3);
        consume(h, "c", 0, 1, 2);
        h.consumed("c", "m1", P0, 1, 2, QOS1); // a redelivery may go back ...
        consume(h, "c", 1); // ... but a first delivery of an already seen offset may not

        CheckResult result = QueueChecker.check(h);

        List<Finding> order = result.findings(Criterion.CONSUMER_ORDER);
        assertEquals(1, order.size(), result.report());
        assertTrue(order.get(0).message().contains("stepped back from offset 2 to 1"), result.report());
    }

    @Test
    void consumerSkippingUnconsumedOffsetsIsReported() {
        History h = produced(4);
        consume(h, "c", 0, 1);
        h.consumed("other-group-member", "m2", P0, 2, 1, QOS1);
        consume(h, "c", 3);

        CheckResult strict =
                QueueChecker.check(h, QueueChecker.Options.defaults().withAllowSkipOverOthersConsumption(false));
        Finding f = only(strict, Criterion.CONSUMER_ORDER);
        assertTrue(f.message().contains("skipped from offset 1 to 3"), f.message());

        QueueChecker.check(h).assertValid(); // default: the skipped record went to another member
    }

    @Test
    void consumerSkipOverRecordsNobodyConsumedIsReportedUnlessRetentionAllowed() {
        History h = new History();
        h.attempt("p", "m0");
        h.acked("p", "m0", P0, 0);
        h.attempt("p", "m3");
        h.acked("p", "m3", P0, 3); // offsets 1, 2 were written by an unrecorded producer, then deleted
        consume(h, "c", 0, 3);

        Finding f = only(QueueChecker.check(h), Criterion.CONSUMER_ORDER);
        assertTrue(f.message().contains("[1, 2]"), f.message());

        QueueChecker.check(h, QueueChecker.Options.defaults().withAllowSkipOverUnconsumed(true))
                .assertValid();
    }

    @Test
    void hugeSkipIsJudgedWithoutVisitingEveryOffset() {
        History h = new History();
        long far = 4_000_000_000L;
        h.attempt("p", "first");
        h.acked("p", "first", P0, 0);
        h.attempt("p", "far");
        h.acked("p", "far", P0, far);
        h.consumed("c", "first", P0, 0, 1, QOS1);
        h.consumed("c", "far", P0, far, 1, QOS1);

        Finding f = only(QueueChecker.check(h), Criterion.CONSUMER_ORDER);
        assertTrue(f.message().contains((far - 1) + " skipped offset(s) unexplained"), f.message());

        QueueChecker.check(h, QueueChecker.Options.defaults().withAllowSkipOverUnconsumed(true))
                .assertValid();
    }

    @Test
    void reassignmentAllowsBothSkipAndStepBack() {
        History h = produced(6);
        consume(h, "c", 0, 1);
        h.assignment("d", P0, 2);
        h.assignment("c", P0, 3);
        consume(h, "c", 4, 5); // skip after losing and regaining the partition
        h.assignment("c", P0, 4);
        consume(h, "c", 2, 3); // restart from the committed offset

        QueueChecker.check(h).assertValid();
    }

    @Test
    void committedOffsetGoingBackPastAnAcknowledgedMessageIsReported() {
        History h = produced(4);
        consume(h, "c", 0, 1, 2, 3);
        h.committed("g", P0, 3);
        h.committed("g", P0, 1);

        Finding f = only(QueueChecker.check(h), Criterion.COMMIT_REGRESSION);

        assertTrue(f.message().contains("went back from 3 to 1"), f.message());
        assertEquals(List.of("m1", "m2"), f.payloadIds());
    }

    @Test
    void committedOffsetsAreTrackedPerGroup() {
        History h = produced(4);
        consume(h, "c", 0, 1, 2, 3);
        h.committed("fast", P0, 4);
        h.committed("slow", P0, 1);

        QueueChecker.check(h).assertValid();
    }

    @Test
    void assertValidThrowsWithTheReport() {
        History h = produced(3);
        consume(h, "c", 0);

        AssertionError error =
                assertThrows(AssertionError.class, () -> QueueChecker.check(h).assertValid());

        assertTrue(error.getMessage().contains("INVALID"), error.getMessage());
        assertTrue(error.getMessage().contains("LOST (1)"), error.getMessage());
        assertTrue(error.getMessage().contains("lost=2"), error.getMessage());
    }

    @Test
    void historyIsSafeToRecordFromManyThreads() throws Exception {
        History h = new History();
        int threads = 4;
        int perThread = 500;
        List<Thread> workers = new java.util.ArrayList<>();
        for (int t = 0; t < threads; t++) {
            String producer = "p" + t;
            TopicPartition partition = new TopicPartition("orders", t);
            Thread worker = new Thread(
                    () -> {
                        for (int i = 0; i < perThread; i++) {
                            h.attempt(producer, producer + "-" + i);
                            h.acked(producer, producer + "-" + i, partition, i);
                            h.consumed("c" + producer, producer + "-" + i, partition, i, 1, QOS1);
                        }
                    },
                    "history-writer-" + t);
            workers.add(worker);
            worker.start();
        }
        for (Thread worker : workers) {
            worker.join();
        }

        List<History.Event> events = h.events();
        assertEquals(threads * perThread * 3, events.size());
        for (int i = 0; i < events.size(); i++) {
            assertEquals(i, events.get(i).seq());
        }
        QueueChecker.check(h).assertValid();
    }
}
