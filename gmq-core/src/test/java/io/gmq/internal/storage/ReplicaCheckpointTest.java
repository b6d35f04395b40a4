package io.gmq.internal.storage;

import static io.gmq.internal.log.LogTestSupport.config;
import static io.gmq.internal.log.LogTestSupport.frame;
import static io.gmq.internal.log.LogTestSupport.simpleBatch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.TopicPartition;
import io.gmq.broker.Storages;
import io.gmq.storage.ReplicaCheckpoint;
import io.gmq.storage.ReplicaStorage;
import io.gmq.testkit.ManualClock;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints of a replica: what they claim, what they share, and what a damaged one does. */
class ReplicaCheckpointTest {
    private static final TopicPartition T0 = new TopicPartition("orders", 0);

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();

    private GmqConfig settings(String name) {
        return config(dir.resolve(name))
                .flushPolicy(FlushPolicy.OS)
                .journalFileBytes(0)
                .segmentBytes(1_024)
                .timeSource(clock)
                .build();
    }

    private static void append(ReplicaStorage r, int batches) {
        for (int i = 0; i < batches; i++) {
            r.append(T0, frame(simpleBatch(2, 100, 1_000 + i, i)), false).join();
        }
    }

    @Test
    void aRestoredReplicaHasTheSegmentsGroupStateAndSessionsOfTheCheckpoint() {
        ReplicaCheckpoint c;
        try (ReplicaStorage r = Storages.openReplica(settings("live"))) {
            r.createTopic("orders", 1);
            append(r, 12);
            r.joinGroup("g", "m-1", "m", Set.of("orders"), 1_000);
            r.commitOffsets("g", "m-1", 1, Map.of(T0, 5L));
            clock.advanceMillis(600);
            c = r.checkpoint(dir.resolve("c"), null, null);
            assertTrue(c.segments().size() > 1, "segments rolled: " + c.segments());
            assertEquals(Map.of(T0, 24L), c.ends());
        }
        try (ReplicaStorage restored = Storages.openReplica(settings("restored"), dir.resolve("c"), c)) {
            assertEquals(24, restored.partitionInfo(T0).highWatermark());
            assertEquals(Map.of(T0, 5L), restored.committedOffsets("g", List.of(T0)));
            // The session is the checkpoint's (heard from 600 ms ago), not a fresh one: it runs out
            // 400 ms later, as on the replica that wrote the checkpoint.
            clock.advanceMillis(401);
            assertEquals(1, restored.expireMembers());
        }
    }

    @Test
    void aLaterCheckpointLinksTheBytesAnEarlierOneHoldsAndAppendsOnlyNewOnes() throws Exception {
        try (ReplicaStorage r = Storages.openReplica(settings("live"))) {
            r.createTopic("orders", 1);
            append(r, 3);
            ReplicaCheckpoint first = r.checkpoint(dir.resolve("c1"), null, null);
            append(r, 1);
            ReplicaCheckpoint second = r.checkpoint(dir.resolve("c2"), first, dir.resolve("c1"));
            String active = first.segments().get(first.segments().size() - 1).path();
            assertEquals(
                    Files.getAttribute(dir.resolve("c1").resolve(active), "unix:ino"),
                    Files.getAttribute(dir.resolve("c2").resolve(active), "unix:ino"));
            // The shared file grew for the second checkpoint; the first still restores to its own end.
            try (ReplicaStorage fromFirst = Storages.openReplica(settings("r1"), dir.resolve("c1"), first)) {
                assertEquals(first.ends().get(T0), fromFirst.partitionInfo(T0).highWatermark());
            }
            assertTrue(second.ends().get(T0) > first.ends().get(T0));
        }
    }

    @Test
    void aCheckpointRefusesAFrameThatFailsItsCrc() throws Exception {
        try (ReplicaStorage r = Storages.openReplica(settings("live"))) {
            r.createTopic("orders", 1);
            append(r, 1);
            Path segment = dir.resolve("live/logs/orders/0/00000000000000000000.log");
            try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
                f.seek(f.length() - 3);
                int b = f.read();
                f.seek(f.length() - 3);
                f.write(b ^ 0x10);
            }
            GmqException e = assertThrows(GmqException.class, () -> r.checkpoint(dir.resolve("c"), null, null));
            assertEquals(ErrorCode.DATA_LOSS, e.code());
            assertTrue(e.getMessage().contains("never claims it"), e.getMessage());
        }
    }

    @Test
    void restoringACheckpointWithAShortSegmentIsRefusedAsDamaged() throws Exception {
        ReplicaCheckpoint c;
        try (ReplicaStorage r = Storages.openReplica(settings("live"))) {
            r.createTopic("orders", 1);
            append(r, 3);
            c = r.checkpoint(dir.resolve("c"), null, null);
        }
        Path segment = dir.resolve("c").resolve(c.segments().get(0).path());
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 1);
        }
        GmqException e =
                assertThrows(GmqException.class, () -> Storages.openReplica(settings("restored"), dir.resolve("c"), c));
        assertEquals(ErrorCode.DATA_LOSS, e.code());
        assertTrue(e.getMessage().contains("damaged"), e.getMessage());
    }
}
