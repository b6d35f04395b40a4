package io.gmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.internal.log.LogVerifier;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchFrame;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's way past a damaged batch, end to end on an embedded engine: a group stalls at the
 * batch (DATA_LOSS), the verifier names the offset after it, a one-partition reset moves the group
 * there, and consumption resumes with the next good batch; the damaged record is never delivered.
 */
class DamagedSegmentTest {
    private static final String TOPIC = "ledger";
    private static final int MESSAGES = 40;

    @TempDir
    Path dir;

    @Test
    void resettingOnePartitionPastADamagedBatchResumesConsumption() throws Exception {
        GmqConfig cfg = GmqConfig.builder()
                .dataDir(dir)
                .segmentBytes(1024)
                .indexIntervalBytes(64)
                .retentionAge(null)
                .build();
        try (Gmq gmq = Gmq.open(cfg)) {
            gmq.admin().createTopic(TOPIC, 2);
            for (int i = 0; i < MESSAGES; i++) {
                gmq.publish(TOPIC, bytes("p0-" + i), PublishOption.partition(0));
            }
            for (int i = 0; i < 5; i++) {
                gmq.publish(TOPIC, bytes("p1-" + i), PublishOption.partition(1));
            }
        }
        Path segment = dir.resolve("logs").resolve(TOPIC).resolve("0").resolve("00000000000000000000.log");
        long damaged = flipInsideFrame(segment, 3);
        LogVerifier.Report report = LogVerifier.verify(dir, TOPIC);
        assertEquals(1, report.damage().size(), report.damage().toString());
        long resumeAt = report.damage().get(0).toOffset();
        assertEquals(damaged + 1, resumeAt, "one record per batch: the damaged range is that record");

        Set<String> seen = ConcurrentHashMap.newKeySet();
        try (Gmq gmq = Gmq.open(cfg)) {
            ConsumerConfig.Builder consumer = ConsumerConfig.builder()
                    .consumerGroup("auditors")
                    .pullInterval(Duration.ofMillis(20))
                    .messageHandler(m -> seen.add(m.payloadAsString()));
            try (Subscription first = gmq.subscribe(consumer.build(), TOPIC)) {
                waitUntil(
                        "the group stalls at the damaged batch",
                        () -> committed(gmq, 0) == damaged && committed(gmq, 1) == 5);
            }
            assertEquals(damaged + 5, seen.size(), "everything before the damage, and the other partition");

            gmq.admin().resetOffsets("auditors", new TopicPartition(TOPIC, 0), OffsetSpec.offset(resumeAt));
            assertEquals(5, committed(gmq, 1), "the other partition's offset is untouched");
            try (Subscription second = gmq.subscribe(consumer.build(), TOPIC)) {
                waitUntil("consumption resumes after the damaged batch", () -> committed(gmq, 0) == MESSAGES);
            }
        }
        for (int i = 0; i < MESSAGES; i++) {
            assertEquals(i != damaged, seen.contains("p0-" + i), "p0-" + i);
        }
        assertFalse(seen.contains("p0-" + damaged), "the damaged record is never delivered");
    }

    /** Flips a payload bit of the {@code index}-th frame of the segment; returns its base offset. */
    private static long flipInsideFrame(Path segment, int index) throws Exception {
        byte[] bytes = Files.readAllBytes(segment);
        ByteBuffer view = ByteBuffer.wrap(bytes).order(BatchFormat.ORDER);
        int pos = 0;
        for (int i = 0; i < index; i++) {
            pos += new BatchFrame().wrap(view, pos).frameLength();
        }
        long base = new BatchFrame().wrap(view, pos).baseOffset();
        bytes[pos + new BatchFrame().wrap(view, pos).frameLength() - 2] ^= 0x10;
        Files.write(segment, bytes);
        return base;
    }

    private static long committed(Gmq gmq, int partition) {
        GroupDescription d = gmq.admin().describeGroup("auditors");
        return d.partitions().stream()
                .filter(p -> p.topicPartition().equals(new TopicPartition(TOPIC, partition)))
                .mapToLong(GroupDescription.PartitionProgress::committedOffset)
                .findFirst()
                .orElse(-1);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void waitUntil(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.onSpinWait();
            Thread.yield();
        }
    }
}
