package io.gmq.broker;

import io.gmq.GmqException;
import io.gmq.internal.topic.TopicNames;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Chooses the partition of a record (or of a whole batch of records that share the choice).
 *
 * <p>The rule, applied by {@link #choose}:
 * <ol>
 *   <li><b>Explicit partition</b> — used as given; out of range is INVALID_ARGUMENT.</li>
 *   <li><b>Key</b> — {@code toPositive(murmur2(key)) % partitions}, bit for bit what Kafka's
 *       default partitioner does for keyed records, so a user (or a Kafka-speaking tool) can
 *       predict where a key lands. The same key always lands on the same partition while the
 *       partition count stays the same. An empty key ({@code byte[0]}) is a key and is hashed;
 *       only a {@code null} key means "no key".</li>
 *   <li><b>Spread</b> — neither: round-robin per topic. Each topic has its own counter; every call
 *       of {@link #nextSpreadPartition} takes the next partition. A producer calls it once per
 *       batch, so a batch stays whole on one partition (one append, one fsync) while successive
 *       batches cycle over all partitions. The counter of a topic starts at a position derived
 *       from the topic name, so many quiet topics do not all begin on partition 0.</li>
 * </ol>
 *
 * <p>Thread-safe; {@link #choose} allocates nothing once the topic's counter exists.
 */
public final class Partitioner {
    /** Kafka's murmur2 seed; changing it would move every key to another partition. */
    static final int MURMUR2_SEED = 0x9747b28c;

    private static final int MURMUR2_M = 0x5bd1e995;
    private static final int MURMUR2_R = 24;

    private final ConcurrentHashMap<String, AtomicInteger> spreadCounters = new ConcurrentHashMap<>();

    /**
     * The partition for a record of {@code topic}: {@code explicitPartition} if not null, else the
     * key's hash if {@code key} is not null, else the next spread partition.
     */
    public int choose(String topic, Integer explicitPartition, byte[] key, int partitions) {
        requirePartitionCount(topic, partitions);
        if (explicitPartition != null) {
            int p = explicitPartition;
            TopicNames.checkPartition(topic, p, partitions);
            return p;
        }
        if (key != null) {
            return partitionForKey(key, partitions);
        }
        return nextSpreadPartition(topic, partitions);
    }

    /** The next partition of {@code topic}'s round-robin; call once per batch. */
    public int nextSpreadPartition(String topic, int partitions) {
        requirePartitionCount(topic, partitions);
        AtomicInteger counter = spreadCounters.get(topic);
        if (counter == null) {
            counter = spreadCounters.computeIfAbsent(topic, t -> new AtomicInteger(toPositive(t.hashCode())));
        }
        // toPositive keeps the sequence non-negative across int overflow; the order stays cyclic
        // apart from one jump at the wrap, after 2^31 batches.
        return toPositive(counter.getAndIncrement()) % partitions;
    }

    /** Drops the round-robin state of a deleted topic. */
    public void forget(String topic) {
        spreadCounters.remove(topic);
    }

    /** Kafka's keyed-record partition: {@code toPositive(murmur2(key)) % partitions}. */
    public static int partitionForKey(byte[] key, int partitions) {
        if (partitions < 1) {
            throw GmqException.invalidArgument("partition count must be at least 1, was " + partitions);
        }
        return toPositive(murmur2(key)) % partitions;
    }

    /**
     * 32-bit MurmurHash2 exactly as Kafka's {@code org.apache.kafka.common.utils.Utils.murmur2}:
     * seed {@code 0x9747b28c}, little-endian 4-byte blocks, the tail bytes mixed in the order
     * 3rd, 2nd, 1st.
     */
    @SuppressWarnings("fallthrough") // the tail bytes fold in cumulatively, as in Kafka
    public static int murmur2(byte[] data) {
        int length = data.length;
        int h = MURMUR2_SEED ^ length;
        int blocks = length >>> 2;
        for (int i = 0; i < blocks; i++) {
            int at = i << 2;
            int k = (data[at] & 0xff)
                    | (data[at + 1] & 0xff) << 8
                    | (data[at + 2] & 0xff) << 16
                    | (data[at + 3] & 0xff) << 24;
            k *= MURMUR2_M;
            k ^= k >>> MURMUR2_R;
            k *= MURMUR2_M;
            h *= MURMUR2_M;
            h ^= k;
        }
        int tail = length & ~3;
        switch (length & 3) {
            case 3:
                h ^= (data[tail + 2] & 0xff) << 16;
            // fall through
            case 2:
                h ^= (data[tail + 1] & 0xff) << 8;
            // fall through
            case 1:
                h ^= data[tail] & 0xff;
                h *= MURMUR2_M;
                break;
            default:
                break;
        }
        h ^= h >>> 13;
        h *= MURMUR2_M;
        h ^= h >>> 15;
        return h;
    }

    /**
     * Clears the sign bit, as Kafka does. Not {@code Math.abs}: that leaves
     * {@code Integer.MIN_VALUE} negative.
     */
    public static int toPositive(int x) {
        return x & 0x7fffffff;
    }

    private static void requirePartitionCount(String topic, int partitions) {
        if (partitions < 1) {
            throw GmqException.invalidArgument(
                    "topic '" + topic + "' must have at least 1 partition, was " + partitions);
        }
    }
}
