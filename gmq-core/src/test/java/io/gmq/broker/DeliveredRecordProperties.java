package io.gmq.broker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.Header;
import io.gmq.QoS;
import io.gmq.TopicPartition;
import io.gmq.storage.BatchBuilder;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchFrame;
import io.gmq.storage.BatchReader;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Records decoded from a delivery are views into its frames: whatever the records (keys or none,
 * empty payloads, headers) and whatever [from, to) a delivery covers, every view reads back
 * exactly what was published, after the decoder has moved on and in any order of access.
 */
final class DeliveredRecordProperties {
    private static final TopicPartition TP = new TopicPartition("t", 0);

    record Published(long timestamp, byte[] key, byte[] value, List<Header> headers) {}

    /** A record of the test: a view with nothing to ack. */
    static final class View extends DeliveredRecord {
        View(BatchReader at) {
            super(TP, at, 1);
        }

        @Override
        protected void settle(boolean ack) {
            throw new AssertionError("not acknowledged in this test");
        }
    }

    @Provide
    Arbitrary<List<List<Published>>> batches() {
        Arbitrary<byte[]> bytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(40);
        Arbitrary<Header> header = Combinators.combine(
                        Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(6), bytes)
                .as(Header::new);
        Arbitrary<Published> record = Combinators.combine(
                        Arbitraries.longs().between(0, 1L << 40),
                        bytes.injectNull(0.3),
                        bytes,
                        header.list().ofMaxSize(2))
                .as(Published::new);
        return record.list().ofMinSize(1).ofMaxSize(8).list().ofMinSize(1).ofMaxSize(5);
    }

    @Property(tries = 300)
    void viewsReadBackExactlyThePublishedRecordsOfTheRange(
            @ForAll("batches") List<List<Published>> batches,
            @ForAll @IntRange(min = 0, max = 45) int fromIndex,
            @ForAll @IntRange(min = 0, max = 45) int toIndex,
            @ForAll boolean qos1) {
        long base = 1_000;
        List<Published> all = new ArrayList<>();
        ByteBuffer frames = frames(batches, base, qos1, all);
        long from = base + fromIndex;
        long to = base + toIndex;

        List<View> views = new ArrayList<>();
        int n = DeliveredRecord.decode(frames.asReadOnlyBuffer(), from, to, View::new, views::add);

        int lo = Math.min(fromIndex, all.size());
        List<Published> expected = all.subList(lo, Math.max(lo, Math.min(toIndex, all.size())));
        assertEquals(expected.size(), n);
        assertEquals(expected.size(), views.size());
        for (int i = views.size() - 1; i >= 0; i--) { // backwards: views do not depend on decode order
            View v = views.get(i);
            Published p = expected.get(i);
            assertEquals(from + i, v.offset());
            assertEquals(p.timestamp(), v.timestamp());
            assertEquals(qos1 ? QoS.AT_LEAST_ONCE : QoS.AT_MOST_ONCE, v.qos());
            assertEquals(p.value().length, v.payloadSize());
            ByteBuffer view = v.payloadBuffer();
            assertEquals(0, view.position());
            byte[] viaView = new byte[view.remaining()];
            view.get(viaView);
            assertArrayEquals(p.value(), viaView);
            assertArrayEquals(p.value(), v.payload());
            assertSame(v.payload(), v.payload(), "copied once");
            if (p.key() == null) {
                assertNull(v.key());
            } else {
                assertArrayEquals(p.key(), v.key());
            }
            assertEquals(p.headers().size(), v.headers().size());
            for (int h = 0; h < p.headers().size(); h++) {
                assertEquals(p.headers().get(h).name(), v.headers().get(h).name());
                assertArrayEquals(p.headers().get(h).value(), v.headers().get(h).value());
            }
        }
    }

    @Property(tries = 50)
    void aPayloadViewIsReadOnlyAndItsOwn(@ForAll("batches") List<List<Published>> batches) {
        ByteBuffer frames = frames(batches, 0, true, new ArrayList<>());
        List<View> views = new ArrayList<>();
        DeliveredRecord.decode(frames, 0, Long.MAX_VALUE, View::new, views::add);
        View first = views.get(0);
        ByteBuffer a = first.payloadBuffer();
        assertTrue(a.isReadOnly());
        assertThrows(ReadOnlyBufferException.class, () -> a.put(0, (byte) 1));
        a.position(a.limit()); // moving one view does not move the next
        assertEquals(0, first.payloadBuffer().position());
        assertEquals(first.payloadSize(), first.payloadBuffer().remaining());
    }

    /** Sealed frames of {@code batches} from offset {@code base}, as storage would return them. */
    private static ByteBuffer frames(List<List<Published>> batches, long base, boolean qos1, List<Published> all) {
        ByteBuffer out = ByteBuffer.allocate(1 << 16).order(BatchFormat.ORDER);
        long next = base;
        for (List<Published> batch : batches) {
            BatchBuilder b = new BatchBuilder().attributes(qos1 ? BatchFormat.ATTR_QOS_AT_LEAST_ONCE : 0);
            for (Published p : batch) {
                b.add(p.timestamp(), p.key(), p.value(), p.headers());
                all.add(p);
            }
            ByteBuffer frame = b.buildCopy();
            int start = out.position();
            out.put(frame);
            new BatchFrame().wrap(out, start).seal(next);
            next += batch.size();
        }
        return out.flip();
    }
}
