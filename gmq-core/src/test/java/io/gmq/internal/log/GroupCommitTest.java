package io.gmq.internal.log;

import static io.gmq.internal.log.LogTestSupport.assertHolds;
import static io.gmq.internal.log.LogTestSupport.config;
import static io.gmq.internal.log.LogTestSupport.frame;
import static io.gmq.internal.log.LogTestSupport.simpleBatch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.TopicPartition;
import io.gmq.internal.log.LogTestSupport.Rec;
import io.gmq.storage.AppendResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many producers' batches, one write, one fsync: proven by holding the writer inside a write. */
class GroupCommitTest {
    @TempDir
    Path dataDir;

    @Test
    void batchesQueuedDuringAWriteShareTheNextWriteAndFsync() throws Exception {
        InstrumentedFileIO io = new InstrumentedFileIO(LogFileIO.DEFAULT);
        try (LogManager logs = LogManager.open(config(dataDir).build(), io)) {
            PartitionLog log = logs.log(new TopicPartition("group", 0));
            InstrumentedFileIO.Gate gate = io.holdNextLogWrite();
            List<Rec> all = new ArrayList<>(simpleBatch(2, 10, 1, 0));
            CompletableFuture<AppendResult> first = log.append(frame(all), true);
            gate.awaitInside();
            List<CompletableFuture<AppendResult>> queued = new ArrayList<>();
            for (int i = 1; i <= 10; i++) {
                List<Rec> batch = simpleBatch(2, 10, 1, i);
                all.addAll(batch);
                queued.add(log.append(frame(batch), true));
            }
            assertFalse(first.isDone(), "not acknowledged before its write and fsync");
            gate.release();
            first.join();
            queued.forEach(CompletableFuture::join);
            assertEquals(
                    2,
                    io.writes(Segment.LOG_SUFFIX),
                    "one write for the first batch, one gather write for the other ten");
            // One fsync per group commit at most: when the syncer's force for the first write starts
            // after the second write ended, it covers both and the second cycle finds nothing to force.
            int forces = io.forces(Segment.LOG_SUFFIX);
            assertTrue(forces == 1 || forces == 2, "at most one fsync per group commit, was " + forces);
            assertHolds(log, 0, all);
        }
    }
}
