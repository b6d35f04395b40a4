package io.gmq.internal.log;

import static io.gmq.internal.log.LogTestSupport.config;
import static io.gmq.internal.log.LogTestSupport.frame;
import static io.gmq.internal.log.LogTestSupport.partitionDir;
import static io.gmq.internal.log.LogTestSupport.segmentFiles;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.TopicPartition;
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
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

class CorruptionProperties {
    private static final TopicPartition TP = new TopicPartition("rot", 0);

    @Provide
    Arbitrary<List<List<Rec>>> batches() {
        return LogArbitraries.batches(20);
    }

    @Property(tries = 40)
    void aFlippedByteNeverComesBackAsValidRecords(
            @ForAll("batches") List<List<Rec>> batches,
            @ForAll @IntRange(min = 1024, max = 6000) int segmentBytes,
            @ForAll @DoubleRange(min = 0, max = 1) double segmentPick,
            @ForAll @DoubleRange(min = 0, max = 1) double bytePick,
            @ForAll @IntRange(min = 1, max = 255) int flipMask)
            throws Exception {
        Path dir = Files.createTempDirectory("gmq-rot");
        try {
            GmqConfig cfg = config(dir)
                    .segmentBytes(segmentBytes)
                    .indexIntervalBytes(128)
                    .build();
            List<Rec> all = new ArrayList<>();
            try (LogManager logs = LogManager.open(cfg)) {
                PartitionLog log = logs.log(TP);
                for (List<Rec> batch : batches) {
                    log.append(frame(batch), true).join();
                    all.addAll(batch);
                }
            }
            List<Path> files = segmentFiles(partitionDir(dir, "rot", 0), ".log");
            Path victim = files.get((int) Math.min(files.size() - 1, Math.floor(segmentPick * files.size())));
            byte[] bytes = Files.readAllBytes(victim);
            int at = (int) Math.min(bytes.length - 1, Math.floor(bytePick * bytes.length));
            // find the batch that holds byte `at`
            ByteBuffer view = ByteBuffer.wrap(bytes).order(BatchFormat.ORDER);
            int pos = 0;
            while (pos + new BatchFrame().wrap(view, pos).frameLength() <= at) {
                pos += new BatchFrame().wrap(view, pos).frameLength();
            }
            long badBase = new BatchFrame().wrap(view, pos).baseOffset();
            long badEnd = new BatchFrame().wrap(view, pos).nextOffset();
            bytes[at] ^= (byte) flipMask;
            Files.write(victim, bytes);

            try (LogManager logs = LogManager.open(cfg)) {
                PartitionLog log = logs.log(TP);
                long hw = log.highWatermark();
                if (badBase < hw) {
                    GmqException e = org.junit.jupiter.api.Assertions.assertThrows(
                            GmqException.class, () -> log.read(badBase, 1 << 20));
                    assertEquals(ErrorCode.DATA_LOSS, e.code());
                } else {
                    assertEquals(badBase, hw, "recovery truncates the tail at the damaged batch");
                }
                BatchReader reader = new BatchReader();
                for (long start = 0; start < hw; start++) {
                    FetchResult r;
                    try {
                        r = log.read(start, 1 + (int) (start * 97 % 5000));
                    } catch (GmqException e) {
                        assertEquals(ErrorCode.DATA_LOSS, e.code());
                        continue;
                    }
                    reader.wrap(r.records());
                    while (reader.next()) {
                        long o = reader.offset();
                        assertTrue(o < badBase || o >= badEnd, "record " + o + " of the damaged batch was served");
                        Rec got = new Rec(reader.timestamp(), reader.key(), reader.value(), reader.headers());
                        assertEquals(all.get((int) o), got);
                    }
                }
            }
        } finally {
            LogTestSupport.deleteTree(dir);
        }
    }
}
