package io.gmq.internal.log;

import static io.gmq.internal.log.LogTestSupport.assertHolds;
import static io.gmq.internal.log.LogTestSupport.await;
import static io.gmq.internal.log.LogTestSupport.config;
import static io.gmq.internal.log.LogTestSupport.frame;
import static io.gmq.internal.log.LogTestSupport.partitionDir;
import static io.gmq.internal.log.LogTestSupport.simpleBatch;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.GmqConfig;
import io.gmq.TopicPartition;
import io.gmq.internal.log.LogTestSupport.Rec;
import io.gmq.storage.BatchFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commit journal: a group commit over several partitions costs one journal force, and what
 * only the journal held comes back after a power cut. Each test forms its group commits by holding
 * the writer inside the write of a batch to partition "gate-0" while it queues the batches of the
 * next cycle, so which cycle holds what is exact.
 */
class CommitJournalTest {
    private static final TopicPartition GATE = new TopicPartition("gate", 0);

    @TempDir
    Path dataDir;

    private final PowerLossFileIO power = new PowerLossFileIO();
    private final InstrumentedFileIO io = new InstrumentedFileIO(power);
    private GmqConfig cfg;
    private LogManager logs;

    /** What each partition was sent, in order (every append acknowledged). */
    private final Map<TopicPartition, List<Rec>> sent = new LinkedHashMap<>();

    private int seed;

    private void open(GmqConfig.Builder config) {
        cfg = config.build();
        logs = LogManager.open(cfg, io);
    }

    @AfterEach
    void closeEngine() {
        if (logs != null) {
            logs.close();
        }
    }

    /** Cuts the power under the engine (it dies), then opens it again on the same files. */
    private void reopenAfterPowerCut() throws IOException {
        power.cutPower();
        logs.close();
        logs = LogManager.open(cfg, io);
    }

    private static TopicPartition tp(String topic, int partition) {
        return new TopicPartition(topic, partition);
    }

    /**
     * One cycle of its own for a batch to the gate partition (a single segment: forced directly),
     * and then one group commit holding a batch of {@code records} x {@code valueBytes} for each of
     * {@code partitions}; waits until every append is acknowledged.
     */
    private void heldCycle(int records, int valueBytes, TopicPartition... partitions) throws Exception {
        InstrumentedFileIO.Gate gate = io.holdNextLogWrite();
        List<CompletableFuture<?>> acks = new ArrayList<>();
        acks.add(append(GATE, 1, 10));
        gate.awaitInside();
        for (TopicPartition p : partitions) {
            acks.add(append(p, records, valueBytes));
        }
        gate.release();
        acks.forEach(CompletableFuture::join);
    }

    private CompletableFuture<?> append(TopicPartition p, int records, int valueBytes) {
        List<Rec> batch = simpleBatch(records, valueBytes, 1, ++seed);
        sent.computeIfAbsent(p, k -> new ArrayList<>()).addAll(batch);
        return logs.log(p).append(frame(batch), true);
    }

    private void assertEverythingSentIsStored() {
        for (Map.Entry<TopicPartition, List<Rec>> e : sent.entrySet()) {
            assertHolds(logs.log(e.getKey()), 0, e.getValue());
        }
    }

    private Path journalDir() {
        return dataDir.resolve(CommitJournal.DIR);
    }

    private List<Path> journalFiles() throws IOException {
        return new ArrayList<>(JournalReplay.listFiles(journalDir()).values());
    }

    private static long size(Path file) throws IOException {
        return Files.exists(file) ? Files.size(file) : -1;
    }

    private Path segment0(TopicPartition p) {
        return partitionDir(dataDir, p.topic(), p.partition()).resolve(Segment.fileName(0, Segment.LOG_SUFFIX));
    }

    @Test
    void aCycleOverThreePartitionsIsMadeDurableByOneJournalForceAndNoSegmentForce() throws Exception {
        open(config(dataDir));
        heldCycle(3, 100, tp("j", 0), tp("j", 1), tp("j", 2));

        assertEquals(1, io.forces(CommitJournal.SUFFIX), "the three-partition cycle: one journal force");
        assertEquals(1, io.forces(Segment.LOG_SUFFIX), "only the gate's single-segment cycle forced a segment");
        assertEquals(1, io.writes(CommitJournal.SUFFIX), "one journal entry, written with one gather write");
        assertEquals(1, journalFiles().size());
        assertEverythingSentIsStored();
        logs.close();
        assertTrue(journalFiles().isEmpty(), "a clean close forces the segments and deletes the journal");
    }

    @Test
    void aCycleOfLargeBatchesForcesItsSegmentsAndLeavesTheJournalAlone() throws Exception {
        open(config(dataDir));
        // Two segments, 2 x 50 KB: more to copy than the one force it saves is worth.
        heldCycle(5, 10_000, tp("big", 0), tp("big", 1));

        assertEquals(0, io.forces(CommitJournal.SUFFIX));
        assertEquals(0, io.writes(CommitJournal.SUFFIX));
        assertEquals(3, io.forces(Segment.LOG_SUFFIX), "the gate's segment, then both big segments");
        assertEverythingSentIsStored();
    }

    @Test
    void journaledAppendsTheirSegmentsLostInAPowerCutAreReplayedFromTheJournal() throws Exception {
        open(config(dataDir));
        heldCycle(3, 100, tp("r", 0), tp("r", 1), tp("r", 2));
        heldCycle(2, 300, tp("r", 0), tp("r", 2));
        assertEquals(2, io.forces(CommitJournal.SUFFIX));

        power.cutPower();
        logs.close();
        assertEquals(0, size(segment0(tp("r", 1))), "the cut took every byte the segment was not forced with");
        logs = LogManager.open(cfg, io);
        assertTrue(journalFiles().isEmpty(), "replayed and deleted at open");
        assertEverythingSentIsStored();
    }

    @Test
    void replayStopsAtTheFirstDamagedEntryAndKeepsTheLogsConsistent() throws Exception {
        open(config(dataDir));
        TopicPartition a = tp("d", 0);
        TopicPartition b = tp("d", 1);
        heldCycle(2, 100, a, b);
        Map<TopicPartition, List<Rec>> afterFirst = new LinkedHashMap<>();
        sent.forEach((p, recs) -> afterFirst.put(p, List.copyOf(recs)));
        heldCycle(2, 100, a, b);
        heldCycle(2, 100, a, b);
        power.cutPower();
        logs.close();

        // Damage the second of the three entries (the disk, not a crash, did this).
        Path journal = journalFiles().get(0);
        byte[] bytes = Files.readAllBytes(journal);
        ByteBuffer view = ByteBuffer.wrap(bytes).order(BatchFormat.ORDER);
        int second = view.getInt(CommitJournal.LENGTH_OFFSET);
        int secondEnd = second + view.getInt(second + CommitJournal.LENGTH_OFFSET);
        bytes[secondEnd - 1] ^= 0x5A;
        Files.write(journal, bytes);

        logs = LogManager.open(cfg, io);
        assertHolds(logs.log(a), 0, afterFirst.get(a));
        assertHolds(logs.log(b), 0, afterFirst.get(b));
        assertTrue(journalFiles().isEmpty());
    }

    @Test
    void aFullJournalFileIsRetiredItsSegmentsForcedAndItDeleted() throws Exception {
        open(config(dataDir).journalFileBytes(64 * 1024));
        TopicPartition[] three = {tp("f", 0), tp("f", 1), tp("f", 2)};
        for (int round = 0; round < 3; round++) { // 3 entries of ~25 KB: the 64 KiB file is full
            heldCycle(10, 800, three);
        }
        Path full = journalFiles().get(0);
        assertEquals(3, io.forces(Segment.LOG_SUFFIX), "only the gate's cycles forced segments so far");

        heldCycle(10, 800, three); // rotates: the full file retires once this cycle is durable
        await("the full journal file retired", () -> !Files.exists(full));
        assertEquals(1, journalFiles().size(), "the next file holds the fourth entry");
        assertTrue(
                io.forces(Segment.LOG_SUFFIX) >= 4 + 3,
                "retiring forced the three segments, was " + io.forces(Segment.LOG_SUFFIX));

        reopenAfterPowerCut();
        assertEverythingSentIsStored();
    }

    @Test
    void aDeletedTopicCreatedAgainNeverGetsTheOldTopicsJournaledBytes() throws Exception {
        open(config(dataDir));
        TopicPartition old = tp("reused", 0);
        heldCycle(3, 200, old, tp("reused", 1), tp("kept", 0));
        assertEquals(1, io.forces(CommitJournal.SUFFIX));

        logs.deleteTopic("reused");
        sent.remove(old);
        sent.remove(tp("reused", 1));
        assertTrue(journalFiles().isEmpty(), "deleting a topic retires the journal file that named it");
        append(old, 1, 50).join(); // the new topic's first batch, forced with its segment

        reopenAfterPowerCut();
        assertEverythingSentIsStored();
    }

    @Test
    void aFailedJournalWriteFallsBackToForcingTheSegmentsAndTurnsTheJournalOff() throws Exception {
        open(config(dataDir));
        io.failWrites(CommitJournal.SUFFIX, 1);
        heldCycle(3, 100, tp("w", 0), tp("w", 1));
        heldCycle(3, 100, tp("w", 0), tp("w", 1));

        assertEquals(
                0, io.writes(CommitJournal.SUFFIX), "no entry written: the first failed, then the journal was off");
        assertEquals(0, io.forces(CommitJournal.SUFFIX));
        assertEquals(2 + 2 * 2, io.forces(Segment.LOG_SUFFIX), "every cycle forced its segments");
        reopenAfterPowerCut();
        assertEverythingSentIsStored();
    }

    @Test
    void aFailedJournalForceFallsBackToForcingTheSegments() throws Exception {
        open(config(dataDir));
        io.failForces(CommitJournal.SUFFIX, 1);
        heldCycle(3, 100, tp("s", 0), tp("s", 1));
        assertEquals(1, io.writes(CommitJournal.SUFFIX), "the entry was written");
        assertEquals(1 + 2, io.forces(Segment.LOG_SUFFIX), "its force failed: the cycle forced both segments");
        heldCycle(3, 100, tp("s", 0), tp("s", 1));
        assertEquals(1, io.writes(CommitJournal.SUFFIX), "the journal is off after a failed force");
        assertNull(logs.log(tp("s", 0)).failure(), "no partition failed: its bytes were forced");

        reopenAfterPowerCut();
        assertEverythingSentIsStored();
    }

    @Test
    void offlineVerifyReadsTheSegmentsWithThePendingJournalAppliedAndChangesNothing() throws Exception {
        open(config(dataDir));
        heldCycle(3, 100, tp("v", 0), tp("v", 1));
        power.cutPower();
        logs.close();
        Path segment = segment0(tp("v", 1));
        byte[] hole = new byte[300]; // a page that reached the disk as zeros
        Files.write(segment, hole);

        LogVerifier.Report report = LogVerifier.verify(dataDir, null);
        assertTrue(report.clean(), "the journal holds what the hole lost: " + report.damage());
        assertEquals(1, report.journalEntries());
        assertArrayEquals(hole, Files.readAllBytes(segment), "verify writes nothing");
        assertEquals(1, journalFiles().size());

        logs = LogManager.open(cfg, io);
        assertEverythingSentIsStored();
    }
}
