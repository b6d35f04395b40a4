package io.gmq.internal.log;

import static io.gmq.internal.log.LogTestSupport.cause;
import static io.gmq.internal.log.LogTestSupport.config;
import static io.gmq.internal.log.LogTestSupport.readAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.TopicPartition;
import io.gmq.storage.AppendResult;
import io.gmq.storage.BatchBuilder;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchFrame;
import io.gmq.storage.BatchReader;
import io.gmq.testkit.ManualClock;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Idempotent appends through a real partition log: a resent frame is stored once and answered with
 * its original offsets, refusals change nothing, old frames without producer fields mix with new
 * ones, and the deduplication state after a restart (rebuilt from the log) equals the state before.
 */
class IdempotentAppendTest {
    private static final TopicPartition TP = new TopicPartition("idem", 0);

    @TempDir
    Path dataDir;

    static ByteBuffer frame(long producer, int epoch, int baseSequence, int count, String prefix) {
        BatchBuilder b = new BatchBuilder(256).reset(true).attributes(BatchFormat.ATTR_QOS_AT_LEAST_ONCE);
        for (int i = 0; i < count; i++) {
            b.add(1000 + i, null, (prefix + i).getBytes(StandardCharsets.UTF_8), null);
        }
        b.producer(producer, epoch, baseSequence);
        ByteBuffer f = b.buildCopy();
        new BatchFrame().wrap(f, 0).stampCrc();
        return f;
    }

    private static ByteBuffer plainFrame(String value) {
        BatchBuilder b = new BatchBuilder(256).attributes(BatchFormat.ATTR_QOS_AT_LEAST_ONCE);
        b.add(1000, null, value.getBytes(StandardCharsets.UTF_8), null);
        return b.buildCopy();
    }

    private static List<String> values(PartitionLog log) {
        List<String> out = new ArrayList<>();
        for (LogTestSupport.Stored s : readAll(log, 0, 1 << 20)) {
            out.add(new String(s.rec().value(), StandardCharsets.UTF_8));
        }
        return out;
    }

    @Test
    void aResentFrameIsStoredOnceAndAnsweredWithItsOriginalOffsets() {
        try (LogManager logs = LogManager.open(config(dataDir).build())) {
            PartitionLog log = logs.log(TP);
            AppendResult first = log.append(frame(42, 0, 0, 3, "a"), true).join();
            AppendResult second = log.append(frame(42, 0, 3, 2, "b"), true).join();
            AppendResult resent = log.append(frame(42, 0, 0, 3, "a"), true).join();
            assertEquals(0, first.baseOffset());
            assertEquals(3, second.baseOffset());
            assertEquals(0, resent.baseOffset(), "the resend gets the original offsets");
            assertEquals(3, resent.recordCount());
            assertEquals(5, log.highWatermark(), "nothing was appended for the resend");
            assertEquals(List.of("a0", "a1", "a2", "b0", "b1"), values(log));
        }
    }

    @Test
    void aResendInTheSameGroupCommitAsItsOriginalIsStoredOnce() {
        try (LogManager logs = LogManager.open(config(dataDir).build())) {
            PartitionLog log = logs.log(TP);
            List<CompletableFuture<AppendResult>> all = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                all.add(log.append(frame(42, 0, i, 1, "v" + i), true));
                all.add(log.append(frame(42, 0, i, 1, "v" + i), true));
            }
            for (int i = 0; i < 20; i++) {
                assertEquals(i, all.get(2 * i).join().baseOffset());
                assertEquals(i, all.get(2 * i + 1).join().baseOffset());
            }
            assertEquals(20, log.highWatermark());
        }
    }

    @Test
    void aGapAndAStaleEpochAreRefusedAndAppendNothing() {
        try (LogManager logs = LogManager.open(config(dataDir).build())) {
            PartitionLog log = logs.log(TP);
            log.append(frame(42, 1, 0, 2, "a"), true).join();
            GmqException gap = cause(assertThrows(
                    CompletionException.class,
                    () -> log.append(frame(42, 1, 5, 1, "x"), true).join()));
            assertEquals(ErrorCode.FAILED_PRECONDITION, gap.code());
            assertTrue(gap.getMessage().contains("next expected is 2"), gap.getMessage());
            GmqException fenced = cause(assertThrows(
                    CompletionException.class,
                    () -> log.append(frame(42, 0, 2, 1, "y"), true).join()));
            assertEquals(ErrorCode.FAILED_PRECONDITION, fenced.code());
            assertTrue(fenced.getMessage().contains("fenced"), fenced.getMessage());
            assertEquals(2, log.highWatermark());
            assertEquals(2, log.append(frame(42, 1, 2, 1, "c"), true).join().baseOffset());
            assertEquals(List.of("a0", "a1", "c0"), values(log));
        }
    }

    @Test
    void framesWithoutProducerFieldsMixWithIdempotentOnesAndReadBack() {
        try (LogManager logs = LogManager.open(config(dataDir).build())) {
            PartitionLog log = logs.log(TP);
            log.append(plainFrame("old"), true).join();
            log.append(frame(42, 0, 0, 2, "new"), true).join();
            log.append(plainFrame("old"), true).join();
            assertEquals(List.of("old", "new0", "new1", "old"), values(log));
            BatchReader reader = new BatchReader(log.read(0, 1 << 20).records());
            int atLeastOnce = 0;
            while (reader.next()) {
                atLeastOnce += reader.atLeastOnce() ? 1 : 0;
            }
            assertEquals(4, atLeastOnce);
        }
        try (LogManager logs = LogManager.open(config(dataDir).build())) {
            PartitionLog log = logs.log(TP);
            assertEquals(List.of("old", "new0", "new1", "old"), values(log), "recovery reads both kinds");
            assertEquals(1, log.append(frame(42, 0, 0, 2, "new"), true).join().baseOffset());
        }
    }

    @Test
    void theWindowSurvivesARestartAndAnIdleProducerExpiresByTheStoredAppendTimes() {
        ManualClock clock = new ManualClock(1_000_000);
        var cfg = config(dataDir).timeSource(clock).producerIdExpiration(java.time.Duration.ofMinutes(1));
        try (LogManager logs = LogManager.open(cfg.build())) {
            PartitionLog log = logs.log(TP);
            log.append(frame(42, 0, 0, 3, "a"), true).join();
        }
        try (LogManager logs = LogManager.open(cfg.build())) {
            PartitionLog log = logs.log(TP);
            assertEquals(0, log.append(frame(42, 0, 0, 3, "a"), true).join().baseOffset(), "still a duplicate");
            assertEquals(3, log.highWatermark());
            clock.advanceMillis(60_001);
            assertEquals(3, log.append(frame(42, 0, 0, 3, "a"), true).join().baseOffset(), "forgotten: stored");
        }
    }

    /** One append of a random history: producer, epoch, sequence choice, record count, ms passed. */
    record Op(int producer, int epoch, int sequenceChoice, int count, int advanceMillis) {}

    @Provide
    Arbitrary<List<Op>> appendHistories() {
        return Combinators.combine(
                        Arbitraries.integers().between(1, 3),
                        Arbitraries.integers().between(0, 2),
                        Arbitraries.integers().between(0, 3),
                        Arbitraries.integers().between(1, 3),
                        Arbitraries.integers().between(0, 40_000))
                .as(Op::new)
                .list()
                .ofMinSize(1)
                .ofMaxSize(40);
    }

    @Property(tries = 25)
    void theStateAfterARestartEqualsTheStateBeforeForAnyAppendHistory(@ForAll("appendHistories") List<Op> history)
            throws Exception {
        Path dir = java.nio.file.Files.createTempDirectory("idem-recovery");
        try {
            ManualClock clock = new ManualClock(1_000_000);
            var cfg = config(dir)
                    .timeSource(clock)
                    .producerIdExpiration(java.time.Duration.ofMinutes(1))
                    .segmentBytes(1024);
            SortedMap<Long, ProducerStates.View> before;
            long end;
            try (LogManager logs = LogManager.open(cfg.build())) {
                PartitionLog log = logs.log(TP);
                int[][] next = new int[4][3];
                for (Op op : history) {
                    clock.advanceMillis(op.advanceMillis());
                    int[] seq = next[op.producer()];
                    int base = switch (op.sequenceChoice()) {
                        case 0, 1 -> seq[op.epoch()];
                        case 2 -> Math.max(0, seq[op.epoch()] - op.count()); // a resend, maybe
                        default -> seq[op.epoch()] + 1; // a gap
                    };
                    try {
                        AppendResult r = log.append(
                                        frame(op.producer(), op.epoch(), base, op.count(), "p" + op.producer()), true)
                                .join();
                        if (r.baseOffset() + r.recordCount() == log.highWatermark()) {
                            seq[op.epoch()] = Math.max(seq[op.epoch()], base + op.count());
                        }
                    } catch (CompletionException e) {
                        assertEquals(ErrorCode.FAILED_PRECONDITION, cause(e).code(), e.toString());
                    }
                }
                before = log.producerStates().view(clock.wallMillis());
                end = log.highWatermark();
            }
            try (LogManager logs = LogManager.open(cfg.build())) {
                PartitionLog log = logs.log(TP);
                assertEquals(end, log.highWatermark());
                assertEquals(before, log.producerStates().view(clock.wallMillis()));
            }
        } finally {
            LogTestSupport.deleteTree(dir);
        }
    }
}
