package io.gmq.net.cluster;

import static io.gmq.net.cluster.InProcessNodes.await;
import static io.gmq.net.cluster.InProcessNodes.batch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.PartitionGrowth;
import io.gmq.TopicInfo;
import io.gmq.TopicPartition;
import io.gmq.net.storage.StorageShards;
import io.gmq.storage.Storage;
import io.gmq.wire.GrpcErrors;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Growing a topic in a 3-node storage cluster: the count and the boundaries reach the metadata
 * group and every data group on every node, the new partitions take writes, and a keyed batch
 * routed with the old count is refused in its data group.
 */
class ClusterPartitionGrowthTest {
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
    void theCountGrowsOnEveryNodeAndTheNewPartitionsTakeWrites() {
        Storage s = cluster.client("1");
        s.createTopic("orders", 2);
        TopicPartition p0 = new TopicPartition("orders", 0);
        TopicPartition p1 = new TopicPartition("orders", 1);
        for (int i = 0; i < 3; i++) {
            s.append(p0, batch("a" + i), true, 2).join();
        }
        s.append(p1, batch("b"), true, 2).join();

        TopicInfo grown = s.createPartitions("orders", 5);

        assertEquals(5, grown.partitions());
        assertEquals(List.of(new PartitionGrowth(2, 5, List.of(3L, 1L))), grown.growth());
        for (String id : List.of("1", "2", "3")) {
            ReplicatedStorage node = cluster.nodes.get(id).cluster();
            await(
                    "node " + id + "'s metadata replica to have the growth",
                    () -> grown.equals(node.metadataReplica().topic("orders", false)));
            for (int g = 0; g < StorageShards.DATA_GROUPS; g++) {
                int group = g;
                await(
                        "node " + id + "'s data-" + g + " replica to have 5 partitions",
                        () -> node.replica(group).topic("orders", false).partitions() == 5);
            }
        }
        Storage other = cluster.client("3");
        assertEquals(grown, other.topic("orders", false));
        for (int p = 2; p < 5; p++) {
            TopicPartition tp = new TopicPartition("orders", p);
            assertEquals(0, other.append(tp, batch("new" + p), true, 5).join().baseOffset());
            assertEquals(1, other.partitionInfo(tp).highWatermark());
            assertEquals(5, other.fetch(tp, 0, 1 << 20, 0).join().topicPartitions());
        }

        CompletionException refused = assertThrows(
                CompletionException.class,
                () -> other.append(p0, batch("stale"), true, 2).join());
        GmqException stale = GrpcErrors.toGmq(refused.getCause());
        assertTrue(io.gmq.storage.StaleRouting.is(stale), stale.toString());
        assertEquals(3, other.partitionInfo(p0).highWatermark(), "nothing stored");
        assertEquals(3, other.append(p0, batch("fresh"), true, 5).join().baseOffset());

        GmqException shrink = assertThrows(GmqException.class, () -> s.createPartitions("orders", 3));
        assertEquals(ErrorCode.INVALID_ARGUMENT, shrink.code());
        assertEquals(5, other.topic("orders", false).partitions());
    }
}
