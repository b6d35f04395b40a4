package io.gmq.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.PublishOption;
import io.gmq.PublishRequest;
import io.gmq.PublishResult;
import io.gmq.QoS;
import io.gmq.TimeSource;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class PublishBatcherTest {
    private static final int PARTITIONS = 3;
    private static final Duration LONG_LINGER = Duration.ofHours(1);

    /** Collects what the batcher sends; the test completes batches itself. */
    private static final class RecordingTransport implements PublishBatcher.Transport {
        final List<ProducerBatch> sent = new CopyOnWriteArrayList<>();

        @Override
        public void send(ProducerBatch batch) {
            sent.add(batch);
        }

        ProducerBatch last() {
            return sent.get(sent.size() - 1);
        }
    }

    private final RecordingTransport transport = new RecordingTransport();

    /** Never eager, never by linger (it is an hour): only size, flush and sendNow seal. */
    private PublishBatcher holding(int maxBatchBytes, PublishBatcher.KeylessRouting keyless) {
        return new PublishBatcher(
                new PublishBatcher.Policy(maxBatchBytes, 0, null, true), transport, null, TimeSource.SYSTEM, keyless);
    }

    private PublishBatcher holding() {
        return holding(1 << 20, PublishBatcher.KeylessRouting.STICKY);
    }

    private static PublishRequest msg(String payload, PublishOption... options) {
        return PublishRequest.of("t", payload.getBytes(StandardCharsets.UTF_8), options);
    }

    private static List<String> payloads(ProducerBatch b) {
        List<String> out = new ArrayList<>();
        BatchReader r = new BatchReader(b.frame().duplicate());
        while (r.next()) {
            out.add(new String(r.value(), StandardCharsets.UTF_8));
        }
        return out;
    }

    private PublishBatcher idempotent() {
        return new PublishBatcher(
                new PublishBatcher.Policy(1 << 20, 0, null, true),
                transport,
                null,
                TimeSource.SYSTEM,
                PublishBatcher.KeylessRouting.STICKY,
                true);
    }

    private static io.gmq.storage.BatchFrame header(ProducerBatch b) {
        return new io.gmq.storage.BatchFrame().wrap(b.frame(), 0);
    }

    @Test
    void idempotentQos1BatchesOfAPartitionCarryConsecutiveSequencesInOneEpoch() {
        PublishBatcher batcher = idempotent();
        PublishOption p0 = PublishOption.partition(0);
        batcher.publish(msg("a", p0), PARTITIONS, false, 0);
        batcher.publish(msg("b", p0), PARTITIONS, true, 0);
        batcher.publish(msg("c", p0), PARTITIONS, true, 0);
        batcher.publish(msg("x", PublishOption.partition(1)), PARTITIONS, true, 0);
        batcher.publish(msg("q0", p0, PublishOption.qos(io.gmq.QoS.AT_MOST_ONCE)), PARTITIONS, true, 0);

        ProducerBatch first = transport.sent.get(0);
        ProducerBatch second = transport.sent.get(1);
        assertEquals(List.of("a", "b"), payloads(first), "records after the producer fields read back");
        assertTrue(header(first).hasProducer());
        assertEquals(batcher.producerId(), header(first).producerId());
        assertEquals(0, header(first).baseSequence());
        assertEquals(2, header(second).baseSequence());
        assertEquals(header(first).producerEpoch(), header(second).producerEpoch());
        assertEquals(0, header(transport.sent.get(2)).baseSequence(), "sequences are per partition");
        assertEquals(false, header(transport.sent.get(3)).hasProducer(), "QoS 0 carries no producer fields");
        assertEquals(null, header(first).validateStructure(first.frame().remaining()));
    }

    @Test
    void afterABatchFailsThePartitionsNextBatchStartsANewerEpochAtSequenceZero() {
        PublishBatcher batcher = idempotent();
        PublishOption p0 = PublishOption.partition(0);
        batcher.publish(msg("a", p0), PARTITIONS, true, 0);
        batcher.publish(msg("b", p0), PARTITIONS, true, 0);
        int epoch = transport.sent.get(0).producerEpoch();
        transport.sent.get(0).fail(new io.gmq.GmqException(io.gmq.ErrorCode.INTERNAL, "disk gone"));
        batcher.publish(msg("c", p0), PARTITIONS, true, 0);

        ProducerBatch next = transport.last();
        assertTrue(next.producerEpoch() > epoch, "a newer epoch fences the batches sent before the failure");
        assertEquals(0, next.baseSequence());

        batcher.forget("t");
        batcher.publish(msg("d", p0), PARTITIONS, true, 0);
        assertTrue(transport.last().producerEpoch() > next.producerEpoch(), "a forgotten partition starts newer");
        assertEquals(0, transport.last().baseSequence());
    }

    @Test
    void aBatcherWithoutIdempotenceWritesNoProducerFields() {
        PublishBatcher batcher = holding();
        batcher.publish(msg("a"), PARTITIONS, true, 0);
        assertEquals(false, header(transport.last()).hasProducer());
        assertEquals(false, transport.last().idempotent());
    }

    @Test
    void explicitPartitionWinsOverTheKey() {
        PublishBatcher batcher = holding();
        batcher.publish(msg("a", PublishOption.partition(2), PublishOption.partitionKey("k")), PARTITIONS, true, 0);
        assertEquals(2, transport.last().partition());
    }

    @Test
    void explicitPartitionOutOfRangeIsInvalidArgument() {
        PublishBatcher batcher = holding();
        GmqException e = assertThrows(
                GmqException.class, () -> batcher.publish(msg("a", PublishOption.partition(3)), PARTITIONS, true, 0));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    }

    @Property(tries = 200)
    void aKeyedMessageGoesToThePartitionOfItsMurmur2Hash(
            @ForAll @Size(max = 40) byte[] key, @ForAll @IntRange(min = 1, max = 64) int partitions) {
        RecordingTransport sent = new RecordingTransport();
        PublishBatcher batcher =
                new PublishBatcher(PublishBatcher.Policy.embedded(1 << 20), sent, null, TimeSource.SYSTEM);
        batcher.publish(PublishRequest.of("t", new byte[1], PublishOption.partitionKey(key)), partitions, true, 0);
        assertEquals(Partitioner.partitionForKey(key, partitions), sent.last().partition());
    }

    @Test
    void keylessMessagesShareOneBatchOnOnePartitionUntilItIsSealed() {
        PublishBatcher batcher = holding();
        for (int i = 0; i < 10; i++) {
            batcher.publish(msg("m" + i), PARTITIONS, false, 0);
        }
        assertEquals(1, batcher.openBatches());
        batcher.flush();
        assertEquals(1, transport.sent.size());
        assertEquals(10, transport.last().recordCount());
        int first = transport.last().partition();

        for (int i = 0; i < 10; i++) {
            batcher.publish(msg("n" + i), PARTITIONS, false, 0);
        }
        batcher.flush();
        assertEquals(2, transport.sent.size());
        assertEquals((first + 1) % PARTITIONS, transport.last().partition(), "the next batch takes the next partition");
    }

    @Test
    void keylessMessagesOfEachQosStickSeparately() {
        PublishBatcher batcher = holding();
        batcher.publish(msg("a", PublishOption.qos(QoS.AT_LEAST_ONCE)), PARTITIONS, false, 0);
        batcher.publish(msg("b", PublishOption.qos(QoS.AT_MOST_ONCE)), PARTITIONS, false, 0);
        batcher.publish(msg("c", PublishOption.qos(QoS.AT_LEAST_ONCE)), PARTITIONS, false, 0);
        batcher.flush();
        assertEquals(2, transport.sent.size());
        for (ProducerBatch b : transport.sent) {
            BatchReader r = new BatchReader(b.frame().duplicate());
            r.next();
            assertEquals(b.qos() == QoS.AT_LEAST_ONCE, r.atLeastOnce(), "the frame carries its batch's QoS");
            assertEquals(b.qos() == QoS.AT_LEAST_ONCE ? List.of("a", "c") : List.of("b"), payloads(b));
        }
    }

    @Test
    void roundRobinGivesEveryKeylessMessageTheNextPartition() {
        PublishBatcher batcher = holding(1 << 20, PublishBatcher.KeylessRouting.ROUND_ROBIN);
        for (int i = 0; i < 6; i++) {
            batcher.publish(msg("m" + i), PARTITIONS, false, 0);
        }
        batcher.flush();
        assertEquals(PARTITIONS, transport.sent.size());
        for (ProducerBatch b : transport.sent) {
            assertEquals(2, b.recordCount());
        }
    }

    @Test
    void eachFutureGetsTheBaseOffsetPlusItsIndex() throws Exception {
        PublishBatcher batcher = holding();
        List<CompletableFuture<PublishResult>> futures = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            futures.add(batcher.publish(msg("m" + i, PublishOption.partition(1)), PARTITIONS, false, 0));
        }
        batcher.flush();
        transport.last().complete(100);
        for (int i = 0; i < 5; i++) {
            assertEquals(new PublishResult("t", 1, 100 + i), futures.get(i).get());
        }
    }

    @Test
    void aFailedBatchFailsEveryMessageOfItWithTheCause() {
        PublishBatcher batcher = holding();
        List<CompletableFuture<PublishResult>> futures = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            futures.add(batcher.publish(msg("m" + i), PARTITIONS, false, 0));
        }
        batcher.flush();
        GmqException cause = new GmqException(ErrorCode.UNAVAILABLE, "storage down");
        transport.last().fail(new java.util.concurrent.CompletionException(cause));
        for (CompletableFuture<PublishResult> f : futures) {
            ExecutionException e = assertThrows(ExecutionException.class, f::get);
            assertSame(cause, e.getCause(), "unwrapped to the cause");
        }
    }

    @Test
    void aMessageThatDoesNotFitStartsTheNextBatch() {
        int max = 1024;
        PublishBatcher batcher = holding(max, PublishBatcher.KeylessRouting.STICKY);
        List<String> all = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String p = String.format("%03d", i) + "x".repeat(197);
            all.add(p);
            batcher.publish(msg(p, PublishOption.partition(0)), PARTITIONS, false, 0);
        }
        batcher.flush();
        assertTrue(transport.sent.size() > 1);
        List<String> received = new ArrayList<>();
        for (ProducerBatch b : transport.sent) {
            assertTrue(b.frame().remaining() <= max, "batch of " + b.frame().remaining() + " bytes");
            received.addAll(payloads(b));
        }
        assertEquals(all, received, "split in order, nothing lost");
    }

    @Test
    void aBatchOpenedWithFewerThanEagerInFlightLeavesAtOnceAndTheNextWaitsForACompletion() {
        PublishBatcher batcher =
                new PublishBatcher(PublishBatcher.Policy.embedded(1 << 20), transport, null, TimeSource.SYSTEM);
        PublishOption p0 = PublishOption.partition(0);
        batcher.publish(msg("1", p0), PARTITIONS, false, 0);
        batcher.publish(msg("2", p0), PARTITIONS, false, 0);
        assertEquals(2, transport.sent.size(), "two in flight: both left alone");
        batcher.publish(msg("3", p0), PARTITIONS, false, 0);
        batcher.publish(msg("4", p0), PARTITIONS, false, 0);
        assertEquals(2, transport.sent.size(), "the third and fourth wait");

        transport.sent.get(0).complete(0);
        assertEquals(3, transport.sent.size(), "a completion sends the waiting batch");
        assertEquals(List.of("3", "4"), payloads(transport.last()));
    }

    @Test
    void aBatchBehindAnInFlightOneLeavesAfterTheLinger() throws Exception {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
        try {
            PublishBatcher batcher = new PublishBatcher(
                    PublishBatcher.Policy.network(1 << 20, Duration.ofMillis(5)), transport, timer, TimeSource.SYSTEM);
            PublishOption p0 = PublishOption.partition(0);
            batcher.publish(msg("1", p0), PARTITIONS, false, 0);
            assertEquals(1, transport.sent.size(), "nothing in flight: sent at once");
            batcher.publish(msg("2", p0), PARTITIONS, false, 0);
            batcher.publish(msg("3", p0), PARTITIONS, false, 0);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (transport.sent.size() < 2 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEquals(2, transport.sent.size(), "sent by the linger although the first is unacknowledged");
            assertEquals(List.of("2", "3"), payloads(transport.last()));
        } finally {
            timer.shutdownNow();
        }
    }

    @Test
    void lingerZeroSendsEveryPublishAtOnce() {
        PublishBatcher batcher = new PublishBatcher(
                PublishBatcher.Policy.network(1 << 20, Duration.ZERO), transport, null, TimeSource.SYSTEM);
        for (int i = 0; i < 3; i++) {
            batcher.publish(msg("m" + i, PublishOption.partition(0)), PARTITIONS, false, 0);
        }
        assertEquals(3, transport.sent.size());
    }

    @Test
    void sendNowSealsTheBatchWithThatMessage() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
        try {
            PublishBatcher batcher = new PublishBatcher(
                    PublishBatcher.Policy.network(1 << 20, LONG_LINGER), transport, timer, TimeSource.SYSTEM);
            batcher.publish(msg("1", PublishOption.partition(0)), PARTITIONS, false, 0);
            batcher.publish(msg("2", PublishOption.partition(0)), PARTITIONS, false, 0);
            batcher.publish(msg("3", PublishOption.partition(0)), PARTITIONS, true, 0);
            assertEquals(2, transport.sent.size());
            assertEquals(List.of("2", "3"), payloads(transport.last()));
        } finally {
            timer.shutdownNow();
        }
    }

    @Test
    void aBatchCarriesTheEarliestCallTimeOfItsMessages() {
        PublishBatcher batcher = holding();
        batcher.publish(msg("1"), PARTITIONS, false, 500);
        batcher.publish(msg("2"), PARTITIONS, false, 300);
        batcher.publish(msg("3"), PARTITIONS, false, 900);
        batcher.flush();
        assertEquals(300, transport.last().firstCallNanos());
    }

    @Test
    void failOpenFailsUnsentMessagesOnly() {
        PublishBatcher batcher = holding();
        CompletableFuture<PublishResult> sent = batcher.publish(msg("1"), PARTITIONS, true, 0);
        CompletableFuture<PublishResult> open = batcher.publish(msg("2"), PARTITIONS, false, 0);
        batcher.failOpen(new GmqException(ErrorCode.UNAVAILABLE, "client is closed"));
        assertTrue(open.isCompletedExceptionally());
        assertTrue(!sent.isDone(), "a sent batch is the transport's to complete");
        assertEquals(0, batcher.openBatches());
    }

    @Test
    void aGrownPartitionCountSpreadsKeylessBatchesOverTheNewPartitions() {
        PublishBatcher batcher = holding();
        List<Integer> seen = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            batcher.publish(msg("m" + i), i < 2 ? 2 : 4, true, 0);
            seen.add(transport.last().partition());
        }
        assertTrue(seen.subList(2, 8).containsAll(List.of(0, 1, 2, 3)), "partitions used: " + seen);
    }

    /**
     * Whatever the mix of routes, sizes and completions: every message reaches the transport
     * exactly once, the messages of each partition in publish order, every future gets base offset
     * + index, and no batch passes the size limit unless it holds a single message.
     */
    @Property(tries = 300)
    void everyMessageArrivesOnceInOrderPerPartitionWithItsOwnOffset(
            @ForAll @Size(min = 1, max = 200) List<@IntRange(min = 0, max = 9) Integer> actions,
            @ForAll @IntRange(min = 0, max = 3) int eagerInFlight,
            @ForAll boolean stickyKeyless) {
        int max = 600;
        RecordingTransport sent = new RecordingTransport();
        PublishBatcher batcher = new PublishBatcher(
                new PublishBatcher.Policy(max, eagerInFlight, null, true),
                sent,
                null,
                TimeSource.SYSTEM,
                stickyKeyless ? PublishBatcher.KeylessRouting.STICKY : PublishBatcher.KeylessRouting.ROUND_ROBIN);
        List<List<String>> expectedPerPartition = new ArrayList<>();
        List<List<String>> logPerPartition = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            expectedPerPartition.add(new ArrayList<>());
            logPerPartition.add(new ArrayList<>());
        }
        List<CompletableFuture<PublishResult>> futures = new ArrayList<>();
        List<String> names = new ArrayList<>();
        int completedUpTo = 0;
        for (int i = 0; i < actions.size(); i++) {
            int a = actions.get(i);
            if (a >= 8 && completedUpTo < sent.sent.size()) {
                // the "log": appends each sent batch in send order
                ProducerBatch b = sent.sent.get(completedUpTo++);
                List<String> log = logPerPartition.get(b.partition());
                int base = log.size();
                log.addAll(payloads(b));
                b.complete(base);
                continue;
            }
            String name = "m" + i + "-" + "p".repeat(a * 40);
            PublishOption route = a % 3 == 0
                    ? PublishOption.partition(a % PARTITIONS)
                    : a % 3 == 1 ? PublishOption.partitionKey("k" + a) : PublishOption.qos(QoS.AT_LEAST_ONCE);
            futures.add(batcher.publish(msg(name, route), PARTITIONS, false, 0));
            names.add(name);
        }
        batcher.flush();
        while (completedUpTo < sent.sent.size()) {
            ProducerBatch b = sent.sent.get(completedUpTo++);
            List<String> log = logPerPartition.get(b.partition());
            int base = log.size();
            log.addAll(payloads(b));
            b.complete(base);
        }
        for (ProducerBatch b : sent.sent) {
            assertTrue(
                    b.frame().remaining() <= max || b.recordCount() == 1,
                    "batch of " + b.frame().remaining() + " bytes with " + b.recordCount() + " messages");
            assertTrue(b.frame().remaining() >= BatchFormat.HEADER_LENGTH);
        }
        for (int i = 0; i < futures.size(); i++) {
            PublishResult r = futures.get(i).join();
            assertEquals(names.get(i), logPerPartition.get(r.partition()).get((int) r.offset()));
            expectedPerPartition.get(r.partition()).add(names.get(i));
        }
        assertEquals(expectedPerPartition, logPerPartition, "per partition: publish order, each message once");
    }
}
