package io.gmq.internal.log;

import static io.gmq.internal.log.LogTestSupport.assertHolds;
import static io.gmq.internal.log.LogTestSupport.config;
import static io.gmq.internal.log.LogTestSupport.frame;
import static io.gmq.internal.log.LogTestSupport.partitionDir;
import static io.gmq.internal.log.LogTestSupport.segmentFiles;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gmq.GmqConfig;
import io.gmq.TopicPartition;
import io.gmq.internal.log.LogTestSupport.Rec;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

class TornTailProperties {
    private static final TopicPartition TP = new TopicPartition("torn", 0);

    @Provide
    Arbitrary<List<List<Rec>>> batches() {
        return LogArbitraries.batches(20);
    }

    @Property(tries = 40)
    void cuttingTheLastSegmentAnywhereLeavesABatchPrefixThatKeepsGrowing(
            @ForAll("batches") List<List<Rec>> batches,
            @ForAll @IntRange(min = 1024, max = 8000) int segmentBytes,
            @ForAll @DoubleRange(min = 0, max = 1) double cutFraction)
            throws Exception {
        Path dir = Files.createTempDirectory("gmq-torn");
        try {
            GmqConfig cfg = config(dir)
                    .segmentBytes(segmentBytes)
                    .indexIntervalBytes(128)
                    .build();
            List<Rec> all = new ArrayList<>();
            List<Long> batchEnds = new ArrayList<>();
            List<Integer> frameLengths = new ArrayList<>();
            long lastSegmentBase;
            try (LogManager logs = LogManager.open(cfg)) {
                PartitionLog log = logs.log(TP);
                for (List<Rec> batch : batches) {
                    ByteBuffer f = frame(batch);
                    frameLengths.add(f.remaining());
                    log.append(f, true).join();
                    all.addAll(batch);
                    batchEnds.add((long) all.size());
                }
                Segment[] segs = log.segments();
                lastSegmentBase = segs[segs.length - 1].baseOffset;
            }
            Path partition = partitionDir(dir, "torn", 0);
            List<Path> logs = segmentFiles(partition, ".log");
            Path last = logs.get(logs.size() - 1);
            long size = Files.size(last);
            long cut = Math.round(size * cutFraction);
            try (FileChannel ch = FileChannel.open(last, StandardOpenOption.WRITE)) {
                ch.truncate(cut);
            }
            // expected: every batch before the last segment, plus those wholly inside the cut
            long expectedEnd = lastSegmentBase;
            long position = 0;
            for (int i = 0; i < batches.size(); i++) {
                long start = i == 0 ? 0 : batchEnds.get(i - 1);
                if (start < lastSegmentBase) {
                    continue;
                }
                position += frameLengths.get(i);
                if (position <= cut) {
                    expectedEnd = batchEnds.get(i);
                }
            }
            try (LogManager logsAgain = LogManager.open(cfg)) {
                PartitionLog log = logsAgain.log(TP);
                assertEquals(expectedEnd, log.highWatermark());
                assertHolds(log, 0, all.subList(0, (int) expectedEnd));
                List<Rec> more = batches.get(0);
                assertEquals(expectedEnd, log.append(frame(more), true).join().baseOffset());
                List<Rec> expected = new ArrayList<>(all.subList(0, (int) expectedEnd));
                expected.addAll(more);
                assertHolds(log, 0, expected);
            }
        } finally {
            LogTestSupport.deleteTree(dir);
        }
    }
}
