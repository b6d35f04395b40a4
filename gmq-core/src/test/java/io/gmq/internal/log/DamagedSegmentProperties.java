package io.gmq.internal.log;

import static io.gmq.internal.log.LogTestSupport.config;
import static io.gmq.internal.log.LogTestSupport.frame;
import static io.gmq.internal.log.LogTestSupport.partitionDir;
import static io.gmq.internal.log.LogTestSupport.segmentFiles;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.TopicPartition;
import io.gmq.VerifyOnStartup;
import io.gmq.internal.log.LogTestSupport.Rec;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchFrame;
import io.gmq.storage.BatchReader;
import io.gmq.storage.FetchResult;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

/**
 * One flipped bit anywhere in a sealed segment (any field of any frame: length, CRC, base offset,
 * count, header, payload). The guarantee: the damaged batch is never served (every offset in it
 * fails with DATA_LOSS naming exactly its offsets and the offset to reset to), every other batch
 * reads back byte for byte from its own offset, a read from any offset never returns a record
 * different from what was written, and the offline verifier reports exactly the damaged batch.
 */
class DamagedSegmentProperties {
    private static final TopicPartition TP = new TopicPartition("flip", 0);

    /** One stored frame, as laid out before the flip. */
    private record Frame(Path file, long position, int length, long base, int count) {
        long end() {
            return base + count;
        }

        boolean holds(Path f, long bytePosition) {
            return file.equals(f) && bytePosition >= position && bytePosition < position + length;
        }
    }

    @Provide
    Arbitrary<List<List<Rec>>> batches() {
        return LogArbitraries.batches(30);
    }

    @Property(tries = 40)
    void aFlippedBitInASealedSegmentLosesOnlyItsBatch(
            @ForAll("batches") List<List<Rec>> batches,
            @ForAll @IntRange(min = 1024, max = 4000) int segmentBytes,
            @ForAll @IntRange(min = 64, max = 1024) int indexIntervalBytes,
            @ForAll @DoubleRange(min = 0, max = 1) double segmentPick,
            @ForAll @DoubleRange(min = 0, max = 1) double bitPick)
            throws Exception {
        Path dir = Files.createTempDirectory("gmq-flip");
        try {
            GmqConfig cfg = config(dir)
                    .segmentBytes(segmentBytes)
                    .indexIntervalBytes(indexIntervalBytes)
                    .verifyOnStartup(VerifyOnStartup.ALL)
                    .build();
            List<Rec> all = new ArrayList<>();
            try (LogManager logs = LogManager.open(cfg)) {
                PartitionLog log = logs.log(TP);
                for (List<Rec> batch : batches) {
                    log.append(frame(batch), true).join();
                    all.addAll(batch);
                }
            }
            List<Path> files = segmentFiles(partitionDir(dir, "flip", 0), ".log");
            Assume.that(files.size() >= 2);
            List<Frame> frames = layout(files);
            Path victim = files.get((int) Math.min(files.size() - 2, Math.floor(segmentPick * (files.size() - 1))));
            byte[] bytes = Files.readAllBytes(victim);
            long bit = Math.min((long) bytes.length * 8 - 1, (long) Math.floor(bitPick * bytes.length * 8));
            int at = (int) (bit / 8);
            bytes[at] ^= (byte) (1 << (bit % 8));
            Files.write(victim, bytes);
            Frame bad =
                    frames.stream().filter(f -> f.holds(victim, at)).findFirst().orElseThrow();

            LogVerifier.Report report = LogVerifier.verify(dir, null);
            assertEquals(1, report.damage().size(), "findings: " + report.damage());
            LogVerifier.Damage found = report.damage().get(0);
            assertEquals(victim, found.segment());
            assertEquals(bad.position(), found.fromPosition());
            assertEquals(bad.position() + bad.length(), found.toPosition());
            assertEquals(bad.base(), found.fromOffset());
            assertEquals(bad.end(), found.toOffset());

            try (LogManager logs = LogManager.open(cfg)) {
                PartitionLog log = logs.log(TP);
                assertEquals(all.size(), log.highWatermark(), "a sealed segment's damage truncates nothing");
                BatchReader reader = new BatchReader();
                for (Frame f : frames) {
                    if (f == bad) {
                        for (long o = f.base(); o < f.end(); o++) {
                            long offset = o;
                            GmqException e = assertThrows(GmqException.class, () -> log.read(offset, 1 << 16));
                            assertEquals(ErrorCode.DATA_LOSS, e.code());
                            assertTrue(
                                    e.getMessage().contains("offsets " + f.base() + " to " + (f.end() - 1) + " ")
                                            && e.getMessage().contains("--to-offset " + f.end()),
                                    e.getMessage());
                        }
                        continue;
                    }
                    FetchResult r = log.read(f.base(), 1);
                    reader.wrap(r.records());
                    for (int i = 0; i < f.count(); i++) {
                        assertTrue(reader.next(), "batch at " + f.base() + " reads back whole");
                        assertEquals(f.base() + i, reader.offset());
                        assertEquals(all.get((int) reader.offset()), rec(reader));
                    }
                }
                for (long start = 0; start < all.size(); start++) {
                    FetchResult r;
                    try {
                        r = log.read(start, 1 + (int) (start * 131 % 6000));
                    } catch (GmqException e) {
                        assertEquals(ErrorCode.DATA_LOSS, e.code());
                        assertTrue(start >= bad.base() && start < bad.end(), "only the damaged batch fails: " + e);
                        continue;
                    }
                    reader.wrap(r.records());
                    while (reader.next()) {
                        long o = reader.offset();
                        assertTrue(
                                o < bad.base() || o >= bad.end(), "record " + o + " of the damaged batch was served");
                        assertEquals(all.get((int) o), rec(reader));
                    }
                }
            }
        } finally {
            LogTestSupport.deleteTree(dir);
        }
    }

    private static Rec rec(BatchReader reader) {
        return new Rec(reader.timestamp(), reader.key(), reader.value(), reader.headers());
    }

    private static List<Frame> layout(List<Path> files) throws Exception {
        List<Frame> frames = new ArrayList<>();
        for (Path f : files) {
            ByteBuffer view = ByteBuffer.wrap(Files.readAllBytes(f)).order(BatchFormat.ORDER);
            int pos = 0;
            while (pos < view.capacity()) {
                int length = new BatchFrame().wrap(view, pos).frameLength();
                frames.add(new Frame(
                        f,
                        pos,
                        length,
                        new BatchFrame().wrap(view, pos).baseOffset(),
                        new BatchFrame().wrap(view, pos).recordCount()));
                pos += length;
            }
        }
        return frames;
    }
}
