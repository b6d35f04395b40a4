package io.gmq.net.cluster;

import static io.gmq.net.cluster.InProcessNodes.P0;
import static io.gmq.net.cluster.InProcessNodes.await;
import static io.gmq.net.cluster.InProcessNodes.batch;
import static io.gmq.net.cluster.InProcessNodes.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.GmqConfig;
import io.gmq.TopicPartition;
import io.gmq.net.server.GmqServer;
import io.gmq.net.storage.LeaderRoutedStorage;
import io.gmq.net.storage.RemoteStorage;
import io.gmq.net.storage.StorageShards;
import io.gmq.storage.AppendResult;
import io.gmq.storage.BatchReader;
import io.gmq.storage.FetchResult;
import io.gmq.storage.GroupMembership;
import io.gmq.storage.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three storage nodes in this JVM on 127.0.0.1: appends acknowledged by a majority, reads from
 * the leader through any node, a stopped leader replaced without losing an acknowledged append
 * or a committed offset, and a restarted node rebuilt from the Raft log to the same bytes.
 */
class StorageClusterTest {
    @TempDir
    Path dir;

    private InProcessNodes cluster;
    private String peers;

    @BeforeEach
    void nodes() {
        cluster = new InProcessNodes(dir);
    }

    @AfterEach
    void stopAll() throws Exception {
        cluster.close();
    }

    @Test
    void acknowledgedAppendsAndOffsetsSurviveTheLeader() {
        startCluster();
        Storage viaNode1 = cluster.client("1");
        viaNode1.createTopic("orders", 2);
        List<String> acked = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            AppendResult r = viaNode1.append(P0, batch("m" + i), true).join();
            assertEquals(i, r.baseOffset());
            acked.add("m" + i);
        }
        assertEquals(acked, read(viaNode1, 0));
        GroupMembership m = viaNode1.joinGroup("g", "c1", Set.of("orders"), 30_000);
        assertTrue(viaNode1.commitOffsets("g", m.memberId(), m.generation(), Map.of(P0, 12L))
                .isEmpty());

        String leader = cluster.leaderId();
        cluster.nodes.remove(leader).close();

        String survivor = cluster.nodes.keySet().iterator().next();
        Storage viaSurvivor = cluster.client(survivor);
        await("a new leader", () -> !cluster.leaderId().equals(leader));
        for (int i = 20; i < 30; i++) {
            assertEquals(i, viaSurvivor.append(P0, batch("m" + i), true).join().baseOffset());
            acked.add("m" + i);
        }
        assertEquals(acked, read(viaSurvivor, 0));
        assertEquals(Map.of(P0, 12L), viaSurvivor.committedOffsets("g", List.of(P0)));
        assertEquals(
                Set.of(P0, new TopicPartition("orders", 1)),
                Set.copyOf(viaSurvivor
                        .heartbeat("g", m.memberId(), m.generation(), m.assigned())
                        .assigned()));

        // The stopped node comes back, replays the Raft log and holds the same frames.
        cluster.start(leader, peers, false);
        await("node " + leader + " to catch up", () -> cluster.replicaEnd(leader) == 30);
        ByteBuffer expected = cluster.replicaBytes(survivor);
        assertEquals(expected, cluster.replicaBytes(leader));
    }

    @Test
    void aBadCommandFailsOnEveryReplicaAndChangesNothing() {
        startCluster();
        Storage s = cluster.client("2");
        s.createTopic("orders", 1);
        var e = org.junit.jupiter.api.Assertions.assertThrows(
                java.util.concurrent.CompletionException.class,
                () -> s.append(new TopicPartition("orders", 5), batch("x"), true)
                        .join());
        var cause = (io.gmq.GmqException) e.getCause();
        assertEquals(io.gmq.ErrorCode.INVALID_ARGUMENT, cause.code(), cause.getMessage());
        assertTrue(cause.getMessage().contains("partition 5 is out of range"), cause.getMessage());
        assertEquals(0, s.append(P0, batch("ok"), true).join().baseOffset());
        for (String id : cluster.nodes.keySet()) {
            await("node " + id + " to apply", () -> cluster.replicaEnd(id) == 1);
        }
    }

    @Test
    void aBrokerSeededWithAFollowerRoutesToTheLeaderAndFollowsItWhenItStops() {
        startCluster();
        String leader = cluster.leaderId();
        String follower = cluster.aFollower();
        RemoteStorage seed =
                RemoteStorage.connect("127.0.0.1:" + cluster.nodes.get(follower).port(), 8 << 20);
        LeaderRoutedStorage routed = new LeaderRoutedStorage(
                seed,
                cluster.nodes.keySet().stream().map(cluster::address).collect(java.util.stream.Collectors.toSet()),
                a -> RemoteStorage.connect(a, 8 << 20));
        cluster.own(routed);
        await("routing to leader " + leader, () -> routed.routedTo().equals(cluster.address(leader)));
        await("routing every group to its leader", () -> routesToEveryLeader(routed));
        routed.createTopic("orders", 1);
        assertEquals(0, routed.append(P0, batch("a"), true).join().baseOffset());

        cluster.nodes.remove(leader).close();
        await(
                "a new leader",
                () -> !cluster.leaderId().equals("-") && !cluster.leaderId().equals(leader));
        String next = cluster.leaderId();
        // The first call after the stop may fail UNAVAILABLE (indeterminate, as any call to a
        // stopped node); the route moves to the new leader within a refresh.
        await("routing to the new leader " + next, () -> {
            try {
                routed.partitionInfo(P0);
            } catch (io.gmq.GmqException e) {
                assertEquals(io.gmq.ErrorCode.UNAVAILABLE, e.code(), e.getMessage());
            }
            return routed.routedTo().equals(cluster.address(next)) && routesToEveryLeader(routed);
        });
        assertEquals(1, routed.append(P0, batch("b"), true).join().baseOffset());
        assertEquals(List.of("a", "b"), read(routed, 0));
    }

    /** Each group's calls go to the storage address of the leader that cluster describe names for it. */
    private static boolean routesToEveryLeader(LeaderRoutedStorage routed) {
        io.gmq.ClusterDescription d = routed.describeCluster();
        assertEquals(4, d.groups().size(), d.toString());
        for (io.gmq.ClusterDescription.StorageGroup g : d.groups()) {
            String leaderAddress = g.members().stream()
                    .filter(n -> n.id().equals(g.leader()))
                    .map(io.gmq.ClusterDescription.Node::storageAddress)
                    .findFirst()
                    .orElse("-");
            if (!routed.routedTo(g.name()).equals(leaderAddress)) {
                return false;
            }
        }
        return true;
    }

    @Test
    void aBrokerNotGivenTheLeadersAddressGoesThroughItsSeed() {
        startCluster();
        String follower = cluster.aFollower();
        LeaderRoutedStorage routed = new LeaderRoutedStorage(
                RemoteStorage.connect(cluster.address(follower), 8 << 20), Set.of(cluster.address(follower)), a -> {
                    throw new AssertionError("connected to " + a + ", an address the broker was not given");
                });
        cluster.own(routed);
        routed.createTopic("orders", 1);
        assertEquals(0, routed.append(P0, batch("a"), true).join().baseOffset());
        assertEquals(List.of("a"), read(routed, 0));
        assertEquals("", routed.routedTo());
    }

    @Test
    void aBrokerOverASingleStorageProcessCallsItDirectly() {
        GmqServer single = cluster.own(GmqServer.storage(
                GmqConfig.builder().dataDir(dir.resolve("single")).build(), "127.0.0.1", 0));
        LeaderRoutedStorage routed = cluster.own(new LeaderRoutedStorage(
                RemoteStorage.connect("127.0.0.1:" + single.port(), 8 << 20),
                Set.of("127.0.0.1:" + single.port()),
                a -> {
                    throw new AssertionError("no other connection for a single storage process: " + a);
                }));
        routed.createTopic("orders", 1);
        assertEquals(0, routed.append(P0, batch("a"), true).join().baseOffset());
        assertEquals("", routed.routedTo());
        var e = org.junit.jupiter.api.Assertions.assertThrows(io.gmq.GmqException.class, routed::describeCluster);
        assertEquals(io.gmq.ErrorCode.FAILED_PRECONDITION, e.code());
    }

    @Test
    void aFlippedBitInAReplicaIsNeverServedAndTheRaftLogsCopyRepairsIt() throws Exception {
        startCluster();
        Storage s = cluster.client("1");
        s.createTopic("orders", 1);
        for (int i = 0; i < 30; i++) {
            s.append(P0, batch("m" + i), true).join();
        }
        for (String id : cluster.nodes.keySet()) {
            await("node " + id + " to apply", () -> cluster.replicaEnd(id) == 30);
        }
        ByteBuffer expected = cluster.replicaBytes(cluster.leaderId());
        String follower = cluster.nodes.keySet().stream()
                .filter(id -> !id.equals(cluster.leaderId()))
                .findFirst()
                .orElseThrow();

        // A replica's partition segment: its CRC check refuses the damaged frame; every frame the
        // replica still serves is the one appended at its offset.
        flipBit(
                cluster.dir(follower)
                        .resolve("state")
                        .resolve(StorageShards.dataGroupName(StorageShards.dataGroupOf(P0)))
                        .resolve("logs/orders/0/00000000000000000000.log"),
                0.5);
        int damagedFrames = 0;
        for (long offset = 0; offset < 30; offset++) {
            try {
                FetchResult r = cluster.nodes
                        .get(follower)
                        .cluster()
                        .replica(P0)
                        .fetch(P0, offset, 1, 0)
                        .join();
                BatchReader reader = new BatchReader(r.records());
                while (reader.next()) {
                    assertEquals("m" + reader.offset(), new String(reader.value(), StandardCharsets.UTF_8));
                }
            } catch (java.util.concurrent.CompletionException e) {
                assertEquals(io.gmq.ErrorCode.DATA_LOSS, ((io.gmq.GmqException) e.getCause()).code());
                damagedFrames++;
            }
        }
        assertTrue(damagedFrames > 0, "the damaged frame is refused");
        // A restart rebuilds the replica from the Raft log: the same bytes as the leader's.
        cluster.nodes.remove(follower).close();
        cluster.start(follower, peers, false);
        await("node " + follower + " to rebuild", () -> cluster.replicaEnd(follower) == 30);
        assertEquals(expected, cluster.replicaBytes(follower));

        // The node's Raft log itself: refused at start, with the way back in the message.
        cluster.nodes.remove(follower).close();
        flipBit(onlyRaftLogSegment(follower), 0.3);
        var refused = org.junit.jupiter.api.Assertions.assertThrows(
                io.gmq.GmqException.class, () -> cluster.start(follower, peers, false));
        assertEquals(io.gmq.ErrorCode.DATA_LOSS, refused.code());
        assertTrue(refused.getMessage().contains("is corrupt"), refused.getMessage());
        assertTrue(refused.getMessage().contains("remove this node"), refused.getMessage());
        // The majority goes on without it.
        assertEquals(
                30,
                cluster.client(cluster.leaderId())
                        .append(P0, batch("after"), true)
                        .join()
                        .baseOffset());
    }

    /** The one Raft log segment of the data group holding {@link InProcessNodes#P0} on node {@code id}. */
    private Path onlyRaftLogSegment(String id) throws IOException {
        String group =
                RaftShard.idOf(1 + StorageShards.dataGroupOf(P0)).getUuid().toString();
        try (var files =
                java.nio.file.Files.walk(cluster.dir(id).resolve("raft").resolve(group))) {
            return files.filter(f -> f.getFileName().toString().startsWith("log_"))
                    .findFirst()
                    .orElseThrow();
        }
    }

    /** Flips one bit at {@code fraction} of the file's written bytes (its non-zero prefix). */
    private static void flipBit(Path file, double fraction) throws IOException {
        byte[] bytes = java.nio.file.Files.readAllBytes(file);
        int written = bytes.length;
        while (written > 0 && bytes[written - 1] == 0) {
            written--;
        }
        int at = (int) (written * fraction);
        bytes[at] ^= 0x04;
        java.nio.file.Files.write(file, bytes);
    }

    @Test
    void aStaticMembersReplicatedJoinCarriesItsInstanceIdToEveryReplica() {
        startCluster();
        Storage viaNode1 = cluster.client("1");
        viaNode1.createTopic("orders", 2);
        GroupMembership a = viaNode1.joinGroup("g", "c", Set.of("orders"), 30_000, "host-1");
        Storage viaNode2 = cluster.client("2");
        GroupMembership b = viaNode2.joinGroup("g", "c", Set.of("orders"), 30_000, "host-1");
        assertEquals(a.assigned(), b.assigned(), "the static rejoin takes the partitions over");
        assertEquals(a.generation(), b.generation(), "without a rebalance");

        String leader = cluster.leaderId();
        cluster.nodes.remove(leader).close();
        String survivor = cluster.nodes.keySet().iterator().next();
        Storage viaSurvivor = cluster.client(survivor);
        await("a new leader", () -> !cluster.leaderId().equals(leader));
        assertEquals(
                a.assigned(),
                viaSurvivor
                        .heartbeat("g", b.memberId(), b.generation(), b.assigned())
                        .assigned());
        io.gmq.GmqException fenced = org.junit.jupiter.api.Assertions.assertThrows(
                io.gmq.GmqException.class, () -> viaSurvivor.heartbeat("g", a.memberId(), a.generation(), Set.of()));
        assertEquals(io.gmq.ErrorCode.ALREADY_EXISTS, fenced.code());
        assertTrue(fenced.getMessage().contains("'host-1'"), fenced.getMessage());
    }

    private void startCluster() {
        peers = cluster.startThree();
    }
}
