package io.gmq.internal.log;

import static io.gmq.internal.log.LogTestSupport.assertHolds;
import static io.gmq.internal.log.LogTestSupport.config;
import static io.gmq.internal.log.LogTestSupport.frame;
import static io.gmq.internal.log.LogTestSupport.simpleBatch;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.GmqConfig;
import io.gmq.TopicPartition;
import io.gmq.internal.log.LogTestSupport.Rec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

/**
 * Recovery with the commit journal: whatever mix of journaled and segment-forced group commits,
 * segment rolls and journal file retirements came before, and whichever pages written since their
 * file's last force reached the disk when the power went (none, some, with holes before survivors,
 * or all), every acknowledged record is back after the next open, in order, with nothing else in
 * between.
 */
class JournalRecoveryProperties {
    private static final int PARTITIONS = 5;

    /** One round: a batch to each of some partitions, queued together, then all acknowledged. */
    record Round(List<Integer> partitions, int records, int valueBytes) {}

    @Provide
    Arbitrary<List<Round>> rounds() {
        Arbitrary<List<Integer>> partitions = Arbitraries.integers()
                .between(0, PARTITIONS - 1)
                .set()
                .ofMinSize(1)
                .ofMaxSize(PARTITIONS)
                .map(ArrayList::new);
        // Mostly small batches (cycles worth journaling), now and then big ones (forced segments).
        Arbitrary<Integer> valueBytes = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(8, Arbitraries.integers().between(1, 300)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(20_000, 40_000)));
        return Combinators.combine(partitions, Arbitraries.integers().between(1, 4), valueBytes)
                .as(Round::new)
                .list()
                .ofMinSize(1)
                .ofMaxSize(30);
    }

    @Property(tries = 60)
    void everyAcknowledgedRecordSurvivesAPowerCutWhateverPagesReachedTheDisk(
            @ForAll("rounds") List<Round> rounds,
            @ForAll @DoubleRange(min = 0, max = 1) double survival,
            @ForAll long seed,
            @ForAll @IntRange(min = 4096, max = 64 * 1024) int segmentBytes)
            throws Exception {
        Path dir = Files.createTempDirectory("gmq-journal-prop");
        try {
            PowerLossFileIO io = new PowerLossFileIO(new Random(seed), survival);
            GmqConfig cfg = config(dir)
                    .segmentBytes(segmentBytes)
                    .indexIntervalBytes(256)
                    .journalFileBytes(64 * 1024)
                    .maxBatchBytes(1024 * 1024)
                    .build();
            List<List<Rec>> sent = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                sent.add(new ArrayList<>());
            }
            LogManager logs = LogManager.open(cfg, io);
            int batchSeed = 0;
            for (Round round : rounds) {
                List<CompletableFuture<?>> acks = new ArrayList<>();
                for (int p : round.partitions()) {
                    List<Rec> batch = simpleBatch(round.records(), round.valueBytes(), 1, ++batchSeed);
                    sent.get(p).addAll(batch);
                    acks.add(logs.log(new TopicPartition("prop", p)).append(frame(batch), true));
                }
                acks.forEach(CompletableFuture::join);
            }
            Statistics.label("journal forces").collect(io.forceCount(CommitJournal.SUFFIX) > 0 ? "some" : "none");
            io.cutPower();
            logs.close();

            try (LogManager reopened = LogManager.open(cfg, io)) {
                for (int p = 0; p < PARTITIONS; p++) {
                    assertHolds(reopened.log(new TopicPartition("prop", p)), 0, sent.get(p));
                }
                assertTrue(
                        JournalReplay.listFiles(dir.resolve(CommitJournal.DIR)).isEmpty());
            }
        } finally {
            LogTestSupport.deleteTree(dir);
        }
    }
}
