package io.gmq.internal.log;

import io.gmq.TopicPartition;
import io.gmq.storage.ReplicaCheckpoint.SegmentExtent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The partition side of a replica checkpoint ({@link io.gmq.storage.ReplicaCheckpoint}): writes
 * every partition's segments, up to their forced ends, into a checkpoint directory, and rebuilds a
 * data directory's logs from one.
 *
 * <p>A checkpoint never shares a file with the live log: the live log's files are written and may
 * be damaged where a checkpoint must stay as it was taken. Checkpoints share with each other
 * instead: a segment the previous checkpoint holds is hard-linked from it and only the bytes
 * written since are appended, so a checkpoint costs the bytes written since the last one, not the
 * whole log. Every appended frame is checked (length, offsets, CRC32C) as it is copied: a
 * checkpoint never claims a frame the live log could not serve.
 *
 * <p>Crash safety. Bytes below an extent's recorded length are never written again (a later
 * checkpoint appends at or past it, after cutting what an unfinished checkpoint may have left
 * there), and every file and directory is forced before this returns; the caller publishes the
 * checkpoint only after that (see the net layer's snapshot manifest). A crash while writing leaves
 * an unpublished directory and earlier checkpoints intact.
 */
public final class LogCheckpoint {
    private LogCheckpoint() {}

    /**
     * Forces every partition of {@code manager} and writes its segments under {@code dir}
     * ({@code dir/logs/...}). No append may be in flight (the caller applies no command meanwhile).
     *
     * @param previous the extents of the previous checkpoint by {@link SegmentExtent#path()}, empty if none
     * @param previousDir that checkpoint's directory (unused if {@code previous} is empty)
     */
    public static List<SegmentExtent> write(
            LogManager manager, Path dir, Map<String, SegmentExtent> previous, Path previousDir) throws IOException {
        List<SegmentExtent> extents = new ArrayList<>();
        Set<Path> createdDirs = new LinkedHashSet<>();
        FrameCheck check = new FrameCheck();
        for (TopicPartition tp : manager.partitions()) {
            PartitionLog log = manager.log(tp);
            Segment[] segments;
            synchronized (log.segmentsLock) {
                segments = log.segments;
            }
            long highWatermark = log.highWatermark();
            for (int i = 0; i < segments.length; i++) {
                Segment segment = segments[i];
                segment.force();
                long next = i + 1 < segments.length ? segments[i + 1].baseOffset : highWatermark;
                SegmentExtent extent = new SegmentExtent(
                        tp, segment.baseOffset, segment.writtenPosition, next, segment.firstAppendMillis);
                Path target = dir.resolve(extent.path());
                if (createdDirs.add(target.getParent())) {
                    Files.createDirectories(target.getParent());
                }
                copy(segment.logPath, extent, target, previous.get(extent.path()), previousDir, check);
                extents.add(extent);
            }
        }
        for (Path d : createdDirs) {
            manager.io().syncDirectory(d);
            manager.io().syncDirectory(d.getParent());
        }
        Path logs = dir.resolve(LogManager.LOGS_DIR);
        if (Files.isDirectory(logs)) {
            manager.io().syncDirectory(logs);
        }
        return extents;
    }

    /** Writes {@code extent} of the live segment {@code source} to {@code target}, reusing {@code previous}'s bytes. */
    private static void copy(
            Path source, SegmentExtent extent, Path target, SegmentExtent previous, Path previousDir, FrameCheck check)
            throws IOException {
        long from = 0;
        long offset = extent.baseOffset();
        if (previous != null && previous.bytes() <= extent.bytes() && previous.nextOffset() <= extent.nextOffset()) {
            Path earlier = previousDir.resolve(previous.path());
            try {
                if (Files.size(earlier) >= previous.bytes()) {
                    Files.createLink(target, earlier);
                    from = previous.bytes();
                    offset = previous.nextOffset();
                }
            } catch (IOException | UnsupportedOperationException e) {
                // Another file system, or no hard links: copy the whole segment instead.
                Files.deleteIfExists(target);
            }
        }
        try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
                FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            // What an unfinished later checkpoint may have appended past the recorded end.
            out.truncate(from);
            long position = from;
            while (position < extent.bytes()) {
                int length = check.check(
                        (dst, at) -> FileChannelLogFileIO.readFully(in, dst, at), position, extent.bytes(), offset);
                if (length < 0) {
                    throw new IOException(extent.partition() + ": the frame at byte " + position + " of " + source
                            + (length == FrameCheck.TORN
                                    ? " is cut short"
                                    : " fails its check (CRC, length or offsets)")
                            + "; a checkpoint never claims it (the Raft log still holds it: restart the node)");
                }
                ByteBuffer bytes = check.frameBytes(length);
                long at = position;
                while (bytes.hasRemaining()) {
                    at += out.write(bytes, at);
                }
                offset = check.frame().nextOffset();
                position += length;
            }
            if (offset != extent.nextOffset()) {
                throw new IOException(extent.partition() + ": " + source + " ends at offset " + offset + " after "
                        + extent.bytes() + " bytes, its log at " + extent.nextOffset()
                        + "; it changed while the checkpoint was taken");
            }
            out.force(true);
        }
    }

    /**
     * Rebuilds {@code dataDir/logs} from the checkpoint in {@code checkpointDir}: whatever is there
     * is deleted, and each extent's bytes are copied (the live log gets files of its own). The
     * copies are not forced: a data directory restored from a checkpoint is restored again after a
     * crash.
     *
     * @throws IOException if a segment file is missing or shorter than its extent (a damaged checkpoint)
     */
    public static void restore(Path checkpointDir, List<SegmentExtent> extents, Path dataDir) throws IOException {
        Path logs = dataDir.resolve(LogManager.LOGS_DIR);
        deleteRecursively(logs);
        Files.createDirectories(logs);
        for (SegmentExtent extent : extents) {
            Path source = checkpointDir.resolve(extent.path());
            Path target = dataDir.resolve(extent.path());
            Files.createDirectories(target.getParent());
            try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
                    FileChannel out =
                            FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                if (in.size() < extent.bytes()) {
                    throw new IOException(
                            source + " holds " + in.size() + " bytes, the checkpoint claims " + extent.bytes());
                }
                long copied = 0;
                while (copied < extent.bytes()) {
                    long n = in.transferTo(copied, extent.bytes() - copied, out);
                    if (n <= 0) {
                        throw new IOException("could not copy " + source + " past byte " + copied);
                    }
                    copied += n;
                }
            }
        }
    }

    /**
     * After the restored logs are open: gives each partition's active segment the time of its
     * first append from the checkpoint, so it rolls by age at the same append as on the replica
     * that wrote it (recovery took it from a record timestamp). Call before any append.
     */
    public static void resume(LogManager manager, List<SegmentExtent> extents) {
        Map<TopicPartition, SegmentExtent> last = new java.util.HashMap<>();
        extents.forEach(e -> last.put(e.partition(), e));
        for (SegmentExtent e : last.values()) {
            Segment[] segments = manager.log(e.partition()).segments;
            Segment active = segments[segments.length - 1];
            if (active.baseOffset == e.baseOffset()) {
                active.firstAppendMillis = e.firstAppendMillis();
            }
        }
    }

    static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.isDirectory(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> children = Files.newDirectoryStream(path)) {
                for (Path child : children) {
                    deleteRecursively(child);
                }
            }
        }
        Files.delete(path);
    }
}
