package io.gmq.net.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gmq.TopicPartition;
import io.gmq.storage.ReplicaCheckpoint;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;

/**
 * A snapshot's MANIFEST reads back as written, and one that is altered anywhere (a flipped bit)
 * or cut short anywhere is refused, never read as another snapshot.
 */
class SnapshotManifestProperties {

    @Property(tries = 200)
    void aManifestReadsBackAsWritten(
            @ForAll @LongRange(min = 0, max = 1L << 40) long index,
            @ForAll @Size(max = 5) List<@AlphaChars @StringLength(min = 1, max = 12) String> topics,
            @ForAll @Size(max = 4) List<@StringLength(min = 1, max = 20) String> members)
            throws IOException {
        SnapshotManifest m = manifest(index, topics, members);
        assertEquals(m, SnapshotManifest.decode(m.encode()));
    }

    @Property(tries = 300)
    void anAlteredOrShortManifestIsRefused(
            @ForAll @Size(max = 5) List<@AlphaChars @StringLength(min = 1, max = 12) String> topics,
            @ForAll @IntRange(min = 0, max = 1 << 20) int where,
            @ForAll @IntRange(min = 0, max = 7) int bit,
            @ForAll boolean cut) {
        byte[] bytes = manifest(77, topics, List.of("m-1")).encode();
        int at = where % bytes.length;
        byte[] damaged = cut ? Arrays.copyOf(bytes, at) : bytes.clone();
        if (!cut) {
            damaged[at] ^= (byte) (1 << bit);
        }
        assertThrows(IOException.class, () -> SnapshotManifest.decode(damaged));
    }

    private static SnapshotManifest manifest(long index, List<String> topics, List<String> members) {
        List<ReplicaCheckpoint.SegmentExtent> segments = new ArrayList<>();
        for (int i = 0; i < topics.size(); i++) {
            segments.add(new ReplicaCheckpoint.SegmentExtent(
                    new TopicPartition(topics.get(i), i), i * 100L, i * 4096L, i * 100L + 7, 1_700_000_000_000L + i));
        }
        SortedMap<String, SortedMap<String, Long>> heartbeats = new TreeMap<>();
        for (String m : members) {
            heartbeats.computeIfAbsent("g " + m.length(), g -> new TreeMap<>()).put(m, (long) m.hashCode());
        }
        SortedMap<String, String> addresses = new TreeMap<>();
        addresses.put("1", "127.0.0.1:50052");
        return new SnapshotManifest(
                3, index, 1_700_000_000_123L, 8192, 0xCAFEBABE, addresses, new ReplicaCheckpoint(segments, heartbeats));
    }
}
