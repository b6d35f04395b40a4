package io.gmq.internal.log;

import static io.gmq.internal.log.LogTestSupport.frame;
import static io.gmq.internal.log.LogTestSupport.simpleBatch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.TopicPartition;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchFrame;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LogRecovery on hand-made segment files: what it keeps, what it drops, what it rebuilds. */
class LogRecoveryTest {
    private static final TopicPartition TP = new TopicPartition("rec", 0);
    private static final int INTERVAL = 100;

    @TempDir
    Path dir;

    /** Writes sealed frames of {@code batches} one-record batches (base offsets from {@code base}) to a segment file. */
    private List<Integer> writeSegment(long base, int batches) throws IOException {
        List<Integer> ends = new ArrayList<>();
        ByteBuffer all = ByteBuffer.allocate(1 << 20).order(BatchFormat.ORDER);
        for (int i = 0; i < batches; i++) {
            ByteBuffer f = frame(simpleBatch(1, 40, 1000 + base + i, (int) base + i));
            new BatchFrame().wrap(f, 0).seal(base + i);
            all.put(f);
            ends.add(all.position());
        }
        all.flip();
        Files.write(
                dir.resolve(Segment.fileName(base, Segment.LOG_SUFFIX)),
                java.util.Arrays.copyOf(all.array(), all.limit()));
        return ends;
    }

    private LogRecovery.Recovered recover() throws IOException {
        return new LogRecovery(TP, dir, LogFileIO.DEFAULT, INTERVAL).recover();
    }

    private static void closeAll(LogRecovery.Recovered r) throws IOException {
        for (Segment s : r.segments()) {
            s.close();
        }
    }

    private void append(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes, StandardOpenOption.APPEND);
    }

    @Test
    void emptyDirectoryIsAnEmptyLog() throws IOException {
        LogRecovery.Recovered r = recover();
        assertEquals(1, r.segments().size());
        assertEquals(0, r.nextOffset());
        assertTrue(Files.exists(dir.resolve("00000000000000000000.log")));
        closeAll(r);
    }

    @Test
    void recoveryTruncatesTornTailAtBatchBoundary() throws IOException {
        List<Integer> ends = writeSegment(0, 10);
        Path log = dir.resolve("00000000000000000000.log");
        ByteBuffer half = frame(simpleBatch(1, 40, 1, 99));
        append(log, java.util.Arrays.copyOf(half.array(), half.remaining() / 2));
        LogRecovery.Recovered r = recover();
        assertEquals(10, r.nextOffset());
        assertEquals(ends.get(9).longValue(), Files.size(log));
        closeAll(r);
    }

    @Test
    void recoveryTruncatesAtTheFirstFrameThatFailsItsCrc() throws IOException {
        List<Integer> ends = writeSegment(0, 10);
        Path log = dir.resolve("00000000000000000000.log");
        byte[] bytes = Files.readAllBytes(log);
        bytes[ends.get(6) + BatchFormat.HEADER_LENGTH + 5] ^= 0x10; // a value byte of batch 7
        Files.write(log, bytes);
        LogRecovery.Recovered r = recover();
        assertEquals(7, r.nextOffset());
        assertEquals(ends.get(6).longValue(), Files.size(log));
        closeAll(r);
    }

    @Test
    void recoveryTruncatesAFrameWhoseBaseOffsetDoesNotFollow() throws IOException {
        List<Integer> ends = writeSegment(0, 5);
        Path log = dir.resolve("00000000000000000000.log");
        byte[] bytes = Files.readAllBytes(log);
        // replay batch 0 (valid CRC, offset 0) after batch 4: a different history, not a continuation
        append(log, java.util.Arrays.copyOf(bytes, ends.get(0)));
        LogRecovery.Recovered r = recover();
        assertEquals(5, r.nextOffset());
        assertEquals(ends.get(4).longValue(), Files.size(log));
        closeAll(r);
    }

    @Test
    void recoveryRebuildsAGarbageIndexAndDropsEntriesPastTheLog() throws IOException {
        writeSegment(0, 40);
        Path index = dir.resolve("00000000000000000000.index");
        LogRecovery.Recovered first = recover();
        closeAll(first);
        byte[] good = Files.readAllBytes(index);
        assertTrue(good.length >= 2 * OffsetIndex.ENTRY_LENGTH, "the scan built a sparse index");

        Files.write(index, new byte[] {1, 2, 3, 4, 5, 6, 7}); // torn, not a whole entry
        LogRecovery.Recovered rebuilt = recover();
        closeAll(rebuilt);
        assertEquals(40, rebuilt.nextOffset());
        org.junit.jupiter.api.Assertions.assertArrayEquals(good, Files.readAllBytes(index));

        ByteBuffer beyond = ByteBuffer.allocate(OffsetIndex.ENTRY_LENGTH).order(OffsetIndex.ORDER);
        beyond.putInt(1000).putInt(1 << 20).putLong(Long.MAX_VALUE).flip();
        append(index, beyond.array());
        LogRecovery.Recovered again = recover();
        closeAll(again);
        assertEquals(40, again.nextOffset());
        org.junit.jupiter.api.Assertions.assertArrayEquals(good, Files.readAllBytes(index));
    }

    @Test
    void sealedSegmentsKeepTheirBytesAndGetAnIndex() throws IOException {
        List<Integer> sealedEnds = writeSegment(0, 20);
        writeSegment(20, 3);
        LogRecovery.Recovered r = recover();
        assertEquals(2, r.segments().size());
        assertEquals(23, r.nextOffset());
        Segment sealed = r.segments().get(0);
        assertEquals(sealedEnds.get(19).intValue(), sealed.writtenPosition);
        assertTrue(sealed.index.count() > 1);
        assertEquals(1019, sealed.maxTimestamp);
        closeAll(r);
    }

    @Test
    void corruptionInsideASealedSegmentIsDataLossOnReadNotATruncation() throws IOException {
        List<Integer> ends = writeSegment(0, 20);
        writeSegment(20, 3);
        Path sealed = dir.resolve("00000000000000000000.log");
        byte[] bytes = Files.readAllBytes(sealed);
        bytes[ends.get(9) + BatchFormat.HEADER_LENGTH + 8] ^= 0x01; // a byte inside batch 10
        Files.write(sealed, bytes);

        GmqConfig cfg = LogTestSupport.config(dir.getParent().resolve(dir.getFileName() + "-data"))
                .build();
        Path partitionDir = LogTestSupport.partitionDir(cfg.dataDir(), TP.topic(), TP.partition());
        Files.createDirectories(partitionDir.getParent());
        Files.move(dir, partitionDir);
        try (LogManager logs = LogManager.open(cfg)) {
            PartitionLog log = logs.log(TP);
            assertEquals(23, log.highWatermark(), "a sealed segment is never truncated");
            assertEquals(
                    ErrorCode.DATA_LOSS,
                    assertThrows(GmqException.class, () -> log.read(10, 1 << 16))
                            .code());
            io.gmq.storage.BatchReader upToDamage = new io.gmq.storage.BatchReader();
            upToDamage.wrap(log.read(8, 1 << 16).records());
            long last = -1;
            while (upToDamage.next()) {
                last = upToDamage.offset();
            }
            assertEquals(9, last, "a read that would include the damaged batch stops before it");
            assertEquals(
                    9, new BatchFrame().wrap(log.read(9, 1).records(), 0).baseOffset(), "batches before it are served");
            assertEquals(11, new BatchFrame().wrap(log.read(11, 1).records(), 0).baseOffset());
        } finally {
            LogTestSupport.deleteTree(cfg.dataDir());
        }
    }
}
