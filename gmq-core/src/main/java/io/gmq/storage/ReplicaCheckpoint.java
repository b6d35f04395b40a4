package io.gmq.storage;

import io.gmq.TopicPartition;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a checkpoint of a {@link ReplicaStorage} holds ({@link ReplicaStorage#checkpoint}): the
 * partition segments up to a durable end each, and what the SQLite copy does not (each group
 * member's last heartbeat, kept in memory only). The files lie under the checkpoint directory:
 *
 * <pre>
 *   gmq.db                                       a consistent copy of the SQLite state (topics, groups, offsets)
 *   logs/TOPIC/PARTITION/BASEOFFSET.log          a segment: its first {@code bytes} bytes are the checkpoint's
 * </pre>
 *
 * A segment file may be longer than its {@code bytes}: checkpoints share unchanged segment bytes
 * through hard links, and a later checkpoint appends to a file an earlier one recorded shorter.
 * Bytes below a recorded length are never written again. Index files are not part of a
 * checkpoint: opening the restored replica rebuilds them (a scan that checks every frame's CRC).
 *
 * @param segments every segment of every partition, in partition then offset order
 * @param lastHeartbeats group -> member -> last heartbeat on the replica's clock ({@code nanoTime})
 */
public record ReplicaCheckpoint(
        List<SegmentExtent> segments, SortedMap<String, SortedMap<String, Long>> lastHeartbeats) {
    /** The SQLite copy, relative to the checkpoint directory. */
    public static final String DB_FILE = "gmq.db";

    public ReplicaCheckpoint {
        segments = List.copyOf(segments);
        SortedMap<String, SortedMap<String, Long>> copy = new TreeMap<>();
        lastHeartbeats.forEach((g, m) -> copy.put(g, Collections.unmodifiableSortedMap(new TreeMap<>(m))));
        lastHeartbeats = Collections.unmodifiableSortedMap(copy);
    }

    /**
     * One segment in a checkpoint: the first {@code bytes} bytes of the segment starting at
     * {@code baseOffset}, whole frames ending before offset {@code nextOffset}, first appended to
     * at {@code firstAppendMillis} on the replica's clock (-1 while empty). The last matters: the
     * active segment rolls by its age, and recovery alone would guess it from record timestamps.
     */
    public record SegmentExtent(
            TopicPartition partition, long baseOffset, long bytes, long nextOffset, long firstAppendMillis) {
        /** The segment's file, relative to the checkpoint directory (the same path as under a data directory). */
        public String path() {
            return "logs/" + partition.topic() + "/" + partition.partition() + "/" + String.format("%020d", baseOffset)
                    + ".log";
        }
    }

    /** Every file of the checkpoint, relative to its directory: the SQLite copy, then the segments. */
    public List<String> files() {
        List<String> files = new ArrayList<>(segments.size() + 1);
        files.add(DB_FILE);
        segments.forEach(s -> files.add(s.path()));
        return files;
    }

    /** Each partition's end (the offset its next record gets) in the checkpoint. */
    public SortedMap<TopicPartition, Long> ends() {
        SortedMap<TopicPartition, Long> ends = new TreeMap<>();
        segments.forEach(s -> ends.merge(s.partition(), s.nextOffset(), Math::max));
        return ends;
    }
}
