package io.gmq.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.proto.PartitionOffsets;
import java.util.List;
import java.util.TreeSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class AckRangesTest {

    @Test
    void inOrderAcksOfADeliveryBecomeOneRange() {
        AckRanges r = new AckRanges("t", 2);
        for (long o = 1_000; o < 3_000; o++) {
            r.add(o, 0);
        }
        PartitionOffsets po = r.drainTo();
        assertEquals("t", po.getTopic());
        assertEquals(2, po.getPartition());
        assertEquals(List.of(1_000L, 3_000L), po.getRangesList());
        assertEquals(0, po.getOffsetsCount());
        assertTrue(r.isEmpty(), "drained");
    }

    /** Whatever the order of acks, the ranges name exactly the acknowledged offsets. */
    @Property(tries = 300)
    void rangesCoverExactlyTheAcknowledgedOffsets(
            @ForAll @Size(max = 300) List<@LongRange(min = 0, max = 400) Long> acks) {
        AckRanges r = new AckRanges("t", 0);
        TreeSet<Long> expected = new TreeSet<>();
        for (long o : acks) {
            r.add(o, 0);
            expected.add(o);
        }
        assertEquals(acks.isEmpty(), r.isEmpty());
        PartitionOffsets po = r.drainTo();
        assertEquals(expected, covered(po));
        assertTrue(po.getRangesCount() / 2 <= acks.size());
        assertTrue(r.isEmpty());
        assertEquals(0, r.drainTo().getRangesCount(), "drained ranges are not sent twice");
    }

    /** Ranges added whole, in any order and overlap, name exactly the offsets they cover. */
    @Property(tries = 300)
    void addedRangesCoverExactlyTheirOffsets(
            @ForAll @Size(max = 100) List<@LongRange(min = 0, max = 400) Long> starts,
            @ForAll @Size(max = 100) List<@LongRange(min = 0, max = 6) Long> lengths) {
        AckRanges r = new AckRanges("t", 0);
        TreeSet<Long> expected = new TreeSet<>();
        for (int i = 0; i < Math.min(starts.size(), lengths.size()); i++) {
            long from = starts.get(i);
            r.addRange(from, from + lengths.get(i), 0);
            for (long o = from; o < from + lengths.get(i); o++) {
                expected.add(o);
            }
        }
        assertEquals(expected.isEmpty(), r.isEmpty(), "empty ranges add nothing");
        assertEquals(expected, covered(r.drainTo()));
    }

    @Test
    void aRangeThatStartsWhereTheLastEndsExtendsIt() {
        AckRanges r = new AckRanges("t", 0);
        r.addRange(10, 20, 0);
        r.add(20, 0);
        r.addRange(21, 30, 0);
        r.addRange(35, 40, 0);
        assertEquals(List.of(10L, 30L, 35L, 40L), r.drainTo().getRangesList());
    }

    @Test
    void rangesGoOutTaggedWithTheLowestDeliveryGenerationAndTheTagResetsAfterADrain() {
        AckRanges r = new AckRanges("t", 0);
        r.addRange(0, 5, 7);
        r.addRange(5, 8, 4);
        r.add(9, 9);
        assertEquals(4, r.drainTo().getGeneration(), "a stale part makes the broker drop them all: redelivery");
        r.add(20, 9);
        assertEquals(9, r.drainTo().getGeneration());
    }

    /** The offsets the wire-form ranges name, checking each range is well formed. */
    private static TreeSet<Long> covered(PartitionOffsets po) {
        assertEquals(0, po.getRangesCount() % 2);
        TreeSet<Long> covered = new TreeSet<>();
        for (int i = 0; i < po.getRangesCount(); i += 2) {
            assertTrue(po.getRanges(i) < po.getRanges(i + 1), "non-empty, well-formed range");
            for (long o = po.getRanges(i); o < po.getRanges(i + 1); o++) {
                covered.add(o);
            }
        }
        return covered;
    }
}
