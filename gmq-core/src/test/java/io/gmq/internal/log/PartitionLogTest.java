package io.gmq.internal.log;

import static io.gmq.internal.log.LogTestSupport.append;
import static io.gmq.internal.log.LogTestSupport.assertHolds;
import static io.gmq.internal.log.LogTestSupport.await;
import static io.gmq.internal.log.LogTestSupport.cause;
import static io.gmq.internal.log.LogTestSupport.config;
import static io.gmq.internal.log.LogTestSupport.frame;
import static io.gmq.internal.log.LogTestSupport.partitionDir;
import static io.gmq.internal.log.LogTestSupport.readAll;
import static io.gmq.internal.log.LogTestSupport.segmentFiles;
import static io.gmq.internal.log.LogTestSupport.simpleBatch;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.Header;
import io.gmq.TopicPartition;
import io.gmq.internal.log.LogTestSupport.Rec;
import io.gmq.internal.log.LogTestSupport.Stored;
import io.gmq.storage.AppendResult;
import io.gmq.storage.BatchBuilder;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchFrame;
import io.gmq.storage.BatchReader;
import io.gmq.storage.FetchResult;
import io.gmq.testkit.ManualClock;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartitionLogTest {
    private static final TopicPartition TP = new TopicPartition("orders", 0);

    @TempDir
    Path dataDir;

    @Test
    void appendAssignsDenseOffsetsAndReadsBackRecords() {
        try (LogManager logs = LogManager.open(config(dataDir).build())) {
            PartitionLog log = logs.log(TP);
            List<Rec> all = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                List<Rec> batch = simpleBatch(3 + i, 10 * i, 1000 + i, i);
                AppendResult r = append(log, batch);
                assertEquals(all.size(), r.baseOffset());
                assertEquals(batch.size(), r.recordCount());
                all.addAll(batch);
            }
            assertEquals(all.size(), log.highWatermark());
            assertHolds(log, 0, all);
            assertTrue(Files.exists(partitionDir(dataDir, "orders", 0).resolve("00000000000000000000.log")));
            assertTrue(Files.exists(partitionDir(dataDir, "orders", 0).resolve("00000000000000000000.index")));
        }
    }

    @Test
    void readStartsWithTheFrameContainingTheOffsetAndReturnsAtLeastOneWholeFrame() {
        try (LogManager logs = LogManager.open(config(dataDir).build())) {
            PartitionLog log = logs.log(TP);
            append(log, simpleBatch(10, 100, 1, 1));
            append(log, simpleBatch(10, 100, 1, 2));
            FetchResult r = log.read(5, 1);
            ByteBuffer records = r.records();
            assertEquals(0, new BatchFrame().wrap(records, records.position()).baseOffset());
            assertEquals(
                    records.remaining(),
                    new BatchFrame().wrap(records, records.position()).frameLength(),
                    "exactly one frame");
            FetchResult both = log.read(5, 1 << 20);
            BatchReader reader = new BatchReader(both.records());
            int n = 0;
            while (reader.next()) {
                n++;
            }
            assertEquals(20, n);
        }
    }

    @Test
    void readPastHighWatermarkIsInvalidArgumentAndAtHighWatermarkIsEmpty() {
        try (LogManager logs = LogManager.open(config(dataDir).build())) {
            PartitionLog log = logs.log(TP);
            append(log, simpleBatch(2, 5, 1, 1));
            assertTrue(log.read(2, 100).isEmpty());
            GmqException e = assertThrows(GmqException.class, () -> log.read(3, 100));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertTrue(
                    e.getMessage().contains("offset 3 is past the end of the log (high watermark 2)"), e.getMessage());
        }
    }

    @Test
    void validationErrorsChangeNothing() {
        try (LogManager logs = LogManager.open(
                config(dataDir).maxMessageBytes(200).maxBatchBytes(1000).build())) {
            PartitionLog log = logs.log(TP);
            append(log, simpleBatch(1, 10, 1, 1));
            long sizeBefore = log.sizeBytes();

            ByteBuffer truncated = frame(simpleBatch(2, 10, 1, 2));
            truncated.limit(truncated.limit() - 3);
            assertEquals(
                    ErrorCode.INVALID_ARGUMENT,
                    cause(assertThrows(
                                    Exception.class,
                                    () -> log.append(truncated, true).join()))
                            .code());

            ByteBuffer badMagic = frame(simpleBatch(1, 10, 1, 3));
            badMagic.putShort(BatchFormat.MAGIC_OFFSET, (short) 9);
            GmqException magic = cause(assertThrows(
                    Exception.class, () -> log.append(badMagic, true).join()));
            assertEquals(ErrorCode.INVALID_ARGUMENT, magic.code());
            assertTrue(magic.getMessage().contains("magic"), magic.getMessage());

            GmqException big = cause(assertThrows(
                    Exception.class,
                    () -> log.append(frame(simpleBatch(1, 300, 1, 4)), true).join()));
            assertEquals(ErrorCode.RESOURCE_EXHAUSTED, big.code());
            assertTrue(
                    big.getMessage()
                            .matches(
                                    "record of \\d+ bytes exceeds the maximum message size of 200 bytes \\(maxMessageBytes\\)"),
                    big.getMessage());

            GmqException batch = cause(assertThrows(
                    Exception.class,
                    () -> log.append(frame(simpleBatch(10, 100, 1, 5)), true).join()));
            assertEquals(ErrorCode.RESOURCE_EXHAUSTED, batch.code());

            assertEquals(1, log.highWatermark());
            assertEquals(sizeBefore, log.sizeBytes());
            assertEquals(1, append(log, simpleBatch(1, 10, 1, 6)).baseOffset());
        }
    }

    @Test
    void attributesAndHeadersSurviveTheLog() {
        try (LogManager logs = LogManager.open(config(dataDir).build())) {
            PartitionLog log = logs.log(TP);
            BatchBuilder b = new BatchBuilder().attributes(BatchFormat.ATTR_QOS_AT_LEAST_ONCE);
            b.add(7, null, "v".getBytes(), List.of(Header.of("h", "x")));
            log.append(b.buildCopy(), true).join();
            FetchResult r = log.read(0, 100);
            assertEquals(
                    BatchFormat.ATTR_QOS_AT_LEAST_ONCE,
                    new BatchFrame().wrap(r.records(), r.records().position()).attributes());
            BatchReader reader = new BatchReader(r.records());
            assertTrue(reader.next());
            assertFalse(reader.hasKey());
            assertEquals(List.of(Header.of("h", "x")), reader.headers());
        }
    }

    @Test
    void readOnlyAndOffsetBuffersAreAccepted() {
        try (LogManager logs = LogManager.open(config(dataDir).build())) {
            PartitionLog log = logs.log(TP);
            List<Rec> first = simpleBatch(2, 10, 1, 1);
            assertEquals(
                    0, log.append(frame(first).asReadOnlyBuffer(), true).join().baseOffset());
            List<Rec> second = simpleBatch(3, 10, 1, 2);
            ByteBuffer f = frame(second);
            ByteBuffer padded = ByteBuffer.allocate(f.remaining() + 7).order(BatchFormat.ORDER);
            padded.position(7);
            padded.put(f).position(7);
            assertEquals(2, log.append(padded, true).join().baseOffset());
            List<Rec> all = new ArrayList<>(first);
            all.addAll(second);
            assertHolds(log, 0, all);
        }
    }

    @Test
    void segmentsRollBySizeAndReadsCrossSegments() {
        try (LogManager logs = LogManager.open(
                config(dataDir).segmentBytes(4096).indexIntervalBytes(256).build())) {
            PartitionLog log = logs.log(TP);
            List<Rec> all = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                List<Rec> batch = simpleBatch(2, 150, i, i);
                append(log, batch);
                all.addAll(batch);
            }
            List<Path> files = segmentFiles(partitionDir(dataDir, "orders", 0), ".log");
            assertTrue(files.size() >= 5, "segments: " + files);
            for (Path f : files) {
                assertTrue(sizeOf(f) <= 4096, f + " is " + sizeOf(f));
            }
            assertHolds(log, 0, all);
            assertHolds(log, 37, all.subList(37, all.size()));
        }
    }

    @Test
    void segmentsRollByAgeOfTheirFirstBatch() {
        ManualClock clock = new ManualClock(1_000_000);
        GmqConfig cfg = config(dataDir)
                .timeSource(clock)
                .segmentAge(Duration.ofMinutes(10))
                .build();
        try (LogManager logs = LogManager.open(cfg)) {
            PartitionLog log = logs.log(TP);
            append(log, simpleBatch(1, 10, 1, 1));
            clock.advanceMillis(Duration.ofMinutes(9).toMillis());
            append(log, simpleBatch(1, 10, 1, 2));
            assertEquals(1, log.segmentCount());
            clock.advanceMillis(Duration.ofMinutes(2).toMillis());
            append(log, simpleBatch(1, 10, 1, 3));
            assertEquals(2, log.segmentCount());
            assertEquals(2, log.segments()[1].baseOffset);
        }
    }

    @Test
    void retentionByAgeDeletesWholeOldSegmentsAndMovesLogStart() {
        ManualClock clock = new ManualClock(10_000_000);
        GmqConfig cfg = config(dataDir)
                .timeSource(clock)
                .segmentBytes(1024)
                .retentionAge(Duration.ofHours(1))
                .build();
        try (LogManager logs = LogManager.open(cfg)) {
            PartitionLog log = logs.log(TP);
            for (int i = 0; i < 10; i++) {
                append(log, simpleBatch(2, 200, clock.wallMillis(), i));
            }
            long oldHw = log.highWatermark();
            clock.advanceMillis(Duration.ofHours(2).toMillis());
            for (int i = 0; i < 3; i++) {
                append(log, simpleBatch(2, 200, clock.wallMillis(), 100 + i));
            }
            int segmentsBefore = log.segmentCount();
            logs.runRetention();
            assertTrue(log.segmentCount() < segmentsBefore);
            assertTrue(log.logStartOffset() > 0 && log.logStartOffset() <= oldHw, "start " + log.logStartOffset());
            FetchResult below = log.read(0, 1000);
            assertTrue(below.outOfRange());
            assertEquals(log.logStartOffset(), below.logStartOffset());
            // what is left reads back, and the new records are all there
            List<Stored> rest = readAll(log, log.logStartOffset(), 4096);
            assertEquals(log.highWatermark() - log.logStartOffset(), rest.size());
        }
    }

    @Test
    void retentionByBytesKeepsThePartitionUnderTheLimitAndNeverDeletesTheActiveSegment() {
        GmqConfig cfg = config(dataDir).segmentBytes(1024).retentionBytes(3000).build();
        try (LogManager logs = LogManager.open(cfg)) {
            PartitionLog log = logs.log(TP);
            for (int i = 0; i < 30; i++) {
                append(log, simpleBatch(1, 300, i, i));
            }
            logs.runRetention();
            assertTrue(log.sizeBytes() <= 3000, "size " + log.sizeBytes());
            assertTrue(log.logStartOffset() > 0);
            assertEquals(30, log.highWatermark());
            assertTrue(log.read(0, 100).outOfRange());
            assertEquals(
                    log.highWatermark() - log.logStartOffset(),
                    readAll(log, log.logStartOffset(), 100).size());
        }
        // reopening keeps the moved start
        try (LogManager logs = LogManager.open(cfg)) {
            PartitionLog log = logs.log(TP);
            assertTrue(log.logStartOffset() > 0);
            assertEquals(30, log.highWatermark());
        }
    }

    @Test
    void deletedIndexIsRebuiltOnOpen() throws Exception {
        GmqConfig cfg =
                config(dataDir).segmentBytes(4096).indexIntervalBytes(128).build();
        List<Rec> all = new ArrayList<>();
        try (LogManager logs = LogManager.open(cfg)) {
            PartitionLog log = logs.log(TP);
            for (int i = 0; i < 40; i++) {
                List<Rec> batch = simpleBatch(3, 50, i, i);
                append(log, batch);
                all.addAll(batch);
            }
        }
        Path dir = partitionDir(dataDir, "orders", 0);
        List<Path> indexes = segmentFiles(dir, ".index");
        assertTrue(indexes.size() >= 2);
        byte[] firstIndex = Files.readAllBytes(indexes.get(0));
        byte[] lastIndex = Files.readAllBytes(indexes.get(indexes.size() - 1));
        for (Path p : indexes) {
            Files.delete(p);
        }
        try (LogManager logs = LogManager.open(cfg)) {
            PartitionLog log = logs.log(TP);
            assertHolds(log, 0, all);
            assertHolds(log, 50, all.subList(50, all.size()));
        }
        assertArrayEquals(firstIndex, Files.readAllBytes(indexes.get(0)), "rebuilt sealed index");
        assertArrayEquals(lastIndex, Files.readAllBytes(indexes.get(indexes.size() - 1)), "rebuilt active index");
    }

    @Test
    void manyPartitionsAreIndependentAndSurviveReopen() {
        GmqConfig cfg = config(dataDir).segmentBytes(2048).build();
        int partitions = 12;
        List<List<Rec>> expected = new ArrayList<>();
        try (LogManager logs = LogManager.open(cfg)) {
            List<CompletableFuture<AppendResult>> futures = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                expected.add(new ArrayList<>());
            }
            for (int round = 0; round < 10; round++) {
                for (int p = 0; p < partitions; p++) {
                    List<Rec> batch = simpleBatch(1 + p % 3, 40 + p, round, round * 100 + p);
                    expected.get(p).addAll(batch);
                    futures.add(logs.log(new TopicPartition(p % 2 == 0 ? "even" : "odd", p))
                            .append(frame(batch), true));
                }
            }
            futures.forEach(CompletableFuture::join);
        }
        try (LogManager logs = LogManager.open(cfg)) {
            assertEquals(partitions, logs.partitions().size());
            for (int p = 0; p < partitions; p++) {
                assertHolds(logs.log(new TopicPartition(p % 2 == 0 ? "even" : "odd", p)), 0, expected.get(p));
            }
        }
    }

    @Test
    void concurrentProducersGetDenseUniqueOffsetsAndReadersNeverSeePartialData() throws Exception {
        GmqConfig cfg =
                config(dataDir).segmentBytes(64 * 1024).indexIntervalBytes(512).build();
        int producers = 8;
        int batchesEach = 60;
        try (LogManager logs = LogManager.open(cfg)) {
            PartitionLog log = logs.log(TP);
            AtomicBoolean done = new AtomicBoolean();
            AtomicReference<Throwable> readerError = new AtomicReference<>();
            Thread reader = new Thread(
                    () -> {
                        BatchReader br = new BatchReader();
                        try {
                            while (!done.get()) {
                                long next = 0;
                                while (next < log.highWatermark()) {
                                    FetchResult r = log.read(next, 2048);
                                    br.wrap(r.records());
                                    while (br.next()) {
                                        if (br.offset() >= next) {
                                            if (br.offset() != next) {
                                                throw new AssertionError(
                                                        "gap: expected " + next + " got " + br.offset());
                                            }
                                            String v = new String(br.value());
                                            if (!v.startsWith("p") || !v.endsWith(";")) {
                                                throw new AssertionError("torn value " + v);
                                            }
                                            next++;
                                        }
                                    }
                                    if (next > r.highWatermark()) {
                                        throw new AssertionError("read past the high watermark");
                                    }
                                }
                            }
                        } catch (Throwable t) {
                            readerError.set(t);
                        }
                    },
                    "test-reader");
            reader.start();
            ConcurrentLinkedQueue<AppendResult> results = new ConcurrentLinkedQueue<>();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < producers; t++) {
                int id = t;
                Thread th = new Thread(
                        () -> {
                            try {
                                start.await();
                                for (int b = 0; b < batchesEach; b++) {
                                    BatchBuilder bb = new BatchBuilder();
                                    int n = 1 + (b % 5);
                                    for (int i = 0; i < n; i++) {
                                        bb.add(b, null, ("p" + id + "-" + b + "-" + i + ";").getBytes(), null);
                                    }
                                    results.add(log.append(bb.buildCopy(), b % 7 != 0)
                                            .join());
                                }
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        },
                        "test-producer-" + t);
                threads.add(th);
                th.start();
            }
            start.countDown();
            for (Thread th : threads) {
                th.join();
            }
            long total = results.stream().mapToLong(AppendResult::recordCount).sum();
            await("high watermark", () -> log.highWatermark() == total);
            done.set(true);
            reader.join();
            if (readerError.get() != null) {
                throw new AssertionError(readerError.get());
            }
            boolean[] seen = new boolean[(int) total];
            for (AppendResult r : results) {
                for (long o = r.baseOffset(); o <= r.lastOffset(); o++) {
                    assertFalse(seen[(int) o], "offset " + o + " assigned twice");
                    seen[(int) o] = true;
                }
            }
            assertEquals(total, readAll(log, 0, 4096).size());
        }
    }

    @Test
    void longPollFetchCompletesWhenDataArrives() {
        try (LogManager logs = LogManager.open(config(dataDir).build())) {
            PartitionLog log = logs.log(TP);
            CompletableFuture<FetchResult> waiting = log.fetch(0, 1000, 60_000);
            assertFalse(waiting.isDone());
            append(log, simpleBatch(2, 10, 1, 1));
            FetchResult r = waiting.join();
            assertFalse(r.isEmpty());
            assertEquals(2, r.highWatermark());
        }
    }

    @Test
    void longPollFetchTimesOutEmpty() {
        try (LogManager logs = LogManager.open(config(dataDir).build())) {
            PartitionLog log = logs.log(TP);
            append(log, simpleBatch(1, 10, 1, 1));
            FetchResult r = log.fetch(1, 1000, 30).join();
            assertTrue(r.isEmpty());
            assertFalse(r.outOfRange());
            assertFalse(log.fetch(0, 1000, 30_000).join().isEmpty(), "data present: completes at once");
        }
    }

    @Test
    void aWaitingFetchIsReadAndCompletedOnTheGivenExecutor() throws Exception {
        ExecutorService delivery = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-delivery"));
        try (LogManager logs = LogManager.open(config(dataDir).build())) {
            PartitionLog log = logs.log(TP);
            AtomicReference<String> completedOn = new AtomicReference<>();
            CompletableFuture<FetchResult> waiting = log.fetch(0, 1000, 60_000, delivery);
            CompletableFuture<FetchResult> seen = waiting.whenComplete(
                    (r, e) -> completedOn.set(Thread.currentThread().getName()));
            assertFalse(waiting.isDone());
            append(log, simpleBatch(3, 10, 1, 1));
            FetchResult r = seen.get(10, TimeUnit.SECONDS);
            assertEquals(3, r.highWatermark());
            assertEquals(3, readRecords(r));
            assertEquals("test-delivery", completedOn.get());

            // ready at once: completes on the caller
            assertTrue(log.fetch(0, 1000, 60_000, delivery).isDone());
        } finally {
            delivery.shutdownNow();
        }
    }

    @Test
    void waitsThatDataEndsLeaveOneTimeoutSweepPerPartition() throws Exception {
        try (LogManager logs = LogManager.open(config(dataDir).build())) {
            PartitionLog log = logs.log(TP);
            ScheduledThreadPoolExecutor scheduler = (ScheduledThreadPoolExecutor) logs.scheduler();
            int scheduledBefore = scheduler.getQueue().size();
            for (int i = 0; i < 100; i++) {
                CompletableFuture<FetchResult> waiting = log.fetch(i, 1000, 60_000);
                assertFalse(waiting.isDone());
                append(log, simpleBatch(1, 10, 1, i));
                assertEquals(i + 1, waiting.get(10, TimeUnit.SECONDS).highWatermark());
            }
            assertEquals(scheduledBefore + 1, scheduler.getQueue().size(), "100 long polls, one pending sweep");
        }
    }

    @Test
    void aShorterWaitEndsOnTimeWhileALongerOneKeepsWaiting() throws Exception {
        try (LogManager logs = LogManager.open(config(dataDir).build())) {
            PartitionLog log = logs.log(TP);
            CompletableFuture<FetchResult> longWait = log.fetch(0, 1000, 600_000);
            CompletableFuture<FetchResult> shortWait = log.fetch(0, 1000, 20);
            assertTrue(shortWait.get(10, TimeUnit.SECONDS).isEmpty());
            assertFalse(longWait.isDone(), "the long poll still waits");

            // the sweep that ended the short wait booked the next one: a later short wait ends too
            CompletableFuture<FetchResult> again = log.fetch(0, 1000, 20);
            assertTrue(again.get(10, TimeUnit.SECONDS).isEmpty());
            append(log, simpleBatch(2, 10, 1, 1));
            assertEquals(2, longWait.get(10, TimeUnit.SECONDS).highWatermark());
        }
    }

    @Test
    void aWaitThatEndsEmptyAfterDataEndedAnEarlierOneStillEnds() throws Exception {
        try (LogManager logs = LogManager.open(config(dataDir).build())) {
            PartitionLog log = logs.log(TP);
            CompletableFuture<FetchResult> first = log.fetch(0, 1000, 200);
            append(log, simpleBatch(1, 10, 1, 1));
            assertEquals(1, first.get(10, TimeUnit.SECONDS).highWatermark());
            // parked behind the sweep booked for the first wait, which it outlives: rebooked, not lost
            CompletableFuture<FetchResult> second = log.fetch(1, 1000, 400);
            FetchResult r = second.get(10, TimeUnit.SECONDS);
            assertTrue(r.isEmpty());
            assertEquals(1, r.highWatermark());
        }
    }

    private static int readRecords(FetchResult r) {
        int n = 0;
        ByteBuffer buf = r.records();
        int pos = buf.position();
        while (buf.limit() - pos >= BatchFormat.HEADER_LENGTH) {
            n += new BatchFrame().wrap(buf, pos).recordCount();
            pos += new BatchFrame().wrap(buf, pos).frameLength();
        }
        return n;
    }

    @Test
    void offsetForTimestampFindsFirstRecordAtOrAfter() {
        try (LogManager logs = LogManager.open(
                config(dataDir).segmentBytes(1024).indexIntervalBytes(64).build())) {
            PartitionLog log = logs.log(TP);
            for (int i = 0; i < 50; i++) {
                append(log, simpleBatch(2, 40, 1000 + i * 10L, i));
            }
            assertEquals(0, log.offsetForTimestamp(0));
            assertEquals(0, log.offsetForTimestamp(1000));
            assertEquals(2, log.offsetForTimestamp(1001));
            assertEquals(40, log.offsetForTimestamp(1200));
            assertEquals(100, log.offsetForTimestamp(5000));
        }
    }

    @Test
    void closedManagerFailsCallsWithUnavailable() {
        LogManager logs = LogManager.open(config(dataDir).build());
        PartitionLog log = logs.log(TP);
        append(log, simpleBatch(1, 10, 1, 1));
        logs.close();
        assertEquals(
                ErrorCode.UNAVAILABLE,
                assertThrows(GmqException.class, () -> logs.log(TP)).code());
        assertEquals(
                ErrorCode.UNAVAILABLE,
                cause(assertThrows(
                                Exception.class,
                                () -> log.append(frame(simpleBatch(1, 10, 1, 2)), true)
                                        .join()))
                        .code());
        assertEquals(
                ErrorCode.UNAVAILABLE,
                assertThrows(GmqException.class, () -> log.read(0, 10)).code());
    }

    @Test
    void deleteTopicRemovesItsDirectoriesAndStartsOverEmpty() {
        try (LogManager logs = LogManager.open(config(dataDir).build())) {
            append(logs.log(new TopicPartition("gone", 0)), simpleBatch(1, 10, 1, 1));
            append(logs.log(new TopicPartition("gone", 1)), simpleBatch(1, 10, 1, 1));
            append(logs.log(new TopicPartition("kept", 0)), simpleBatch(1, 10, 1, 1));
            logs.deleteTopic("gone");
            assertFalse(Files.exists(dataDir.resolve("logs").resolve("gone")));
            assertEquals(1, logs.log(new TopicPartition("kept", 0)).highWatermark());
            assertEquals(0, logs.log(new TopicPartition("gone", 0)).highWatermark());
        }
    }

    @Test
    void intervalAndOsPoliciesAcknowledgeAfterWriteAndReadBack() {
        for (FlushPolicy policy : List.of(FlushPolicy.interval(Duration.ofMillis(5)), FlushPolicy.OS)) {
            Path dir = dataDir.resolve(policy.toString());
            List<Rec> all = new ArrayList<>();
            try (LogManager logs =
                    LogManager.open(config(dir).flushPolicy(policy).build())) {
                for (int i = 0; i < 20; i++) {
                    List<Rec> batch = simpleBatch(2, 20, i, i);
                    all.addAll(batch);
                    logs.log(TP).append(frame(batch), i % 2 == 0).join();
                }
                assertHolds(logs.log(TP), 0, all);
            }
            try (LogManager logs =
                    LogManager.open(config(dir).flushPolicy(policy).build())) {
                assertHolds(logs.log(TP), 0, all);
            }
        }
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
