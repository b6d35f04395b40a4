package io.gmq.internal.log;

import static io.gmq.internal.log.LogTestSupport.await;
import static io.gmq.internal.log.LogTestSupport.config;
import static io.gmq.internal.log.LogTestSupport.frame;
import static io.gmq.internal.log.LogTestSupport.readAll;
import static io.gmq.internal.log.LogTestSupport.simpleBatch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.TopicPartition;
import io.gmq.internal.log.LogTestSupport.Rec;
import io.gmq.internal.log.LogTestSupport.Stored;
import io.gmq.storage.AppendResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PowerLossTest {
    private static final TopicPartition TP = new TopicPartition("power", 0);

    @TempDir
    Path dataDir;

    @Test
    void everyAcknowledgedSyncAppendSurvivesPowerLossUnderConcurrentLoad() throws Exception {
        PowerLossFileIO io = new PowerLossFileIO();
        GmqConfig cfg =
                config(dataDir).segmentBytes(16 * 1024).indexIntervalBytes(256).build();
        LogManager logs = LogManager.open(cfg, io);
        PartitionLog log = logs.log(TP);
        Map<Long, List<Rec>> acknowledged = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger seeds = new AtomicInteger();
        List<Thread> producers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread th = new Thread(
                    () -> {
                        while (!stop.get()) {
                            int seed = seeds.incrementAndGet();
                            List<Rec> batch = simpleBatch(1 + seed % 4, 50 + seed % 200, seed, seed);
                            CompletableFuture<AppendResult> f = log.append(frame(batch), true);
                            try {
                                acknowledged.put(f.join().baseOffset(), batch);
                            } catch (RuntimeException failedByPowerCut) {
                                return;
                            }
                        }
                    },
                    "power-producer-" + t);
            producers.add(th);
            th.start();
        }
        await("500 acknowledged appends", () -> acknowledged.size() >= 500);
        cutPowerUnderLoad(io, stop, producers, logs);

        try (LogManager reopened = LogManager.open(cfg, io)) {
            PartitionLog after = reopened.log(TP);
            List<Stored> stored = readAll(after, 0, 8192);
            for (Map.Entry<Long, List<Rec>> e : acknowledged.entrySet()) {
                List<Rec> batch = e.getValue();
                for (int i = 0; i < batch.size(); i++) {
                    long offset = e.getKey() + i;
                    assertTrue(
                            offset < stored.size(),
                            "acknowledged offset " + offset + " lost (hw " + after.highWatermark() + ")");
                    assertEquals(batch.get(i), stored.get((int) offset).rec(), "record at " + offset);
                }
            }
            for (int i = 0; i < stored.size(); i++) {
                assertEquals(i, stored.get(i).offset());
            }
        }
    }

    /**
     * The same guarantee with an open-file cap of two segments over twelve partitions: segments are
     * evicted and reopened all the time, between a write and its group-commit fsync too (the
     * eviction forces them first), and after the cut partitions whose files were closed reopen them.
     */
    @Test
    void everyAcknowledgedSyncAppendSurvivesPowerLossWithATinyOpenFileCap() throws Exception {
        int partitions = 12;
        PowerLossFileIO io = new PowerLossFileIO();
        GmqConfig cfg = config(dataDir)
                .segmentBytes(4 * 1024)
                .indexIntervalBytes(256)
                .maxOpenFiles(4)
                .build();
        LogManager logs = LogManager.open(cfg, io);
        List<Map<Long, List<Rec>>> acknowledged = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            acknowledged.add(new ConcurrentHashMap<>());
        }
        AtomicInteger acks = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger seeds = new AtomicInteger();
        List<Thread> producers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread th = new Thread(
                    () -> {
                        while (!stop.get()) {
                            int seed = seeds.incrementAndGet();
                            int p = seed % partitions;
                            List<Rec> batch = simpleBatch(1 + seed % 4, 50 + seed % 200, seed, seed);
                            try {
                                AppendResult r = logs.log(new TopicPartition("power", p))
                                        .append(frame(batch), true)
                                        .join();
                                acknowledged.get(p).put(r.baseOffset(), batch);
                                acks.incrementAndGet();
                            } catch (RuntimeException failedByPowerCut) {
                                // this partition's files died with the power; others may go on
                            }
                        }
                    },
                    "power-producer-" + t);
            producers.add(th);
            th.start();
        }
        await("600 acknowledged appends", () -> acks.get() >= 600);
        cutPowerUnderLoad(io, stop, producers, logs);

        try (LogManager reopened = LogManager.open(cfg, io)) {
            for (int p = 0; p < partitions; p++) {
                PartitionLog after = reopened.log(new TopicPartition("power", p));
                List<Stored> stored = readAll(after, 0, 8192);
                for (int i = 0; i < stored.size(); i++) {
                    assertEquals(i, stored.get(i).offset());
                }
                for (Map.Entry<Long, List<Rec>> e : acknowledged.get(p).entrySet()) {
                    List<Rec> batch = e.getValue();
                    for (int i = 0; i < batch.size(); i++) {
                        long offset = e.getKey() + i;
                        assertTrue(
                                offset < stored.size(),
                                "partition " + p + ": acknowledged offset " + offset + " lost (hw "
                                        + after.highWatermark() + ")");
                        assertEquals(batch.get(i), stored.get((int) offset).rec(), "record at " + offset);
                    }
                }
            }
        }
    }

    /** Under the OS policy nothing forces a write, except closing its file to stay under the cap. */
    @Test
    void evictingADirtySegmentForcesItBeforeClosingIt() throws Exception {
        PowerLossFileIO io = new PowerLossFileIO();
        GmqConfig cfg =
                config(dataDir).flushPolicy(FlushPolicy.OS).maxOpenFiles(4).build();
        TopicPartition evicted = new TopicPartition("power", 0);
        LogManager logs = LogManager.open(cfg, io);
        for (int i = 0; i < 5; i++) {
            logs.log(evicted).append(frame(simpleBatch(2, 100, i, i)), true).join();
        }
        for (int p = 1; p <= 3; p++) {
            logs.log(new TopicPartition("power", p))
                    .append(frame(simpleBatch(1, 10, p, p)), true)
                    .join();
        }
        assertEquals(null, logs.log(evicted).segments()[0].openFiles(), "partition 0's files were evicted");
        io.cutPower();
        logs.close();
        try (LogManager reopened = LogManager.open(cfg, io)) {
            assertEquals(10, reopened.log(evicted).highWatermark());
        }
    }

    @Test
    void unforcedDataIsLostOnPowerCutUnderTheOsPolicy() throws Exception {
        PowerLossFileIO io = new PowerLossFileIO();
        GmqConfig cfg = config(dataDir).flushPolicy(FlushPolicy.OS).build();
        LogManager logs = LogManager.open(cfg, io);
        PartitionLog log = logs.log(TP);
        for (int i = 0; i < 20; i++) {
            log.append(frame(simpleBatch(5, 100, i, i)), true).join();
        }
        assertEquals(100, log.highWatermark());
        io.cutPower();
        logs.close();
        try (LogManager reopened = LogManager.open(cfg, io)) {
            assertTrue(reopened.log(TP).highWatermark() < 100, "the simulator must drop unforced bytes");
        }
    }

    @Test
    void theIntervalTimerMakesAcknowledgedAppendsDurable() throws Exception {
        PowerLossFileIO io = new PowerLossFileIO();
        GmqConfig cfg = config(dataDir)
                .flushPolicy(FlushPolicy.interval(java.time.Duration.ofMillis(10)))
                .build();
        LogManager logs = LogManager.open(cfg, io);
        PartitionLog log = logs.log(TP);
        for (int i = 0; i < 20; i++) {
            log.append(frame(simpleBatch(5, 100, i, i)), true).join();
        }
        long forcesAfterAppends = io.forceCount();
        await("an interval flush after the appends", () -> io.forceCount() >= forcesAfterAppends + 2);
        io.cutPower();
        logs.close();
        try (LogManager reopened = LogManager.open(cfg, io)) {
            assertEquals(100, reopened.log(TP).highWatermark());
        }
    }

    @Test
    void cleanCloseUnderTheOsPolicyForcesEverything() throws Exception {
        PowerLossFileIO io = new PowerLossFileIO();
        GmqConfig cfg = config(dataDir).flushPolicy(FlushPolicy.OS).build();
        try (LogManager logs = LogManager.open(cfg, io)) {
            for (int i = 0; i < 20; i++) {
                logs.log(TP).append(frame(simpleBatch(5, 100, i, i)), true).join();
            }
        }
        io.cutPower();
        try (LogManager reopened = LogManager.open(cfg, io)) {
            assertEquals(100, reopened.log(TP).highWatermark());
        }
    }

    /**
     * An acknowledgement forces the log alone; the active segment's index is forced once per
     * {@link Segment#INDEX_FORCE_ENTRIES} entries. Entries lost with the power are rebuilt by
     * recovery's scan: every acknowledged record reads back, from any offset, through the index.
     */
    @Test
    void indexEntriesLostWithThePowerAreRebuiltAndAcknowledgementsForceOnlyTheLog() throws Exception {
        PowerLossFileIO io = new PowerLossFileIO();
        // every frame gets an index entry: 600 appends cross the index force threshold twice
        GmqConfig cfg = config(dataDir).indexIntervalBytes(64).build();
        int appends = 600;
        List<List<Rec>> batches = new ArrayList<>();
        LogManager logs = LogManager.open(cfg, io);
        PartitionLog log = logs.log(TP);
        long logForces = io.forceCount(".log");
        long indexForces = io.forceCount(".index");
        for (int i = 0; i < appends; i++) {
            List<Rec> batch = simpleBatch(1, 80, i, i);
            batches.add(batch);
            assertEquals(i, log.append(frame(batch), true).join().baseOffset());
        }
        assertEquals(appends, io.forceCount(".log") - logForces, "one log force per acknowledged append");
        assertEquals(
                appends / Segment.INDEX_FORCE_ENTRIES,
                io.forceCount(".index") - indexForces,
                "the index is forced once per " + Segment.INDEX_FORCE_ENTRIES + " entries");
        io.cutPower();
        logs.close();

        try (LogManager reopened = LogManager.open(cfg, io)) {
            PartitionLog after = reopened.log(TP);
            assertEquals(appends, after.highWatermark());
            assertEquals(appends, after.segments()[0].index.count(), "every lost entry rebuilt");
            for (int from : new int[] {0, 100, 511, 513, 599}) {
                List<Stored> stored = readAll(after, from, 1 << 20);
                assertEquals(appends - from, stored.size(), "records from " + from);
                for (int i = 0; i < stored.size(); i++) {
                    assertEquals(from + i, stored.get(i).offset());
                    assertEquals(batches.get(from + i).get(0), stored.get(i).rec());
                }
            }
        }
    }

    /** Cuts the power while the producers run, then stops them and closes the (dead) manager. */
    private static void cutPowerUnderLoad(
            PowerLossFileIO io, AtomicBoolean stop, List<Thread> producers, LogManager logs) throws Exception {
        io.cutPower();
        stop.set(true);
        for (Thread th : producers) {
            th.join();
        }
        logs.close();
    }
}
