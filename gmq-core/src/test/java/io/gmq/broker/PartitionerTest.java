package io.gmq.broker;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.internal.topic.TopicNames;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PartitionerTest {

    /**
     * Pinned hashes. The string keys (UTF-8 bytes) are the cases of Kafka's own
     * {@code UtilsTest.testMurmur2} plus short keys that cover every tail length (1, 2, 3, 0 mod 4).
     * The partition columns are {@code (hash & 0x7fffffff) % 3} and {@code % 12}, worked out from
     * the hash, so a user can predict where their key goes.
     */
    @ParameterizedTest(name = "murmur2(\"{0}\") = {1}")
    @CsvSource({
        "21,                                                  -973932308, 0, 0",
        "foobar,                                              -790332482, 0, 6",
        "a-little-bit-long-string,                            -985981536, 2, 8",
        "a-little-bit-longer-string,                          -1486304829, 2, 11",
        "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8,    -58897971, 2, 5",
        "abc,                                                 479470107, 0, 3",
        "1,                                                   -1993445489, 0, 3",
        "12,                                                  126087238, 1, 10",
        "123,                                                 -267702483, 2, 5",
        "1234,                                                -1614185708, 0, 0",
    })
    void murmur2MatchesKafkaForStringKeys(String key, int hash, int partitionOf3, int partitionOf12) {
        byte[] bytes = key.getBytes(UTF_8);
        assertEquals(hash, Partitioner.murmur2(bytes));
        assertEquals(partitionOf3, Partitioner.partitionForKey(bytes, 3));
        assertEquals(partitionOf12, Partitioner.partitionForKey(bytes, 12));
    }

    /**
     * Bytes with the high bit set catch sign-extension mistakes (a missing {@code & 0xff}). The
     * expected values come from an independent implementation of the algorithm (unsigned 32-bit
     * arithmetic in Python) that reproduces every Kafka value above.
     */
    @Test
    void murmur2MasksNegativeBytesAndHashesTheEmptyKey() {
        assertEquals(275646681, Partitioner.murmur2(new byte[0]));
        assertEquals(-311467685, Partitioner.murmur2(new byte[] {(byte) 0xff}));
        assertEquals(2014942385, Partitioner.murmur2(new byte[] {(byte) 0x80, (byte) 0xff, 0x00}));
        assertEquals(
                524068735,
                Partitioner.murmur2(new byte[] {(byte) 0xff, (byte) 0xfe, (byte) 0xfd, (byte) 0xfc, (byte) 0xfb}));
        assertEquals(614509002, Partitioner.murmur2("h\u00e9llo".getBytes(UTF_8)));
    }

    @Test
    void toPositiveClearsOnlyTheSignBit() {
        assertEquals(0, Partitioner.toPositive(Integer.MIN_VALUE));
        assertEquals(Integer.MAX_VALUE, Partitioner.toPositive(-1));
        assertEquals(5, Partitioner.toPositive(5));
    }

    @Property(tries = 500)
    void sameKeyAlwaysMapsToTheSamePartitionInRange(
            @ForAll @Size(max = 64) byte[] key, @ForAll @IntRange(min = 1, max = 1024) int partitions) {
        byte[] copy = key.clone();
        Partitioner partitioner = new Partitioner();
        int first = partitioner.choose("t", null, key, partitions);
        assertTrue(first >= 0 && first < partitions);
        assertEquals(first, partitioner.choose("t", null, copy, partitions));
        assertEquals(
                first, new Partitioner().choose("other", null, copy, partitions), "independent of topic and instance");
        assertEquals(first, Partitioner.partitionForKey(key, partitions));
        assertArrayEquals(copy, key, "the key is not modified");
    }

    @Test
    void explicitPartitionIsHonouredOverKeyAndSpread() {
        Partitioner partitioner = new Partitioner();
        byte[] key = "foobar".getBytes(UTF_8); // hashes to partition 0 of 3
        assertEquals(2, partitioner.choose("orders", 2, key, 3));
        assertEquals(1, partitioner.choose("orders", 1, null, 3));
    }

    @Test
    void outOfRangePartitionIsRejectedWithTheValidRange() {
        Partitioner partitioner = new Partitioner();
        GmqException e = assertThrows(GmqException.class, () -> partitioner.choose("orders", 7, null, 3));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertEquals("partition 7 is out of range for topic 'orders' with 3 partitions (valid: 0..2)", e.getMessage());
        assertEquals(
                ErrorCode.INVALID_ARGUMENT,
                assertThrows(GmqException.class, () -> TopicNames.checkPartition("orders", -1, 3))
                        .code());
        assertEquals(
                ErrorCode.INVALID_ARGUMENT,
                assertThrows(GmqException.class, () -> partitioner.choose("orders", null, null, 0))
                        .code());
    }

    @Test
    void spreadCyclesThroughEveryPartitionEvenly() {
        Partitioner partitioner = new Partitioner();
        int partitions = 7;
        int[] counts = new int[partitions];
        int previous = partitioner.choose("orders", null, null, partitions);
        counts[previous]++;
        for (int i = 1; i < partitions * 100; i++) {
            int p = partitioner.choose("orders", null, null, partitions);
            assertEquals((previous + 1) % partitions, p, "round-robin moves to the next partition");
            counts[p]++;
            previous = p;
        }
        for (int c : counts) {
            assertEquals(100, c);
        }
    }

    @Test
    void spreadCountersAreIndependentPerTopic() {
        Partitioner partitioner = new Partitioner();
        int a0 = partitioner.nextSpreadPartition("a", 4);
        partitioner.nextSpreadPartition("b", 4);
        partitioner.nextSpreadPartition("b", 4);
        assertEquals((a0 + 1) % 4, partitioner.nextSpreadPartition("a", 4));
    }

    @Test
    void spreadFromManyThreadsStaysEven() throws Exception {
        Partitioner partitioner = new Partitioner();
        int partitions = 5;
        int threads = 4;
        int perThread = 1000;
        java.util.concurrent.atomic.AtomicIntegerArray counts =
                new java.util.concurrent.atomic.AtomicIntegerArray(partitions);
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            workers[t] = new Thread(
                    () -> {
                        for (int i = 0; i < perThread; i++) {
                            counts.incrementAndGet(partitioner.nextSpreadPartition("orders", partitions));
                        }
                    },
                    "spread-test-" + t);
            workers[t].start();
        }
        for (Thread w : workers) {
            w.join();
        }
        for (int p = 0; p < partitions; p++) {
            assertEquals(threads * perThread / partitions, counts.get(p), "partition " + p);
        }
    }
}
