package io.gmq.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.Header;
import java.nio.ByteBuffer;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

/** {@link BatchFrame} against frames built by {@link BatchBuilder}: every field read back, every bit flip caught. */
class BatchFrameProperties {

    record Rec(long timestamp, byte[] key, byte[] value, List<Header> headers) {}

    /** One batch to build: its records and whether it is QoS 1. */
    record Batch(List<Rec> records, boolean atLeastOnce) {}

    @Provide
    Arbitrary<List<Batch>> batches() {
        Arbitrary<Header> header = Combinators.combine(
                        Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(8),
                        Arbitraries.bytes().array(byte[].class).ofMaxSize(12))
                .as(Header::new);
        Arbitrary<Rec> records = Combinators.combine(
                        Arbitraries.longs().between(0, 2_000_000_000_000L),
                        Arbitraries.bytes().array(byte[].class).ofMaxSize(24).injectNull(0.3),
                        Arbitraries.bytes().array(byte[].class).ofMaxSize(300),
                        header.list().ofMaxSize(3))
                .as(Rec::new);
        return Combinators.combine(records.list().ofMinSize(1).ofMaxSize(8), Arbitraries.of(true, false))
                .as(Batch::new)
                .list()
                .ofMinSize(1)
                .ofMaxSize(6);
    }

    private static ByteBuffer build(Batch batch) {
        BatchBuilder b = new BatchBuilder(64);
        b.attributes(batch.atLeastOnce() ? BatchFormat.ATTR_QOS_AT_LEAST_ONCE : 0);
        for (Rec r : batch.records()) {
            b.add(r.timestamp(), r.key(), r.value(), r.headers());
        }
        return b.buildCopy();
    }

    /** The batches as a run of sealed frames, offsets continuing from {@code base}, as the log stores them. */
    private static ByteBuffer sealedRun(List<Batch> batches, long base) {
        int total = 0;
        for (Batch b : batches) {
            total += build(b).remaining();
        }
        ByteBuffer run = ByteBuffer.allocate(total).order(BatchFormat.ORDER);
        BatchFrame frame = new BatchFrame();
        long next = base;
        for (Batch b : batches) {
            int start = run.position();
            run.put(build(b));
            next = frame.wrap(run, start).seal(next).nextOffset();
        }
        return run.flip();
    }

    @Property(tries = 200)
    void theCursorReadsBackEveryFieldOfEveryFrame(
            @ForAll("batches") List<Batch> batches, @ForAll @LongRange(min = 0, max = 1L << 50) long base) {
        ByteBuffer run = sealedRun(batches, base);
        BatchFrame f = new BatchFrame().wrap(run, 0);
        BatchReader reader = new BatchReader(run);
        long expectedBase = base;
        for (Batch b : batches) {
            assertTrue(f.fitsIn(run.limit()));
            assertEquals(build(b).remaining(), f.frameLength());
            assertEquals(expectedBase, f.baseOffset());
            assertEquals(b.records().size(), f.recordCount());
            assertEquals(BatchFormat.MAGIC, f.magic());
            assertEquals(b.atLeastOnce(), f.atLeastOnce());
            assertEquals(b.atLeastOnce() ? BatchFormat.ATTR_QOS_AT_LEAST_ONCE : 0, f.attributes());
            assertEquals(b.records().stream().mapToLong(Rec::timestamp).max().orElseThrow(), f.maxTimestamp());
            assertTrue(f.crcMatches());
            assertTrue(f.isPlausibleAt(expectedBase, run.limit()));
            assertNull(f.validateStructure(f.frameLength()));
            assertEquals(
                    b.records().stream()
                            .mapToInt(r -> BatchBuilder.recordSize(r.key(), r.value().length, r.headers()))
                            .max()
                            .orElseThrow(),
                    f.largestRecordBytes());
            for (Rec r : b.records()) {
                assertTrue(reader.next());
                assertEquals(expectedBase++, reader.offset());
                assertEquals(r.timestamp(), reader.timestamp());
                assertArrayEquals(r.key(), reader.key());
                assertArrayEquals(r.value(), reader.value());
                assertEquals(r.headers(), reader.headers());
                assertEquals(b.atLeastOnce(), reader.atLeastOnce());
            }
            assertEquals(expectedBase, f.nextOffset());
            int end = f.end();
            assertEquals(end, f.next().offset(), "next() steps to the following frame");
        }
        assertEquals(run.limit(), f.offset(), "the frames fill the run exactly");
        assertFalse(f.hasHeader(run.limit()));
        assertFalse(reader.next());
    }

    @Property(tries = 300)
    void anySingleFlippedBitIsCaughtByTheCrc(
            @ForAll("batches") List<Batch> batches,
            @ForAll @LongRange(min = 0, max = 1L << 50) long base,
            @ForAll boolean producerFrame,
            @ForAll long bitSeed) {
        // Either a sealed frame as stored, or a producer's frame (base offset 0, CRC stamped by the SDK).
        ByteBuffer frame = build(batches.get(0));
        BatchFrame f = new BatchFrame().wrap(frame, 0);
        if (producerFrame) {
            f.stampCrc();
        } else {
            f.seal(base);
        }
        assertTrue(f.crcMatches() && f.producerCrcHolds());
        int bit = (int) Math.floorMod(bitSeed, (long) frame.limit() * Byte.SIZE);
        frame.put(bit / Byte.SIZE, (byte) (frame.get(bit / Byte.SIZE) ^ (1 << (bit % Byte.SIZE))));

        // A flip in the length field may make the frame not fit; otherwise the CRC no longer matches.
        assertTrue(!f.fitsIn(frame.limit()) || !f.crcMatches(), "bit " + bit + " flipped unnoticed");
        boolean crcClearedToZero = f.crc() == BatchFormat.CRC_NOT_COMPUTED;
        assertTrue(
                !f.fitsIn(frame.limit()) || !f.producerCrcHolds() || crcClearedToZero,
                "storage would accept the damaged frame");
    }
}
