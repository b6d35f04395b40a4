package io.gmq.internal.log;

import static io.gmq.internal.log.LogTestSupport.assertHolds;
import static io.gmq.internal.log.LogTestSupport.config;
import static io.gmq.internal.log.LogTestSupport.frame;
import static io.gmq.internal.log.LogTestSupport.simpleBatch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.TopicPartition;
import io.gmq.internal.log.LogTestSupport.Rec;
import io.gmq.storage.AppendResult;
import io.gmq.storage.BatchReader;
import io.gmq.storage.FetchResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cap on open segment files: the cache closes idle handles and segments reopen them on use,
 * without a wrong read, a spurious error or a lost append.
 */
class OpenFileCapTest {
    /** Two segments' files: every other read or append evicts something. */
    private static final int TINY_CAP = 4;

    @TempDir
    Path dataDir;

    private GmqConfig.Builder tinyCap() {
        return config(dataDir).segmentBytes(2048).indexIntervalBytes(128).maxOpenFiles(TINY_CAP);
    }

    private static TopicPartition tp(int partition) {
        return new TopicPartition("cap", partition);
    }

    @Test
    void readsRacingWithEvictionAlwaysReturnTheAppendedRecords() throws Exception {
        int partitions = 6;
        try (LogManager logs = LogManager.open(tinyCap().build())) {
            List<Map<Long, Rec>> model = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                Map<Long, Rec> records = new ConcurrentHashMap<>();
                model.add(records);
                for (int b = 0; b < 40; b++) {
                    appendAndRecord(
                            logs.log(tp(p)), simpleBatch(1 + b % 3, 50 + b * 7 % 100, b, p * 1000 + b), records);
                }
                assertTrue(logs.log(tp(p)).segmentCount() > 3, "several segments per partition");
            }
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            AtomicBoolean readersDone = new AtomicBoolean();
            Thread appender = new Thread(
                    () -> {
                        int seed = 100_000;
                        while (!readersDone.get()) {
                            int p = seed % partitions;
                            try {
                                appendAndRecord(logs.log(tp(p)), simpleBatch(2, 80, seed, seed), model.get(p));
                            } catch (Throwable t) {
                                failures.add(t);
                                return;
                            }
                            seed++;
                        }
                    },
                    "cap-appender");
            List<Thread> readers = new ArrayList<>();
            for (int r = 0; r < 6; r++) {
                int readerSeed = r;
                readers.add(new Thread(
                        () -> {
                            Random random = new Random(readerSeed);
                            BatchReader reader = new BatchReader();
                            try {
                                for (int i = 0; i < 1500; i++) {
                                    int p = random.nextInt(partitions);
                                    checkOneRead(logs.log(tp(p)), model.get(p), random, reader);
                                }
                            } catch (Throwable t) {
                                failures.add(t);
                            }
                        },
                        "cap-reader-" + r));
            }
            appender.start();
            readers.forEach(Thread::start);
            for (Thread t : readers) {
                t.join();
            }
            readersDone.set(true);
            appender.join();
            if (!failures.isEmpty()) {
                AssertionError error = new AssertionError(failures.size() + " reader or appender failures");
                failures.forEach(error::addSuppressed);
                throw error;
            }
            assertTrue(
                    logs.fileCache().evictions() > 1000,
                    "the cap forced evictions during the reads: "
                            + logs.fileCache().evictions());
            assertTrue(logs.fileCache().openFiles() <= TINY_CAP, "at rest the cache is within its cap");
        }
    }

    private static void appendAndRecord(PartitionLog log, List<Rec> batch, Map<Long, Rec> records) {
        AppendResult r = log.append(frame(batch), true).join();
        for (int i = 0; i < batch.size(); i++) {
            records.put(r.baseOffset() + i, batch.get(i));
        }
    }

    /** One read at a random offset below the high watermark; every record it returns is the one appended there. */
    private static void checkOneRead(PartitionLog log, Map<Long, Rec> records, Random random, BatchReader reader) {
        long hw = log.highWatermark();
        long offset = (long) (random.nextDouble() * hw);
        FetchResult result = log.read(offset, 1 + random.nextInt(4096));
        assertTrue(!result.isEmpty() && !result.outOfRange(), "a read below the high watermark returns data");
        reader.wrap(result.records());
        long first = -1;
        long last = -1;
        while (reader.next()) {
            long at = reader.offset();
            if (first < 0) {
                first = at;
            } else {
                assertEquals(last + 1, at, "offsets continue");
            }
            last = at;
            Rec expected = records.get(at);
            if (expected != null) { // null: appended, but its ack is still on its way to the model
                assertEquals(
                        expected,
                        new Rec(reader.timestamp(), reader.key(), reader.value(), reader.headers()),
                        "record at " + at);
            }
        }
        assertTrue(first <= offset && offset <= last, "the read covers offset " + offset + ": " + first + ".." + last);
    }

    @Test
    void appendsToMorePartitionsThanTheCapAllSurviveReopen() {
        int partitions = 30;
        GmqConfig cfg = tinyCap().build();
        List<List<Rec>> expected = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            expected.add(new ArrayList<>());
        }
        try (LogManager logs = LogManager.open(cfg)) {
            for (int round = 0; round < 12; round++) {
                for (int p = 0; p < partitions; p++) {
                    List<Rec> batch = simpleBatch(1 + (round + p) % 3, 100 + p, round, round * 100 + p);
                    LogTestSupport.append(logs.log(tp(p)), batch);
                    expected.get(p).addAll(batch);
                }
            }
            assertTrue(
                    logs.fileCache().openFiles() <= TINY_CAP,
                    "open files " + logs.fileCache().openFiles());
            assertTrue(logs.log(tp(0)).segmentCount() > 1, "the partitions rolled");
        }
        try (LogManager reopened = LogManager.open(cfg)) {
            for (int p = 0; p < partitions; p++) {
                assertHolds(reopened.log(tp(p)), 0, expected.get(p));
            }
            assertTrue(reopened.fileCache().openFiles() <= TINY_CAP);
        }
    }

    @Test
    void aSegmentFileCutShortOutsideGmqIsAnErrorOnReopenNotAShorterLog() throws Exception {
        GmqConfig cfg = tinyCap().build();
        try (LogManager logs = LogManager.open(cfg)) {
            PartitionLog victim = logs.log(tp(0));
            LogTestSupport.append(victim, simpleBatch(3, 100, 1, 1));
            for (int p = 1; p <= 3; p++) { // push partition 0's files out of the cache
                LogTestSupport.append(logs.log(tp(p)), simpleBatch(1, 10, 1, p));
            }
            assertEquals(null, victim.segments()[0].openFiles(), "partition 0's files were evicted");
            Path file = LogTestSupport.segmentFiles(LogTestSupport.partitionDir(dataDir, "cap", 0), ".log")
                    .get(0);
            try (java.nio.channels.FileChannel ch =
                    java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
                ch.truncate(10);
            }
            GmqException e = assertThrows(GmqException.class, () -> victim.read(0, 4096));
            assertEquals(ErrorCode.INTERNAL, e.code());
            assertTrue(e.getMessage().contains("changed outside GMQ"), e.getMessage());
        }
    }

    @Test
    void maxOpenFilesBelowOneSegmentIsRejectedAndTheDefaultIsDerived() {
        GmqException e = assertThrows(
                GmqException.class, () -> config(dataDir).maxOpenFiles(3).build());
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("maxOpenFiles"), e.getMessage());
        assertTrue(config(dataDir).build().maxOpenFiles() >= 64, "derived default");
    }
}
