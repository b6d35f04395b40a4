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
import io.gmq.GroupDescription;
import io.gmq.OffsetSpec;
import io.gmq.TopicPartition;
import io.gmq.net.storage.StorageShards;
import io.gmq.proto.ClusterCommand;
import io.gmq.proto.CreateTopicRequest;
import io.gmq.storage.GroupMembership;
import io.gmq.storage.Storage;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The storage cluster's groups: a metadata group and data groups on every node, each partition
 * in one data group only, and what the metadata group cannot know (log ends for resets and lag)
 * asked of the data groups.
 */
class ShardedStorageTest {
    private static final List<String> GROUPS = List.of("metadata", "data-0", "data-1", "data-2");

    @TempDir
    Path dir;

    private InProcessNodes cluster;

    @BeforeEach
    void nodes() {
        cluster = new InProcessNodes(dir);
        cluster.startThree();
    }

    @AfterEach
    void stopAll() throws Exception {
        cluster.close();
    }

    @Test
    void everyGroupHasEveryNodeAndALeader() {
        Storage s = cluster.client("2");
        await(
                "every group to have a leader",
                () -> s.describeCluster().groups().stream()
                        .allMatch(g -> !g.leader().isEmpty()));
        ClusterDescription d = s.describeCluster();
        assertEquals(
                GROUPS,
                d.groups().stream().map(ClusterDescription.StorageGroup::name).toList());
        for (ClusterDescription.StorageGroup g : d.groups()) {
            assertEquals(
                    Set.of("1", "2", "3"),
                    new HashSet<>(g.members().stream()
                            .map(ClusterDescription.Node::id)
                            .toList()),
                    g.toString());
            assertTrue(Set.of("1", "2", "3").contains(g.leader()), g.toString());
        }
        // Data group i prefers node i + 1, so the leaders spread over the nodes.
        await(
                "data-0, data-1, data-2 led by nodes 1, 2, 3",
                () -> s.describeCluster().groups().stream()
                        .skip(1)
                        .map(ClusterDescription.StorageGroup::leader)
                        .toList()
                        .equals(List.of("1", "2", "3")));
    }

    @Test
    void eachPartitionLivesInItsDataGroupOnly() {
        Storage s = cluster.client("3");
        s.createTopic("spread", 6);
        Set<Integer> used = new HashSet<>();
        for (int p = 0; p < 6; p++) {
            TopicPartition tp = new TopicPartition("spread", p);
            assertEquals(0, s.append(tp, batch("v" + p), true).join().baseOffset());
            used.add(StorageShards.dataGroupOf(tp));
        }
        assertEquals(Set.of(0, 1, 2), used, "six consecutive partitions cover every data group");
        for (String id : List.of("1", "2", "3")) {
            ReplicatedStorage node = cluster.nodes.get(id).cluster();
            for (int p = 0; p < 6; p++) {
                TopicPartition tp = new TopicPartition("spread", p);
                await(
                        "node " + id + " to apply " + tp,
                        () -> node.replica(tp).partitionInfo(tp).highWatermark() == 1);
                for (int g = 0; g < StorageShards.DATA_GROUPS; g++) {
                    if (g != StorageShards.dataGroupOf(tp)) {
                        assertEquals(0, node.replica(g).partitionInfo(tp).highWatermark(), tp + " in data-" + g);
                    }
                }
                assertEquals(0, node.metadataReplica().partitionInfo(tp).highWatermark(), tp + " in metadata");
            }
        }
    }

    @Test
    void resetsAndLagAreResolvedInTheDataGroups() {
        Storage s = cluster.client("1");
        s.createTopic("orders", 3);
        TopicPartition p1 = new TopicPartition("orders", 1);
        for (int i = 0; i < 5; i++) {
            s.append(P0, batch("a" + i), true).join();
        }
        for (int i = 0; i < 2; i++) {
            s.append(p1, batch("b" + i), true).join();
        }
        GroupMembership m = s.joinGroup("g", "c1", Set.of("orders"), 30_000);
        assertEquals(Set.of(), s.commitOffsets("g", m.memberId(), m.generation(), Map.of(P0, 2L)));
        GroupDescription d = s.describeGroup("g");
        GroupDescription.PartitionProgress progress = d.partitions().stream()
                .filter(p -> p.topicPartition().equals(P0))
                .findFirst()
                .orElseThrow();
        assertEquals(5, progress.highWatermark(), d.toString());
        assertEquals(3, progress.lag(), d.toString());
        s.leaveGroup("g", m.memberId());

        TopicPartition p2 = new TopicPartition("orders", 2);
        s.resetOffsets("g", "orders", OffsetSpec.latest());
        assertEquals(Map.of(P0, 5L, p1, 2L, p2, 0L), s.committedOffsets("g", List.of(P0, p1, p2)));
        s.resetOffsets("g", P0, OffsetSpec.earliest());
        assertEquals(Map.of(P0, 0L, p1, 2L, p2, 0L), s.committedOffsets("g", List.of(P0, p1, p2)));
        s.resetOffsets("g", P0, OffsetSpec.offset(100));
        assertEquals(5L, s.committedOffsets("g", List.of(P0)).get(P0), "clamped to the partition's end");
        s.resetOffsets("g", P0, OffsetSpec.offset(3));
        assertEquals(3L, s.committedOffsets("g", List.of(P0)).get(P0));

        GmqException missing = assertThrows(GmqException.class, () -> s.resetOffsets("g", "nope", OffsetSpec.latest()));
        assertEquals(ErrorCode.NOT_FOUND, missing.code(), missing.getMessage());
    }

    @Test
    void aTopicCutShortAfterTheMetadataGroupIsCompletedByItsFirstAppend() {
        StorageNode node = cluster.nodes.get("1").cluster().node();
        node.propose(
                        node.metadata(),
                        ClusterCommand.newBuilder()
                                .setCreateTopic(CreateTopicRequest.newBuilder()
                                        .setTopic("orders")
                                        .setPartitions(1)))
                .join();
        Storage s = cluster.client("2");
        assertEquals(0, s.append(P0, batch("first"), true).join().baseOffset());
        assertEquals(List.of("first"), read(s, 0));

        var e = assertThrows(
                java.util.concurrent.CompletionException.class,
                () -> s.append(new TopicPartition("nowhere", 0), batch("x"), true)
                        .join());
        assertEquals(ErrorCode.NOT_FOUND, ((GmqException) e.getCause()).code(), e.getMessage());
    }

    @Test
    void aTopicsSettingsReachEveryReplicaOfEveryGroup() {
        Storage s = cluster.client("3");
        s.createTopic("orders", 3, io.gmq.TopicConfig.of(Map.of("retention-age", "2d")));
        io.gmq.TopicInfo altered = s.alterTopicConfig("orders", Map.of("segment-bytes", "1MiB", "retention-age", ""));
        assertEquals(Map.of("segment-bytes", "1048576"), altered.config().values());
        for (String id : List.of("1", "2", "3")) {
            ReplicatedStorage node = cluster.nodes.get(id).cluster();
            await("node " + id + " to apply the change in every group", () -> {
                boolean all =
                        node.metadataReplica().topic("orders", false).config().equals(altered.config());
                for (int i = 0; i < StorageShards.DATA_GROUPS; i++) {
                    all &= node.replica(i).topic("orders", false).config().equals(altered.config());
                }
                return all;
            });
        }
        GmqException bad =
                assertThrows(GmqException.class, () -> s.alterTopicConfig("orders", Map.of("segment-bytes", "huge")));
        assertEquals(ErrorCode.INVALID_ARGUMENT, bad.code());
        assertEquals(
                altered.config(), cluster.client("1").topic("orders", false).config());
    }

    @Test
    void aDeletedGroupIsGoneFromEveryReplica() {
        Storage s = cluster.client("2");
        s.createTopic("orders", 1);
        GroupMembership m = s.joinGroup("g", "c1", Set.of("orders"), 60_000);
        assertTrue(s.commitOffsets("g", m.memberId(), m.generation(), Map.of(P0, 3L))
                .isEmpty());
        GmqException busy = assertThrows(GmqException.class, () -> s.deleteGroup("g"));
        assertEquals(ErrorCode.FAILED_PRECONDITION, busy.code(), busy.getMessage());
        s.leaveGroup("g", m.memberId());
        cluster.client("1").deleteGroup("g");
        for (String id : List.of("1", "2", "3")) {
            ReplicatedStorage node = cluster.nodes.get(id).cluster();
            await(
                    "node " + id + " to drop group g",
                    () -> !node.metadataReplica().listGroups().contains("g"));
        }
        assertEquals(List.of(), s.listGroups());
        assertEquals(
                ErrorCode.NOT_FOUND,
                assertThrows(GmqException.class, () -> s.deleteGroup("g")).code());
    }

    @Test
    void aLeaderThatLostItsMajorityAnswersNoRead() {
        Storage s = cluster.client("1");
        s.createTopic("orders", 1);
        s.append(P0, batch("a"), true).join();
        RaftShard[] shard = new RaftShard[1];
        String[] leader = new String[1];
        await("the leader of " + P0 + "'s group to confirm reads", () -> {
            for (String id : cluster.nodes.keySet()) {
                StorageNode n = cluster.nodes.get(id).cluster().node();
                RaftShard g = n.data(StorageShards.dataGroupOf(P0));
                if (n.info(g).isLeader()
                        && n.readBarrier(g).handle((ok, e) -> e == null).join()) {
                    shard[0] = g;
                    leader[0] = id;
                    return true;
                }
            }
            return false;
        });
        ReplicatedStorage alone = cluster.nodes.get(leader[0]).cluster();
        assertEquals(1, alone.partitionInfo(P0).highWatermark());
        for (String id : List.of("1", "2", "3")) {
            if (!id.equals(leader[0])) {
                cluster.nodes.remove(id).close();
            }
        }
        // It may still believe it leads for a while; its lease runs out in under a second, and a
        // read then needs a majority it no longer has.
        var e = assertThrows(
                java.util.concurrent.CompletionException.class,
                () -> alone.node().readBarrier(shard[0]).join());
        assertEquals(ErrorCode.UNAVAILABLE, ((GmqException) e.getCause()).code(), e.getMessage());
        GmqException refused = assertThrows(GmqException.class, () -> alone.partitionInfo(P0));
        assertEquals(ErrorCode.UNAVAILABLE, refused.code(), refused.getMessage());
    }

    @Test
    void aDeletedTopicLeavesEveryGroup() {
        Storage s = cluster.client("1");
        s.createTopic("orders", 3);
        s.append(P0, batch("a"), true).join();
        s.deleteTopic("orders");
        GmqException gone = assertThrows(GmqException.class, () -> s.topic("orders", false));
        assertEquals(ErrorCode.NOT_FOUND, gone.code());
        for (String id : List.of("1", "2", "3")) {
            ReplicatedStorage node = cluster.nodes.get(id).cluster();
            await(
                    "node " + id + " to delete the topic everywhere",
                    () -> node.metadataReplica().listTopics().isEmpty()
                            && node.replica(0).listTopics().isEmpty()
                            && node.replica(1).listTopics().isEmpty()
                            && node.replica(2).listTopics().isEmpty());
        }
        GmqException again = assertThrows(GmqException.class, () -> s.deleteTopic("orders"));
        assertEquals(ErrorCode.NOT_FOUND, again.code());
    }
}
