package io.gmq.internal.log;

import static io.gmq.internal.log.LogTestSupport.partitionDir;
import static io.gmq.internal.log.LogTestSupport.segmentFiles;
import static io.gmq.internal.log.LogTestSupport.simpleBatch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.GmqConfig;
import io.gmq.TopicPartition;
import io.gmq.VerifyOnStartup;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchFrame;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StartupVerificationTest {
    private static final TopicPartition TP = new TopicPartition("audit", 0);

    @TempDir
    Path dataDir;

    private Path logsDir;
    private GmqConfig cfg;

    @BeforeEach
    void fillThreeSegments() {
        cfg = LogTestSupport.config(dataDir).segmentBytes(1024).build();
        logsDir = dataDir.resolve(LogManager.LOGS_DIR);
        try (LogManager logs = LogManager.open(cfg)) {
            PartitionLog log = logs.log(TP);
            for (int i = 0; i < 12; i++) {
                LogTestSupport.append(log, simpleBatch(2, 100, 1_000 + i, i));
            }
        }
        assertTrue(segmentFiles(partitionDir(dataDir, TP.topic(), 0), ".log").size() >= 3);
    }

    @Test
    void aCleanCloseLeavesTheMarkerAndOpeningRemovesIt() {
        assertTrue(Files.exists(logsDir.resolve(StartupVerification.CLEAN_SHUTDOWN)));
        try (LogManager logs = LogManager.open(cfg)) {
            assertFalse(Files.exists(logsDir.resolve(StartupVerification.CLEAN_SHUTDOWN)), "running: not clean");
            assertTrue(Files.exists(logsDir.resolve(StartupVerification.CHECKPOINT)));
        }
        assertTrue(Files.exists(logsDir.resolve(StartupVerification.CLEAN_SHUTDOWN)));
    }

    @Test
    void afterAnUncleanShutdownTheDefaultVerifiesSegmentsWrittenSinceTheCheckpoint() throws Exception {
        flipFirstSegment();
        Files.delete(logsDir.resolve(StartupVerification.CLEAN_SHUTDOWN));
        assertEquals(1, verify(VerifyOnStartup.UNFLUSHED).size());
    }

    @Test
    void afterACleanShutdownTheDefaultVerifiesNothingButAllDoes() throws Exception {
        flipFirstSegment();
        assertEquals(0, verify(VerifyOnStartup.UNFLUSHED).size());
        Files.write(logsDir.resolve(StartupVerification.CLEAN_SHUTDOWN), new byte[0]);
        assertEquals(1, verify(VerifyOnStartup.ALL).size());
    }

    @Test
    void segmentsOlderThanTheCheckpointAreSkippedAfterAnUncleanShutdown() throws Exception {
        Path first = flipFirstSegment();
        Files.setLastModifiedTime(first, FileTime.fromMillis(System.currentTimeMillis() - 3_600_000));
        Files.writeString(
                logsDir.resolve(StartupVerification.CHECKPOINT),
                Long.toString(System.currentTimeMillis() - 60_000),
                StandardCharsets.US_ASCII);
        Files.delete(logsDir.resolve(StartupVerification.CLEAN_SHUTDOWN));
        assertEquals(0, verify(VerifyOnStartup.UNFLUSHED).size(), "last written before the verified start");
    }

    @Test
    void noneAfterAnUncleanShutdownVerifiesNothingAndKeepsTheOldCheckpoint() throws Exception {
        flipFirstSegment();
        Files.delete(logsDir.resolve(StartupVerification.CLEAN_SHUTDOWN));
        Files.writeString(logsDir.resolve(StartupVerification.CHECKPOINT), "5", StandardCharsets.US_ASCII);
        StartupVerification v = StartupVerification.begin(logsDir, LogFileIO.DEFAULT, VerifyOnStartup.NONE, 99);
        assertEquals(0, verifyWith(v).size());
        v.finish();
        assertEquals("5", Files.readString(logsDir.resolve(StartupVerification.CHECKPOINT)));
    }

    @Test
    void anEngineOpenedAfterAnUncleanShutdownStillServesTheIntactRecords() throws Exception {
        flipFirstSegment();
        Files.delete(logsDir.resolve(StartupVerification.CLEAN_SHUTDOWN));
        try (LogManager logs = LogManager.open(cfg)) {
            PartitionLog log = logs.log(TP);
            assertEquals(24, log.highWatermark());
            assertEquals(2, new BatchFrame().wrap(log.read(2, 1).records(), 0).baseOffset());
        }
    }

    private List<LogVerifier.Damage> verify(VerifyOnStartup mode) throws Exception {
        return verifyWith(StartupVerification.begin(logsDir, LogFileIO.DEFAULT, mode, System.currentTimeMillis()));
    }

    private List<LogVerifier.Damage> verifyWith(StartupVerification v) throws Exception {
        Path dir = partitionDir(dataDir, TP.topic(), 0);
        LogRecovery.Recovered recovered = new LogRecovery(TP, dir, LogFileIO.DEFAULT, 4096).recover();
        try {
            return v.verify(TP, recovered.segments());
        } finally {
            for (Segment s : recovered.segments()) {
                s.close();
            }
        }
    }

    /** Flips a payload bit of the first batch of the first (sealed) segment; keeps its mtime. */
    private Path flipFirstSegment() throws Exception {
        Path first = segmentFiles(partitionDir(dataDir, TP.topic(), 0), ".log").get(0);
        FileTime mtime = Files.getLastModifiedTime(first);
        byte[] bytes = Files.readAllBytes(first);
        int length = new BatchFrame()
                .wrap(ByteBuffer.wrap(bytes).order(BatchFormat.ORDER), 0)
                .frameLength();
        bytes[length - 3] ^= 0x04;
        Files.write(first, bytes);
        Files.setLastModifiedTime(first, mtime);
        return first;
    }
}
