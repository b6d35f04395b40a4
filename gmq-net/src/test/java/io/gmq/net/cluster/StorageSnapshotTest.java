package io.gmq.net.cluster;

import static io.gmq.net.cluster.InProcessNodes.P0;
import static io.gmq.net.cluster.InProcessNodes.await;
import static io.gmq.net.cluster.InProcessNodes.batch;
import static io.gmq.net.cluster.InProcessNodes.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.GmqException;
import io.gmq.net.storage.StorageShards;
import io.gmq.net.testing.FreePorts;
import io.gmq.storage.GroupMembership;
import io.gmq.storage.Storage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots of a storage cluster in this JVM, taken every {@link #INTERVAL} entries (the
 * {@code -Dgmq.raft.*} overrides, as an operator would set them) over a Raft log of small
 * segments: the log is purged behind them; a node restarted without a snapshot at its stop
 * restores its newest one and applies only its log after it, ending byte for byte where the
 * leader is; a node added after the purge gets the leader's snapshot and then its log, ending with
 * the same segments and group state; a damaged newest snapshot is set aside and the one before it
 * used, or the node refuses to start when its log no longer reaches back to that one.
 */
class StorageSnapshotTest {
    private static final int INTERVAL = 20;
    private static final Map<String, String> RAFT = Map.of(
            "gmq.raft.server.snapshot.auto.trigger.threshold", Integer.toString(INTERVAL),
            "gmq.raft.server.log.purge.preservation.log.num", Integer.toString(INTERVAL),
            "gmq.raft.server.log.purge.gap", "1",
            "gmq.raft.server.log.segment.size.max", "2KB",
            "gmq.raft.server.log.preallocated.size", "2KB",
            // A stop without its own snapshot, as after a crash: the restart must use an older one.
            "gmq.raft.server.snapshot.trigger-when-stop.enabled", "false");

    @TempDir
    Path dir;

    private InProcessNodes cluster;
    private final Map<String, String> raft = new TreeMap<>();

    @BeforeEach
    void nodes() {
        RAFT.forEach(System::setProperty);
        cluster = new InProcessNodes(dir);
    }

    @AfterEach
    void stopAll() throws Exception {
        try {
            cluster.close();
        } finally {
            RAFT.keySet().forEach(System::clearProperty);
            System.clearProperty("gmq.raft.server.log.purge.preservation.log.num");
        }
    }

    @Test
    void theRaftLogIsPurgedBehindSnapshotsAndAFollowerCatchesUpFromItsOwnOrTheLeadersSnapshot() throws Exception {
        startCluster("1", "2", "3");
        Storage s = cluster.client("1");
        s.createTopic("orders", 1);
        appendUpTo(s, 100);
        GroupMembership m = s.joinGroup("g", "c1", Set.of("orders"), 60_000);
        s.commitOffsets("g", m.memberId(), m.generation(), Map.of(P0, 42L));
        for (String id : List.of("1", "2", "3")) {
            await("node " + id + " to apply everything", () -> cluster.replicaEnd(id) == 100);
            await("node " + id + " to purge its Raft log", () -> firstLogIndex(id) > INTERVAL);
            assertFalse(snapshots(id).isEmpty(), "node " + id + " has snapshots");
        }

        // A follower away briefly: restored from its own newest snapshot, then its own log and the
        // leader's. Its log no longer holds the first entries (the topic, the first appends): only
        // its snapshot does, so a replica that has them again was restored from it.
        String follower = cluster.aFollower();
        cluster.nodes.remove(follower).close();
        long logStart = firstLogIndex(follower);
        assertTrue(logStart > INTERVAL, "the stopped node's log starts at " + logStart);
        appendUpTo(cluster.client(cluster.leaderId()), 103);
        cluster.start(follower, members(), false);
        await("node " + follower + " to catch up", () -> cluster.replicaEnd(follower) == 103);
        assertEquals(segments(cluster.leaderId()), segments(follower));
        assertEquals(
                Map.of(P0, 42L),
                cluster.nodes.get(follower).cluster().metadataReplica().committedOffsets("g", List.of(P0)));

        // A follower away past the purge: the leader's log no longer has what it lacks, so it
        // installs the leader's snapshot, then follows the log.
        cluster.nodes.remove(follower).close();
        long followerLast = lastLogIndex(follower);
        String leader = cluster.leaderId();
        appendUpTo(cluster.client(leader), 160);
        // Whichever node leads the partition's group, its log no longer reaches back to the follower's.
        for (String id : cluster.nodes.keySet()) {
            await("node " + id + " to purge past node " + follower, () -> firstLogIndex(id) > followerLast + 1);
        }
        cluster.start(follower, members(), false);
        await("node " + follower + " to catch up", () -> cluster.replicaEnd(follower) == 160);
        assertEquals(segments(cluster.leaderId()), segments(follower));
        assertEquals(
                Map.of(P0, 42L),
                cluster.nodes.get(follower).cluster().metadataReplica().committedOffsets("g", List.of(P0)));
        assertEquals(160, read(cluster.client(follower), 0).size());
    }

    @Test
    void aNodeAddedAfterThePurgeCatchesUpFromTheLeadersSnapshotByteForByte() throws Exception {
        startCluster("1", "2", "3");
        Storage s = cluster.client("1");
        s.createTopic("orders", 1);
        appendUpTo(s, 80);
        GroupMembership m = s.joinGroup("g", "c1", Set.of("orders"), 60_000);
        s.commitOffsets("g", m.memberId(), m.generation(), Map.of(P0, 17L));
        appendUpTo(s, 120);
        String leader = cluster.leaderId();
        await("the leader to purge its Raft log", () -> firstLogIndex(leader) > INTERVAL);

        raft.put("4", "127.0.0.1:" + FreePorts.pick());
        cluster.start("4", members(), true);
        s.addStorageNode("4", raft.get("4"));

        await("node 4 to catch up", () -> cluster.replicaEnd("4") == 120);
        assertFalse(snapshots("4").isEmpty(), "node 4 installed the leader's snapshot");
        String now = cluster.leaderId();
        // Node 4 took data-0 (orders/0's group) from node 1: node 2 holds it still.
        assertEquals(segments("2"), segments("4"));
        var replica4 = cluster.nodes.get("4").cluster().metadataReplica();
        var leaderReplica = cluster.nodes.get(now).cluster().metadataReplica();
        assertEquals(Map.of(P0, 17L), replica4.committedOffsets("g", List.of(P0)));
        assertEquals(
                leaderReplica.describeGroup("g").members().stream()
                        .map(x -> x.memberId())
                        .toList(),
                replica4.describeGroup("g").members().stream()
                        .map(x -> x.memberId())
                        .toList());
        assertEquals(
                leaderReplica.describeGroup("g").generation(),
                replica4.describeGroup("g").generation());

        // And it follows the log from there.
        assertEquals(
                120, cluster.client("4").append(P0, batch("after"), true).join().baseOffset());
        await("node 4 to apply it", () -> cluster.replicaEnd("4") == 121);
        await("node 2 to apply it", () -> cluster.replicaEnd("2") == 121);
        assertEquals(segments("2"), segments("4"));
    }

    @Test
    void aDamagedNewestSnapshotIsSetAsideAndTheOneBeforeItUsed() throws Exception {
        startCluster("1");
        Storage s = cluster.client("1");
        s.createTopic("orders", 1);
        appendUpTo(s, 70);
        await("two snapshots", () -> snapshots("1").size() == 2);
        Map<String, ByteBuffer> before = segments("1");
        cluster.nodes.remove("1").close();

        Path newest = snapshots("1").get(0);
        flipByte(newest.resolve(SnapshotManifest.FILE));
        // A snapshot that a crash interrupted: never published, so never used.
        Path unfinished = newest.resolveSibling(ReplicaSnapshots.TMP + "snapshot.9_999999");
        Files.createDirectories(unfinished.resolve("logs"));

        cluster.start("1", members(), false);
        await("node 1 to apply everything again", () -> cluster.replicaEnd("1") == 70);
        assertEquals(before, segments("1"));
        assertTrue(Files.isDirectory(newest.resolveSibling(ReplicaSnapshots.DAMAGED + newest.getFileName())));
        assertFalse(Files.exists(unfinished));
        assertEquals(
                70, cluster.client("1").append(P0, batch("after"), true).join().baseOffset());
    }

    @Test
    void aDamagedSnapshotIsRefusedWhenTheRaftLogNoLongerReachesTheOneBeforeIt() throws Exception {
        System.setProperty("gmq.raft.server.log.purge.preservation.log.num", "0");
        startCluster("1");
        Storage s = cluster.client("1");
        s.createTopic("orders", 1);
        appendUpTo(s, 70);
        await("two snapshots", () -> snapshots("1").size() == 2);
        long previous = snapshotIndex(snapshots("1").get(1));
        await("the log purged past the older snapshot", () -> firstLogIndex("1") > previous + 1);
        cluster.nodes.remove("1").close();
        flipByte(snapshots("1").get(0).resolve(SnapshotManifest.FILE));

        GmqException refused = assertThrows(GmqException.class, () -> cluster.start("1", members(), false));
        assertTrue(refused.getMessage().contains("cannot be rebuilt here"), refused.getMessage());
        assertTrue(refused.getMessage().contains("remove this node"), refused.getMessage());
    }

    // ---- support -------------------------------------------------------------------------------

    private static void appendUpTo(Storage s, int end) {
        long next = s.partitionInfo(P0).highWatermark();
        for (long i = next; i < end; i++) {
            assertEquals(i, s.append(P0, batch("m" + i), true).join().baseOffset());
        }
    }

    private void startCluster(String... ids) {
        for (String id : ids) {
            raft.put(id, "127.0.0.1:" + FreePorts.pick());
        }
        for (String id : ids) {
            cluster.start(id, members(), false);
        }
        await("a leader", () -> !cluster.leaderId().equals("-"));
    }

    private String members() {
        return raft.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(","));
    }

    /** The node's directory under raft/ of the data group holding {@link InProcessNodes#P0}. */
    private Path groupDir(String id) throws IOException {
        Path dir = cluster.dir(id)
                .resolve("raft")
                .resolve(RaftShard.idOf(1 + StorageShards.dataGroupOf(P0))
                        .getUuid()
                        .toString());
        if (!Files.isDirectory(dir.resolve("sm"))) {
            throw new java.util.NoSuchElementException(dir + " has no sm/ yet");
        }
        return dir;
    }

    /** The node's published snapshots, newest first. */
    private List<Path> snapshots(String id) {
        Path sm;
        try {
            sm = groupDir(id).resolve("sm");
        } catch (java.util.NoSuchElementException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (Stream<Path> dirs = Files.list(sm)) {
            List<Path> found =
                    new ArrayList<>(dirs.filter(d -> d.getFileName().toString().startsWith(ReplicaSnapshots.PREFIX))
                            .toList());
            found.sort((a, b) -> Long.compare(snapshotIndex(b), snapshotIndex(a)));
            return found;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long snapshotIndex(Path snapshot) {
        String name = snapshot.getFileName().toString();
        return Long.parseLong(name.substring(name.indexOf('_') + 1));
    }

    /** The first index of the node's Raft log, from its segment file names. */
    private long firstLogIndex(String id) {
        try (Stream<Path> files = Files.list(groupDir(id).resolve("current"))) {
            return files.map(f -> f.getFileName().toString())
                    .filter(n -> n.startsWith("log_"))
                    .map(n -> n.replace("log_inprogress_", "").replace("log_", ""))
                    .mapToLong(n -> Long.parseLong(n.contains("-") ? n.substring(0, n.indexOf('-')) : n))
                    .min()
                    .orElse(-1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The last index in the node's Raft log, from its segment file names (an open segment counts as its start). */
    private long lastLogIndex(String id) {
        try (Stream<Path> files = Files.list(groupDir(id).resolve("current"))) {
            return files.map(f -> f.getFileName().toString())
                    .filter(n -> n.startsWith("log_"))
                    .map(n -> n.replace("log_inprogress_", "").replace("log_", ""))
                    .mapToLong(n -> Long.parseLong(n.contains("-") ? n.substring(n.indexOf('-') + 1) : n))
                    .max()
                    .orElse(-1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every partition segment of the node's data-group replicas, by path under state/. */
    private Map<String, ByteBuffer> segments(String id) throws IOException {
        Path state = cluster.dir(id).resolve("state");
        Map<String, ByteBuffer> all = new TreeMap<>();
        try (Stream<Path> files = Files.walk(state)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".log")
                            && state.relativize(p).toString().startsWith("data-"))
                    .toList()) {
                all.put(state.relativize(f).toString(), ByteBuffer.wrap(Files.readAllBytes(f)));
            }
        }
        return all;
    }

    private static void flipByte(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(file, bytes);
    }
}
