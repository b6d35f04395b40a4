package io.gmq.net.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ClusterDescription;
import io.gmq.ErrorCode;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.TopicPartition;
import io.gmq.net.security.ServerSecurity;
import io.gmq.net.server.GmqServer;
import io.gmq.net.storage.RemoteStorage;
import io.gmq.net.testing.FreePorts;
import io.gmq.storage.BatchBuilder;
import io.gmq.storage.BatchReader;
import io.gmq.storage.FetchResult;
import io.gmq.storage.GroupMembership;
import io.gmq.storage.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Storage cluster membership in this JVM on 127.0.0.1: a node started with --join and added to a
 * running cluster replays the leader's log to the same bytes and offsets, every member's
 * cluster-peers follows the change (a restart with the old list is refused, with the new one it
 * catches up); removing a follower and then the leader leaves a cluster that still commits, the
 * removed nodes stop by themselves, and the last member cannot be removed.
 */
class ClusterMembershipTest {
    private static final TopicPartition P0 = new TopicPartition("orders", 0);

    @TempDir
    Path dir;

    private final Map<String, GmqServer> nodes = new LinkedHashMap<>();
    private final Map<String, String> raft = new TreeMap<>();
    private final List<AutoCloseable> clients = new ArrayList<>();

    @AfterEach
    void stopAll() throws Exception {
        for (AutoCloseable c : clients) {
            c.close();
        }
        nodes.values().forEach(GmqServer::close);
    }

    @Test
    void aJoiningNodeCatchesUpFromTheLeaderAndItsMembershipSurvivesRestarts() {
        startCluster("1", "2", "3");
        Storage via1 = client("1");
        via1.createTopic("orders", 1);
        for (int i = 0; i < 30; i++) {
            assertEquals(i, via1.append(P0, batch("m" + i), true).join().baseOffset());
        }
        GroupMembership m = via1.joinGroup("g", "c1", Set.of("orders"), 60_000);
        assertTrue(via1.commitOffsets("g", m.memberId(), m.generation(), Map.of(P0, 12L))
                .isEmpty());
        String oldMembers = members();

        raft.put("4", "127.0.0.1:" + FreePorts.pick());
        startNode("4", members(), true);
        ClusterDescription after = via1.addStorageNode("4", raft.get("4"));
        assertEquals(Set.of("1", "2", "3", "4"), ids(after));
        assertTrue(ids(after).contains(group(after).leader()), group(after).toString());

        // Node 4 replays the leader's Raft log: the same frames at the same offsets, the same offsets committed.
        await("node 4 to catch up", () -> replicaEnd("4") == 30);
        assertEquals(replicaBytes("1"), replicaBytes("4"));
        assertEquals(Map.of(P0, 12L), nodes.get("4").cluster().replica().committedOffsets("g", List.of(P0)));
        for (String id : List.of("1", "2", "3", "4")) {
            await(
                    "node " + id + "'s cluster-peers to name four members",
                    () -> members().equals(clusterFile(id)));
        }
        // A write through the new member commits and reaches every replica.
        assertEquals(30, client("4").append(P0, batch("m30"), true).join().baseOffset());
        await("node 4 to apply it", () -> replicaEnd("4") == 31);
        assertEquals(31, read(client("2")).size());

        // Restarted with the member list from before the change: refused, nothing written.
        nodes.remove("2").close();
        GmqException stale = assertThrows(GmqException.class, () -> startNode("2", oldMembers, false));
        assertEquals(ErrorCode.FAILED_PRECONDITION, stale.code());
        assertTrue(stale.getMessage().contains("belongs to the storage cluster " + members()), stale.getMessage());
        assertEquals(members(), clusterFile("2"));
        startNode("2", members(), false);
        await("node 2 to catch up after its restart", () -> replicaEnd("2") == 31);
        assertEquals(replicaBytes("4"), replicaBytes("2"));
        await("the leader to see all four up", () -> {
            ClusterDescription d = client("3").describeCluster();
            return ids(d).equals(Set.of("1", "2", "3", "4"))
                    && group(d).members().stream().allMatch(ClusterDescription.Node::up);
        });
    }

    @Test
    void removingAFollowerThenTheLeaderKeepsTheClusterCommitting() {
        startCluster("1", "2", "3");
        Storage via1 = client("1");
        via1.createTopic("orders", 1);
        for (int i = 0; i < 5; i++) {
            via1.append(P0, batch("m" + i), true).join();
        }
        String leader = leaderId();
        List<String> others =
                raft.keySet().stream().filter(id -> !id.equals(leader)).toList();
        String follower = others.get(0);
        String staying = others.get(1);

        // A follower removed through its own storage service: the answer comes from a remaining member.
        ClusterDescription d = client(follower).removeStorageNode(follower);
        assertEquals(Set.of(leader, staying), ids(d));
        await(
                "removed node " + follower + " to stop by itself",
                () -> nodes.get(follower).isTerminated());
        nodes.remove(follower).close();
        Storage viaStaying = client(staying);
        assertEquals(5, viaStaying.append(P0, batch("m5"), true).join().baseOffset());

        // The leader removed: leadership moves to the remaining member, which still commits alone.
        d = viaStaying.removeStorageNode(leader);
        assertEquals(Set.of(staying), ids(d));
        assertEquals(staying, group(d).leader());
        await(
                "removed leader " + leader + " to stop by itself",
                () -> nodes.get(leader).isTerminated());
        nodes.remove(leader).close();
        assertEquals(6, viaStaying.append(P0, batch("m6"), true).join().baseOffset());
        assertEquals(List.of("m0", "m1", "m2", "m3", "m4", "m5", "m6"), read(viaStaying));
        assertEquals(Set.of(staying), ids(viaStaying.describeCluster()));
        String onlyMember = staying + "=" + raft.get(staying);
        await("node " + staying + "'s cluster-peers to name it alone", () -> onlyMember.equals(clusterFile(staying)));

        GmqException last = assertThrows(GmqException.class, () -> viaStaying.removeStorageNode(staying));
        assertEquals(ErrorCode.FAILED_PRECONDITION, last.code());
        assertTrue(last.getMessage().contains("only member"), last.getMessage());

        // The removed leader's Raft log says it is no longer a member: started as one, it is refused.
        String leaderClaim = clusterFile(leader);
        GmqException removed = assertThrows(GmqException.class, () -> startNode(leader, leaderClaim, false));
        assertTrue(removed.getMessage().contains("was removed from the storage cluster"), removed.getMessage());
    }

    private void startCluster(String... ids) {
        for (String id : ids) {
            raft.put(id, "127.0.0.1:" + FreePorts.pick());
        }
        String peers = members();
        for (String id : ids) {
            startNode(id, peers, false);
        }
        await("a leader", () -> !leaderId().equals("-"));
    }

    /** All nodes this test started, as ID=HOST:PORT sorted by id. */
    private String members() {
        return raft.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(","));
    }

    private void startNode(String id, String peers, boolean join) {
        GmqConfig config = GmqConfig.builder().dataDir(dir.resolve("node" + id)).build();
        nodes.put(
                id,
                GmqServer.storageNode(
                        config,
                        "127.0.0.1",
                        0,
                        ServerSecurity.none(),
                        ClusterPeers.parse(id, peers),
                        "127.0.0.1",
                        join));
    }

    private Storage client(String id) {
        RemoteStorage s = RemoteStorage.connect("127.0.0.1:" + nodes.get(id).port(), 8 << 20);
        clients.add(s);
        return s;
    }

    private String leaderId() {
        for (GmqServer n : nodes.values()) {
            String leader = n.cluster().leader();
            if (!leader.isEmpty() && nodes.containsKey(leader)) {
                return leader;
            }
        }
        return "-";
    }

    private String clusterFile(String id) {
        try {
            return Files.readString(dir.resolve("node" + id).resolve(DataDirClaim.CLUSTER_FILE), StandardCharsets.UTF_8)
                    .trim();
        } catch (IOException e) {
            return "";
        }
    }

    private long replicaEnd(String id) {
        try {
            return nodes.get(id).cluster().replica().partitionInfo(P0).highWatermark();
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private ByteBuffer replicaBytes(String id) {
        return nodes.get(id).cluster().replica().fetch(P0, 0, 1 << 20, 0).join().records();
    }

    private static ClusterDescription.StorageGroup group(ClusterDescription d) {
        assertEquals(1, d.groups().size(), d.toString());
        return d.groups().get(0);
    }

    private static Set<String> ids(ClusterDescription d) {
        return group(d).members().stream().map(ClusterDescription.Node::id).collect(Collectors.toSet());
    }

    private static ByteBuffer batch(String value) {
        BatchBuilder b = new BatchBuilder(64);
        b.add(1_000L, null, value.getBytes(StandardCharsets.UTF_8), List.of());
        return b.buildCopy();
    }

    private static List<String> read(Storage s) {
        FetchResult r = s.fetch(P0, 0, 1 << 20, 0).join();
        List<String> out = new ArrayList<>();
        BatchReader reader = new BatchReader(r.records());
        while (reader.next()) {
            assertEquals(out.size(), reader.offset());
            out.add(new String(reader.value(), StandardCharsets.UTF_8));
        }
        return out;
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (GmqException e) {
                // not yet: a node still electing or catching up
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(50); // polling interval of the condition, not a synchronisation
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
