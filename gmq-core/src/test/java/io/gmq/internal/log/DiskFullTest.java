package io.gmq.internal.log;

import static io.gmq.internal.log.LogTestSupport.append;
import static io.gmq.internal.log.LogTestSupport.assertHolds;
import static io.gmq.internal.log.LogTestSupport.cause;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskFullTest {
    private static final TopicPartition TP = new TopicPartition("full", 0);

    @TempDir
    Path dataDir;

    @Test
    void aFailedWriteIsResourceExhaustedAndLeavesEarlierDataAndLaterAppendsIntact() {
        FailingFileIO io = new FailingFileIO();
        GmqConfig cfg =
                config(dataDir).segmentBytes(2048).indexIntervalBytes(64).build();
        List<Rec> stored = new ArrayList<>();
        try (LogManager logs = LogManager.open(cfg, io)) {
            PartitionLog log = logs.log(TP);
            for (int i = 0; i < 5; i++) {
                List<Rec> batch = simpleBatch(3, 60, i, i);
                append(log, batch);
                stored.addAll(batch);
            }
            io.failWriteAfter(1);
            GmqException e = cause(assertThrows(Exception.class, () -> append(log, simpleBatch(3, 60, 9, 9))));
            assertEquals(ErrorCode.RESOURCE_EXHAUSTED, e.code());
            assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
            assertEquals(stored.size(), log.highWatermark());
            assertHolds(log, 0, stored);

            io.diskFull(true);
            for (int i = 0; i < 3; i++) {
                assertEquals(
                        ErrorCode.RESOURCE_EXHAUSTED,
                        cause(assertThrows(Exception.class, () -> append(log, simpleBatch(2, 500, 9, 10))))
                                .code());
            }
            io.diskFull(false);
            for (int i = 0; i < 20; i++) {
                List<Rec> batch = simpleBatch(3, 60, 20 + i, 20 + i);
                assertEquals(stored.size(), append(log, batch).baseOffset(), "offsets continue without a gap");
                stored.addAll(batch);
            }
            assertHolds(log, 0, stored);
        }
        try (LogManager logs = LogManager.open(cfg)) {
            assertHolds(logs.log(TP), 0, stored);
        }
    }

    @Test
    void diskFullWhileRollingFailsTheBatchAndTheLogContinuesAfterwards() {
        FailingFileIO io = new FailingFileIO();
        GmqConfig cfg = config(dataDir).segmentBytes(1024).build();
        List<Rec> stored = new ArrayList<>();
        try (LogManager logs = LogManager.open(cfg, io)) {
            PartitionLog log = logs.log(TP);
            List<Rec> first = simpleBatch(1, 800, 1, 1);
            append(log, first);
            stored.addAll(first);
            io.diskFull(true);
            assertEquals(
                    ErrorCode.RESOURCE_EXHAUSTED,
                    cause(assertThrows(
                                    Exception.class,
                                    () -> log.append(frame(simpleBatch(1, 800, 2, 2)), true)
                                            .join()))
                            .code());
            io.diskFull(false);
            List<Rec> next = simpleBatch(1, 800, 3, 3);
            assertEquals(1, append(log, next).baseOffset());
            stored.addAll(next);
            assertHolds(log, 0, stored);
        }
    }
}
