package io.gmq.net.cluster;

import io.gmq.GmqException;
import io.gmq.storage.ReplicaCheckpoint;
import io.gmq.storage.ReplicaStorage;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SortedMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.SnapshotRetentionPolicy;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.impl.FileListSnapshotInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshots of one storage state machine, in its Raft group's state machine directory
 * ({@code raft/GROUP/sm/}, Ratis's; every group has its own). Each snapshot is a directory:
 *
 * <pre>
 *   snapshot.TERM_INDEX/gmq.db, logs/...   a replica checkpoint ({@link ReplicaCheckpoint})
 *   snapshot.TERM_INDEX/MANIFEST           written last ({@link SnapshotManifest})
 *   tmp.snapshot.TERM_INDEX/               one being written; never read
 *   damaged.snapshot.TERM_INDEX/           one found damaged, set aside for inspection
 * </pre>
 *
 * <p>Crash argument. A snapshot is written under {@code tmp.}, every file and directory forced,
 * the MANIFEST written and forced, and only then renamed to {@code snapshot.} (and the directory
 * forced): the rename is the write that makes it a snapshot. Ratis learns its index, and may purge
 * its Raft log up to it, only after that. So a crash at any point leaves either no new snapshot
 * (a {@code tmp.} directory, deleted at the next start; the Raft log still holds every entry
 * after the previous snapshot) or a complete one. A complete snapshot found damaged later (its
 * MANIFEST fails its CRC, the SQLite copy its CRC, a segment is short, or the restored replica
 * does not end where the MANIFEST says) is set aside and the previous one is used, if the Raft
 * log still reaches back to it; otherwise the node refuses to start.
 *
 * <p>Ratis sends a snapshot to a follower that needs one (a new member, or one behind the purge)
 * file by file from {@link #getLatestSnapshot()}: each segment only up to its extent, the MANIFEST
 * last. The follower's copy replaces its state machine directory, and the state machine restores
 * its replica from it ({@link StorageStateMachine#reinitialize()}).
 */
final class ReplicaSnapshots implements StateMachineStorage {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaSnapshots.class);
    static final String PREFIX = "snapshot.";
    static final String TMP = "tmp.";
    static final String DAMAGED = "damaged.";
    private static final Pattern NAME = Pattern.compile("snapshot\\.(\\d+)_(\\d+)");
    /**
     * Applied entries between two snapshots, and entries the log keeps behind the newest one
     * (StorageNode sets both; tunable with -Dgmq.raft.server.snapshot.auto.trigger.threshold
     * and -Dgmq.raft.server.log.purge.preservation.log.num). A restart after a crash applies
     * at most about this many entries again; a snapshot costs the segment bytes written since the
     * last one, a copy of the SQLite file and a few fsyncs.
     */
    static final long INTERVAL_ENTRIES = 20_000;
    /** Snapshots kept: the newest and the one before, to fall back to if the newest is found damaged. */
    static final int RETAINED = 2;

    /** One intact snapshot: its directory, manifest and what Ratis sends of it. */
    record Snapshot(Path dir, SnapshotManifest manifest, FileListSnapshotInfo info) {
        long index() {
            return manifest.index();
        }

        TermIndex termIndex() {
            return TermIndex.valueOf(manifest.term(), manifest.index());
        }
    }

    private volatile Path dir;
    private volatile Snapshot latest;

    @Override
    public void init(RaftStorage raftStorage) throws IOException {
        init(raftStorage.getStorageDir().getStateMachineDir().toPath());
    }

    void init(Path stateMachineDir) throws IOException {
        this.dir = stateMachineDir;
        Files.createDirectories(stateMachineDir);
    }

    Path dir() {
        return dir;
    }

    @Override
    public SnapshotInfo getLatestSnapshot() {
        Snapshot s = latest;
        return s == null ? null : s.info();
    }

    Snapshot latest() {
        return latest;
    }

    /** Makes {@code s} the snapshot Ratis sees (the one the replica was restored from, or the one just taken). */
    void select(Snapshot s) {
        latest = s;
    }

    @Override
    public void format() {
        // Nothing to prepare: the directory is created by init.
    }

    /**
     * Writes a snapshot of {@code storage} at {@code at} (every entry up to it applied, none in
     * flight) and makes it the latest. See the class comment for the order of writes.
     */
    Snapshot take(ReplicaStorage storage, TermIndex at, long clockMillis, SortedMap<String, String> addresses)
            throws IOException {
        String name = PREFIX + at.getTerm() + "_" + at.getIndex();
        Path tmp = dir.resolve(TMP + name);
        deleteRecursively(tmp);
        Snapshot previous = latest;
        ReplicaCheckpoint checkpoint;
        try {
            checkpoint = storage.checkpoint(
                    tmp,
                    previous == null ? null : previous.manifest().checkpoint(),
                    previous == null ? null : previous.dir());
        } catch (GmqException e) {
            deleteRecursively(tmp);
            throw new IOException("snapshot at index " + at.getIndex() + " not taken: " + e.getMessage(), e);
        }
        Path db = tmp.resolve(ReplicaCheckpoint.DB_FILE);
        SnapshotManifest manifest = new SnapshotManifest(
                at.getTerm(),
                at.getIndex(),
                clockMillis,
                Files.size(db),
                crc(db, Files.size(db)),
                addresses,
                checkpoint);
        Path manifestFile = tmp.resolve(SnapshotManifest.FILE);
        try (FileChannel out =
                FileChannel.open(manifestFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            var bytes = java.nio.ByteBuffer.wrap(manifest.encode());
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
            out.force(true);
        }
        syncDirectory(tmp);
        Path published = dir.resolve(name);
        deleteRecursively(published);
        try {
            Files.move(tmp, published, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot rename " + tmp + " atomically: " + e.getMessage(), e);
        }
        syncDirectory(dir);
        Snapshot taken = new Snapshot(published, manifest, info(published, manifest));
        latest = taken;
        return taken;
    }

    /**
     * The intact snapshots, newest first; unfinished ones ({@code tmp.}) are deleted and damaged
     * ones set aside ({@code damaged.}, logged).
     */
    List<Snapshot> intact() throws IOException {
        List<Snapshot> found = new ArrayList<>();
        for (Path candidate : list(PREFIX)) {
            try {
                found.add(check(candidate));
            } catch (IOException e) {
                setAside(candidate, e.getMessage());
            }
        }
        for (Path unfinished : list(TMP + PREFIX)) {
            LOG.info("deleting {}: a snapshot left unfinished by a stop or crash while it was written", unfinished);
            deleteRecursively(unfinished);
        }
        found.sort(Comparator.comparingLong(Snapshot::index).reversed());
        return found;
    }

    /** The index of the newest snapshot directory there is or was (intact, damaged or set aside), or -1. */
    long newestIndexSeen() throws IOException {
        long newest = -1;
        for (Path p : list("")) {
            String name = p.getFileName().toString();
            Matcher m = NAME.matcher(name.substring(name.indexOf(PREFIX) < 0 ? 0 : name.indexOf(PREFIX)));
            if (m.matches()) {
                newest = Math.max(newest, Long.parseLong(m.group(2)));
            }
        }
        return newest;
    }

    /** Moves {@code snapshot} out of the way (to {@code damaged.NAME}) with a warning naming {@code why}. */
    void setAside(Path snapshot, String why) throws IOException {
        Path aside = snapshot.resolveSibling(DAMAGED + snapshot.getFileName());
        deleteRecursively(aside);
        Files.move(snapshot, aside);
        syncDirectory(dir);
        LOG.warn("snapshot {} is damaged ({}); set aside as {}", snapshot, why, aside.getFileName());
        Snapshot s = latest;
        if (s != null && s.dir().equals(snapshot)) {
            latest = null;
        }
    }

    /** Reads and checks a published snapshot: its manifest, its SQLite copy's CRC, each segment's length. */
    private static Snapshot check(Path snapshot) throws IOException {
        Path manifestFile = snapshot.resolve(SnapshotManifest.FILE);
        if (!Files.exists(manifestFile)) {
            throw new IOException("it has no " + SnapshotManifest.FILE);
        }
        SnapshotManifest manifest = SnapshotManifest.decode(Files.readAllBytes(manifestFile));
        if (!snapshot.getFileName().toString().equals(PREFIX + manifest.term() + "_" + manifest.index())) {
            throw new IOException("its manifest is for index " + manifest.index() + " of term " + manifest.term());
        }
        Path db = snapshot.resolve(ReplicaCheckpoint.DB_FILE);
        if (!Files.exists(db) || Files.size(db) < manifest.dbBytes()) {
            throw new IOException("its SQLite copy is missing or short");
        }
        int dbCrc = crc(db, manifest.dbBytes());
        if (dbCrc != manifest.dbCrc()) {
            throw new IOException("its SQLite copy fails its CRC32C");
        }
        for (ReplicaCheckpoint.SegmentExtent s : manifest.checkpoint().segments()) {
            Path segment = snapshot.resolve(s.path());
            if (!Files.exists(segment) || Files.size(segment) < s.bytes()) {
                throw new IOException(s.path() + " is missing or shorter than " + s.bytes() + " bytes");
            }
        }
        return new Snapshot(snapshot, manifest, info(snapshot, manifest));
    }

    /** What Ratis sends of a snapshot: the SQLite copy, each segment up to its extent, the manifest last. */
    private static FileListSnapshotInfo info(Path snapshot, SnapshotManifest manifest) {
        List<FileInfo> files = new ArrayList<>();
        files.add(new FileInfo(snapshot.resolve(ReplicaCheckpoint.DB_FILE).toAbsolutePath(), null));
        for (ReplicaCheckpoint.SegmentExtent s : manifest.checkpoint().segments()) {
            files.add(new ExtentFileInfo(snapshot.resolve(s.path()).toAbsolutePath(), s.bytes()));
        }
        files.add(new FileInfo(snapshot.resolve(SnapshotManifest.FILE).toAbsolutePath(), null));
        return new FileListSnapshotInfo(files, manifest.term(), manifest.index());
    }

    /**
     * A segment file sent only up to its extent: later snapshots append to the same file (see
     * {@link ReplicaCheckpoint}), and those bytes are not this snapshot's.
     */
    private static final class ExtentFileInfo extends FileInfo {
        private final long bytes;

        ExtentFileInfo(Path path, long bytes) {
            super(path, null);
            this.bytes = bytes;
        }

        @Override
        public long getFileSize() {
            return bytes;
        }
    }

    /**
     * Keeps the {@link #RETAINED} newest snapshots (Ratis calls this after each one taken) and
     * deletes the older ones; the snapshot in use is never deleted.
     */
    @Override
    public void cleanupOldSnapshots(SnapshotRetentionPolicy policy) throws IOException {
        List<Path> all = new ArrayList<>(list(PREFIX));
        all.sort(Comparator.comparingLong(ReplicaSnapshots::indexOf).reversed());
        Snapshot inUse = latest;
        for (int i = RETAINED; i < all.size(); i++) {
            if (inUse == null || !all.get(i).equals(inUse.dir())) {
                deleteRecursively(all.get(i));
            }
        }
    }

    private static long indexOf(Path snapshot) {
        Matcher m = NAME.matcher(snapshot.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(2)) : -1;
    }

    /** Directories in the state machine directory named {@code prefix} + snapshot.TERM_INDEX (any, if empty). */
    private List<Path> list(String prefix) throws IOException {
        List<Path> found = new ArrayList<>();
        Path d = dir;
        if (d == null || !Files.isDirectory(d)) {
            return found;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(d, Files::isDirectory)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                if (prefix.isEmpty()
                        ? name.contains(PREFIX)
                        : name.startsWith(prefix)
                                && NAME.matcher(name.substring(prefix.length() - PREFIX.length()))
                                        .matches()) {
                    found.add(p);
                }
            }
        }
        return found;
    }

    private static int crc(Path file, long bytes) throws IOException {
        CRC32C crc = new CRC32C();
        byte[] buffer = new byte[64 << 10];
        long left = bytes;
        try (InputStream in = Files.newInputStream(file)) {
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    throw new IOException(file + " is shorter than " + bytes + " bytes");
                }
                crc.update(buffer, 0, n);
                left -= n;
            }
        }
        return (int) crc.getValue();
    }

    private static void syncDirectory(Path d) throws IOException {
        try (FileChannel channel = FileChannel.open(d, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(path)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
    }

    @Override
    public File getSnapshotDir() {
        return null; // Ratis's state machine directory: install-snapshot paths are relative to it
    }
}
