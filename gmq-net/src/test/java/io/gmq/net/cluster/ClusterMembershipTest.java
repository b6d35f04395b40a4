package io.gmq.net.cluster;

import static io.gmq.net.cluster.InProcessNodes.P0;
import static io.gmq.net.cluster.InProcessNodes.await;
import static io.gmq.net.cluster.InProcessNodes.batch;
import static io.gmq.net.cluster.InProcessNodes.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ClusterDescription;
import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.net.testing.FreePorts;
import io.gmq.storage.GroupMembership;
import io.gmq.storage.Storage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
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
    @TempDir
    Path dir;

    private final Map<String, String> raft = new TreeMap<>();
    private InProcessNodes cluster;

    @BeforeEach
    void nodes() {
        cluster = new InProcessNodes(dir);
    }

    @AfterEach
    void stopAll() throws Exception {
        cluster.close();
    }

    @Test
    void aJoiningNodeCatchesUpFromTheLeaderAndItsMembershipSurvivesRestarts() {
        startCluster("1", "2", "3");
        Storage via1 = cluster.client("1");
        via1.createTopic("orders", 1);
        for (int i = 0; i < 30; i++) {
            assertEquals(i, via1.append(P0, batch("m" + i), true).join().baseOffset());
        }
        GroupMembership m = via1.joinGroup("g", "c1", Set.of("orders"), 60_000);
        assertTrue(via1.commitOffsets("g", m.memberId(), m.generation(), Map.of(P0, 12L))
                .isEmpty());
        String oldMembers = members();

        raft.put("4", "127.0.0.1:" + FreePorts.pick());
        cluster.start("4", members(), true);
        ClusterDescription after = via1.addStorageNode("4", raft.get("4"));
        assertEquals(Set.of("1", "2", "3", "4"), ids(after));
        assertTrue(ids(after).contains(group(after).leader()), group(after).toString());
        // Node 4 took one replica of the busiest nodes: data-0 from node 1, data-1 from node 2.
        assertEquals(Set.of("2", "3", "4"), memberIds(after.groups().get(1)), after.toString());
        assertEquals(Set.of("1", "3", "4"), memberIds(after.groups().get(2)), after.toString());
        assertEquals(Set.of("1", "2", "3"), memberIds(after.groups().get(3)), after.toString());
        StorageNode node1 = cluster.nodes.get("1").cluster().node();
        await(
                "node 1 to drop data-0 and its replica",
                () -> !node1.hosts(node1.data(0))
                        && !Files.exists(cluster.dir("1").resolve("state").resolve("data-0")));

        // Node 4 replays the leader's Raft log: the same frames at the same offsets, the same offsets committed.
        await("node 4 to catch up", () -> cluster.replicaEnd("4") == 30);
        assertEquals(cluster.replicaBytes("2"), cluster.replicaBytes("4"));
        assertEquals(
                Map.of(P0, 12L),
                cluster.nodes.get("4").cluster().metadataReplica().committedOffsets("g", List.of(P0)));
        for (String id : List.of("1", "2", "3", "4")) {
            await(
                    "node " + id + "'s cluster-peers to name four members",
                    () -> members().equals(clusterFile(id)));
        }
        // A write through the new member commits and reaches every replica; node 1, which no
        // longer holds the partition's group, passes reads and writes to its leader.
        assertEquals(
                30, cluster.client("4").append(P0, batch("m30"), true).join().baseOffset());
        await("node 4 to apply it", () -> cluster.replicaEnd("4") == 31);
        assertEquals(31, read(cluster.client("2"), 0).size());
        assertEquals(31, via1.append(P0, batch("m31"), true).join().baseOffset());
        assertEquals(32, read(via1, 0).size());
        assertEquals("m31", read(via1, 31).get(0));

        // Restarted with the member list from before the change: refused, nothing written.
        cluster.nodes.remove("2").close();
        GmqException stale = assertThrows(GmqException.class, () -> cluster.start("2", oldMembers, false));
        assertEquals(ErrorCode.FAILED_PRECONDITION, stale.code());
        assertTrue(stale.getMessage().contains("belongs to the storage cluster " + members()), stale.getMessage());
        assertEquals(members(), clusterFile("2"));
        cluster.start("2", members(), false);
        await("node 2 to catch up after its restart", () -> cluster.replicaEnd("2") == 32);
        assertEquals(cluster.replicaBytes("4"), cluster.replicaBytes("2"));
        await("the leader to see all four up", () -> {
            ClusterDescription d = cluster.client("3").describeCluster();
            return ids(d).equals(Set.of("1", "2", "3", "4"))
                    && group(d).members().stream().allMatch(ClusterDescription.Node::up);
        });
    }

    @Test
    void removingAFollowerThenTheLeaderKeepsTheClusterCommitting() {
        startCluster("1", "2", "3");
        Storage via1 = cluster.client("1");
        via1.createTopic("orders", 1);
        for (int i = 0; i < 5; i++) {
            via1.append(P0, batch("m" + i), true).join();
        }
        String leader = cluster.leaderId();
        List<String> others =
                raft.keySet().stream().filter(id -> !id.equals(leader)).toList();
        String follower = others.get(0);
        String staying = others.get(1);

        // A follower removed through its own storage service: the answer comes from a remaining member.
        ClusterDescription d = cluster.client(follower).removeStorageNode(follower);
        assertEquals(Set.of(leader, staying), ids(d));
        await(
                "removed node " + follower + " to stop by itself",
                () -> cluster.nodes.get(follower).isTerminated());
        cluster.nodes.remove(follower).close();
        Storage viaStaying = cluster.client(staying);
        assertEquals(5, viaStaying.append(P0, batch("m5"), true).join().baseOffset());

        // The leader removed: leadership moves to the remaining member, which still commits alone.
        d = viaStaying.removeStorageNode(leader);
        assertEquals(Set.of(staying), ids(d));
        assertEquals(staying, group(d).leader());
        await(
                "removed leader " + leader + " to stop by itself",
                () -> cluster.nodes.get(leader).isTerminated());
        cluster.nodes.remove(leader).close();
        assertEquals(6, viaStaying.append(P0, batch("m6"), true).join().baseOffset());
        assertEquals(List.of("m0", "m1", "m2", "m3", "m4", "m5", "m6"), read(viaStaying, 0));
        assertEquals(Set.of(staying), ids(viaStaying.describeCluster()));
        String onlyMember = staying + "=" + raft.get(staying);
        await("node " + staying + "'s cluster-peers to name it alone", () -> onlyMember.equals(clusterFile(staying)));

        GmqException last = assertThrows(GmqException.class, () -> viaStaying.removeStorageNode(staying));
        assertEquals(ErrorCode.FAILED_PRECONDITION, last.code());
        assertTrue(last.getMessage().contains("only member"), last.getMessage());

        // The removed leader's Raft log says it is no longer a member: started as one, it is refused.
        String leaderClaim = clusterFile(leader);
        GmqException removed = assertThrows(GmqException.class, () -> cluster.start(leader, leaderClaim, false));
        assertTrue(removed.getMessage().contains("was removed from the storage cluster"), removed.getMessage());
    }

    @Test
    void fourNodesHoldEachDataGroupOnThreeAndRemovingOneMovesItsReplicas() {
        startCluster("1", "2", "3", "4");
        ClusterDescription d = cluster.client("4").describeCluster();
        assertEquals(Set.of("1", "2", "3", "4"), ids(d));
        assertEquals(Set.of("1", "2", "3"), memberIds(d.groups().get(1)), d.toString());
        assertEquals(Set.of("1", "2", "4"), memberIds(d.groups().get(2)), d.toString());
        assertEquals(Set.of("1", "3", "4"), memberIds(d.groups().get(3)), d.toString());
        StorageNode node4 = cluster.nodes.get("4").cluster().node();
        assertTrue(!node4.hosts(node4.data(0)) && node4.hosts(node4.data(1)), "node 4 holds data-1 and data-2 only");
        assertTrue(!Files.exists(cluster.dir("4").resolve("state").resolve("data-0")));

        // Node 4 does not hold orders/0's group (data-0): it passes the writes and reads on.
        Storage via4 = cluster.client("4");
        via4.createTopic("orders", 3);
        for (int i = 0; i < 10; i++) {
            assertEquals(i, via4.append(P0, batch("m" + i), true).join().baseOffset());
        }
        assertEquals(10, read(via4, 0).size());
        await("node 3 to apply them", () -> cluster.replicaEnd("3") == 10);

        // Node 1 holds every group; removed, each group takes the node it lacks and stays at three.
        d = via4.removeStorageNode("1");
        assertEquals(Set.of("2", "3", "4"), ids(d));
        for (ClusterDescription.StorageGroup g : d.groups()) {
            assertEquals(Set.of("2", "3", "4"), memberIds(g), d.toString());
        }
        await("removed node 1 to stop by itself", () -> cluster.nodes.get("1").isTerminated());
        cluster.nodes.remove("1").close();
        await("node 4 to catch up on data-0", () -> cluster.replicaEnd("4") == 10);
        assertEquals(cluster.replicaBytes("2"), cluster.replicaBytes("4"));
        assertEquals(
                10, cluster.client("2").append(P0, batch("m10"), true).join().baseOffset());
        assertEquals(11, read(via4, 0).size());
    }

    private void startCluster(String... ids) {
        for (String id : ids) {
            raft.put(id, "127.0.0.1:" + FreePorts.pick());
        }
        String peers = members();
        for (String id : ids) {
            cluster.start(id, peers, false);
        }
        await("a leader", () -> !cluster.leaderId().equals("-"));
    }

    /** All nodes this test started, as ID=HOST:PORT sorted by id. */
    private String members() {
        return raft.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(","));
    }

    private String clusterFile(String id) {
        try {
            return Files.readString(cluster.dir(id).resolve(DataDirClaim.CLUSTER_FILE), StandardCharsets.UTF_8)
                    .trim();
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * The metadata group, after checking that every group (metadata, data-0..2) is there and
     * each data group has min(3, nodes) members of the cluster.
     */
    private static ClusterDescription.StorageGroup group(ClusterDescription d) {
        assertEquals(
                List.of("metadata", "data-0", "data-1", "data-2"),
                d.groups().stream().map(ClusterDescription.StorageGroup::name).toList(),
                d.toString());
        ClusterDescription.StorageGroup metadata = d.groups().get(0);
        for (ClusterDescription.StorageGroup g :
                d.groups().subList(1, d.groups().size())) {
            assertEquals(Math.min(3, metadata.members().size()), g.members().size(), d.toString());
            assertTrue(memberIds(metadata).containsAll(memberIds(g)), d.toString());
        }
        return metadata;
    }

    private static Set<String> memberIds(ClusterDescription.StorageGroup g) {
        return g.members().stream().map(ClusterDescription.Node::id).collect(Collectors.toSet());
    }

    private static Set<String> ids(ClusterDescription d) {
        return memberIds(group(d));
    }
}
