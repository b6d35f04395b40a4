package io.gmq.internal.log;

import static io.gmq.internal.log.LogTestSupport.assertHolds;
import static io.gmq.internal.log.LogTestSupport.config;
import static io.gmq.internal.log.LogTestSupport.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gmq.GmqConfig;
import io.gmq.TopicPartition;
import io.gmq.internal.log.LogTestSupport.Rec;
import io.gmq.storage.AppendResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class LogReadBackProperties {
    private static final TopicPartition TP = new TopicPartition("prop", 3);

    @Provide
    Arbitrary<List<List<Rec>>> batches() {
        return LogArbitraries.batches(30);
    }

    @Property(tries = 30)
    void anyAppendSequenceReadsBackIdenticallyFromAnyOffsetBeforeAndAfterReopen(
            @ForAll("batches") List<List<Rec>> batches,
            @ForAll @IntRange(min = 1024, max = 6000) int segmentBytes,
            @ForAll @IntRange(min = 64, max = 1024) int indexIntervalBytes)
            throws Exception {
        Path dir = Files.createTempDirectory("gmq-readback");
        try {
            GmqConfig cfg = config(dir)
                    .segmentBytes(segmentBytes)
                    .indexIntervalBytes(indexIntervalBytes)
                    .build();
            List<Rec> all = new ArrayList<>();
            try (LogManager logs = LogManager.open(cfg)) {
                PartitionLog log = logs.log(TP);
                for (List<Rec> batch : batches) {
                    AppendResult r = log.append(frame(batch), true).join();
                    assertEquals(all.size(), r.baseOffset());
                    all.addAll(batch);
                }
                checkEveryStart(log, all);
            }
            try (LogManager logs = LogManager.open(cfg)) {
                PartitionLog log = logs.log(TP);
                assertEquals(all.size(), log.highWatermark());
                checkEveryStart(log, all);
            }
        } finally {
            LogTestSupport.deleteTree(dir);
        }
    }

    private static void checkEveryStart(PartitionLog log, List<Rec> all) {
        for (int start = 0; start < all.size(); start++) {
            assertHolds(log, start, all.subList(start, all.size()));
        }
    }
}
