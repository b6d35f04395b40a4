package io.gmq.net.cluster;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.ratis.proto.RaftProtos.RaftConfigurationProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file {@code DATA_DIR/cluster-peers} names the storage cluster a node's data directory
 * belongs to: one line, its members as {@code ID=HOST:PORT} sorted by id, e.g.
 * {@code 1=h:6101,2=h:6102,3=h:6103}.
 *
 * <p>It is written when a node first starts (the {@code --peers} it was given) and rewritten
 * whenever a membership change is applied on the node ({@link #follow}), so it always names the
 * membership the node last applied. At start, {@code --peers} must equal it: a node cannot be
 * pointed at another cluster's Raft log, and a restart with the member list from before a change
 * is refused with the current list in the message.
 *
 * <p>Crash safety: the new list goes to {@code cluster-peers.tmp}, which is forced, then renamed
 * over the file (atomic on POSIX file systems) and the directory is forced. A crash leaves either
 * the old list or the new one, never a torn line. A crash between a change being applied and the
 * rename leaves the old list; the change is applied again when the node replays its Raft log at
 * the next start, which writes the file then.
 */
final class DataDirClaim {
    private static final Logger LOG = LoggerFactory.getLogger(DataDirClaim.class);
    /** The file that names the cluster a data directory belongs to: its member list, sorted by id. */
    static final String CLUSTER_FILE = "cluster-peers";

    private DataDirClaim() {}

    /**
     * Refuses a data directory that holds something else: a single-node storage's files, the Raft
     * log of a cluster with other members (another cluster, or this one before or after a
     * membership change), or a Raft log without the file. A new directory is claimed for
     * {@code peers}. Nothing is written when it refuses.
     */
    static void claim(ClusterPeers peers, Path dataDir) {
        String expected = line(peers.raftAddresses());
        Path file = dataDir.resolve(CLUSTER_FILE);
        try {
            if (Files.exists(dataDir.resolve("gmq.db")) || Files.exists(dataDir.resolve("logs"))) {
                throw new GmqException(
                        ErrorCode.FAILED_PRECONDITION,
                        "data directory " + dataDir + " holds a single-node storage (gmq.db, logs/), not a cluster"
                                + " node's; give the node an empty --data-dir");
            }
            if (Files.exists(file)) {
                String found = Files.readString(file, StandardCharsets.UTF_8).trim();
                if (!found.equals(expected)) {
                    throw new GmqException(
                            ErrorCode.FAILED_PRECONDITION,
                            "data directory " + dataDir + " belongs to the storage cluster " + found
                                    + " (its members as of its last membership change), not to --peers " + expected
                                    + "; start the node with --peers " + found
                                    + ", or give it its own empty --data-dir");
                }
                return;
            }
            if (Files.exists(dataDir.resolve("raft"))) {
                throw new GmqException(
                        ErrorCode.FAILED_PRECONDITION,
                        "data directory " + dataDir + " has a Raft log but no " + CLUSTER_FILE
                                + " file naming its cluster; refusing to guess");
            }
            Files.createDirectories(dataDir);
            write(dataDir, expected);
        } catch (IOException e) {
            throw new GmqException(ErrorCode.UNAVAILABLE, "cannot use data directory " + dataDir + ": " + e, e);
        }
    }

    /**
     * Called when node {@code self} applies the committed configuration {@code conf} at log index
     * {@code index}; rewrites the file when the membership it names changed. Skipped: a joint
     * configuration (the next entry settles it), a configuration without {@code self} (a node
     * catching up applies the older ones before the one that added it; a removed node keeps the
     * list it was last a member of), and one older than {@code latestConfIndex}, the newest
     * configuration in the node's Raft log (a restarting node replays every past one).
     * An I/O failure is logged, not thrown: the Raft log stays the truth, and the next start
     * refuses the new list with the old one named.
     */
    static void follow(Path dataDir, String self, long index, RaftConfigurationProto conf, long latestConfIndex) {
        if (conf.getOldPeersCount() > 0 || index < latestConfIndex) {
            return;
        }
        Map<String, String> members = new TreeMap<>();
        for (RaftPeerProto p : conf.getPeersList()) {
            if (p.getStartupRole() != RaftPeerRole.LISTENER) {
                members.put(p.getId().toStringUtf8(), p.getAddress());
            }
        }
        if (!members.containsKey(self)) {
            LOG.debug("node {}: membership at index {} is {}, without this node", self, index, members.keySet());
            return;
        }
        String line = line(members);
        try {
            Path file = dataDir.resolve(CLUSTER_FILE);
            if (Files.exists(file)
                    && Files.readString(file, StandardCharsets.UTF_8).trim().equals(line)) {
                return;
            }
            write(dataDir, line);
            LOG.info("node {}: storage cluster members now {} (index {}; {} rewritten)", self, line, index, file);
        } catch (IOException e) {
            LOG.error(
                    "node {}: cannot record the membership {} in {}: {}; the next start needs the old --peers",
                    self,
                    line,
                    dataDir.resolve(CLUSTER_FILE),
                    e.toString());
        }
    }

    /** The members as the file holds them: {@code ID=HOST:PORT}, sorted by id, comma separated. */
    static String line(Map<String, String> members) {
        return new TreeMap<>(members)
                .entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
    }

    private static void write(Path dataDir, String line) throws IOException {
        Path tmp = dataDir.resolve(CLUSTER_FILE + ".tmp");
        try (FileChannel ch = FileChannel.open(
                tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        Files.move(tmp, dataDir.resolve(CLUSTER_FILE), StandardCopyOption.ATOMIC_MOVE);
        try (FileChannel dir = FileChannel.open(dataDir, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // Some platforms cannot open a directory; the rename is still atomic there.
            LOG.debug("cannot force directory {}: {}", dataDir, e.toString());
        }
    }
}
