package io.gmq.internal.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.OffsetSpec;
import io.gmq.TopicPartition;
import io.gmq.storage.*;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Hostile input at the storage seam: every malformed request gets a clear error and changes
 * nothing. A frame is either appended whole (it was valid) or rejected with INVALID_ARGUMENT /
 * RESOURCE_EXHAUSTED and the partition is exactly as before.
 */
class StorageBadInputProperties {
    private static Path dir;
    private static LocalStorage storage;
    private static final TopicPartition TP = new TopicPartition("bad-input", 0);

    @BeforeContainer
    static void open() throws IOException {
        dir = Files.createTempDirectory("gmq-bad-input-");
        storage = LocalStorage.open(GmqConfig.builder()
                .dataDir(dir)
                .maxMessageBytes(4096)
                .maxBatchBytes(65536)
                .build());
        storage.createTopic(TP.topic(), 1);
    }

    @AfterContainer
    static void close() throws IOException {
        storage.close();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Provide
    Arbitrary<byte[]> frames() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
        Arbitrary<byte[]> mutated = Arbitraries.integers()
                .between(0, 10_000)
                .flatMap(seed -> Arbitraries.integers().between(0, 120).map(pos -> {
                    BatchBuilder b = new BatchBuilder();
                    b.add(1L, "k".getBytes(), new byte[seed % 50], null);
                    b.add(2L, null, new byte[seed % 7], List.of(io.gmq.Header.of("h", "v")));
                    ByteBuffer built = b.buildCopy();
                    byte[] bytes = new byte[built.remaining()];
                    built.get(bytes);
                    if (pos < bytes.length) {
                        bytes[pos] ^= (byte) (1 + seed % 255);
                    }
                    return bytes;
                }));
        return Arbitraries.oneOf(random, mutated);
    }

    @Property(tries = 400)
    void aMalformedFrameIsRejectedAndChangesNothing(@ForAll("frames") byte[] frame) {
        long before = storage.partitionInfo(TP).highWatermark();
        ByteBuffer buf = ByteBuffer.wrap(frame).order(BatchFormat.ORDER);
        BatchFrame f = new BatchFrame().wrap(buf, 0);
        String problem = f.validateStructure(frame.length);
        // A whole frame with a non-zero CRC that does not match its bytes was damaged on the way.
        boolean damaged = f.lengthProblem(frame.length) == null && !f.producerCrcHolds();
        try {
            AppendResult r = storage.append(TP, buf, true).join();
            assertTrue(problem == null, "accepted a frame the validator rejects: " + problem);
            assertTrue(!damaged, "accepted a frame whose CRC does not match");
            assertEquals(before, r.baseOffset());
            assertEquals(before + r.recordCount(), storage.partitionInfo(TP).highWatermark());
        } catch (CompletionException e) {
            GmqException g = (GmqException) e.getCause();
            assertTrue(
                    g.code() == ErrorCode.INVALID_ARGUMENT
                            || g.code() == ErrorCode.RESOURCE_EXHAUSTED
                            || (damaged && g.code() == ErrorCode.DATA_LOSS),
                    g.toString());
            assertTrue(g.getMessage() != null && !g.getMessage().isBlank());
            assertEquals(before, storage.partitionInfo(TP).highWatermark(), "a rejected frame changed the log");
        }
    }

    @Property(tries = 50)
    void outOfRangePartitionsAndNegativeOffsetsAreInvalidArguments(@ForAll("badPartitions") int partition) {
        TopicPartition tp = new TopicPartition(TP.topic(), partition);
        GmqException e = failure(() -> storage.fetch(tp, 0, 100, 0).join());
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        GmqException neg = failure(() -> storage.fetch(TP, -1, 100, 0).join());
        assertEquals(ErrorCode.INVALID_ARGUMENT, neg.code());
        GmqException off = failure(() -> OffsetSpec.offset(-5));
        assertEquals(ErrorCode.INVALID_ARGUMENT, off.code());
    }

    @Provide
    Arbitrary<Integer> badPartitions() {
        return Arbitraries.oneOf(
                Arbitraries.integers().between(1, Integer.MAX_VALUE),
                Arbitraries.integers().between(Integer.MIN_VALUE, -1));
    }

    @Property(tries = 30)
    void unknownMembersAndGroupsAreRejectedWithoutSideEffects(@ForAll("names") String member) {
        List<String> groupsBefore = storage.listGroups();
        GmqException hb = failure(() -> storage.heartbeat("no-such-group", member, 1, Set.of()));
        assertEquals(ErrorCode.FAILED_PRECONDITION, hb.code());
        GmqException commit = failure(() -> storage.commitOffsets("no-such-group", member, 1, Map.of(TP, 5L)));
        assertEquals(ErrorCode.FAILED_PRECONDITION, commit.code());
        assertEquals(groupsBefore, storage.listGroups());
    }

    @Provide
    Arbitrary<String> names() {
        return Arbitraries.strings()
                .ofMinLength(1)
                .ofMaxLength(40)
                .alpha()
                .numeric()
                .withChars('-');
    }

    private static GmqException failure(Runnable r) {
        try {
            r.run();
        } catch (GmqException e) {
            return e;
        } catch (CompletionException e) {
            if (e.getCause() instanceof GmqException g) {
                return g;
            }
            throw e;
        }
        throw new AssertionError("expected a GmqException");
    }
}
