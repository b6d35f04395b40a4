package io.gmq.internal.storage;

import static io.gmq.internal.log.LogTestSupport.cause;
import static io.gmq.internal.log.LogTestSupport.config;
import static io.gmq.internal.log.LogTestSupport.frame;
import static io.gmq.internal.log.LogTestSupport.simpleBatch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.PartitionGrowth;
import io.gmq.TopicInfo;
import io.gmq.TopicPartition;
import io.gmq.broker.Storages;
import io.gmq.storage.ReplicaStorage;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Growing a topic's partition count in local storage: boundaries, refusals, stale keyed batches, restart. */
class PartitionGrowthsTest {
    @TempDir
    Path dir;

    private static final TopicPartition P0 = new TopicPartition("orders", 0);
    private static final TopicPartition P1 = new TopicPartition("orders", 1);

    @Test
    void aGrowthRecordsTheEndOfEveryOldPartitionAsItsBoundaryAndTheNewPartitionsTakeWrites() {
        try (LocalStorage s = LocalStorage.open(config(dir).build())) {
            s.createTopic("orders", 2);
            s.append(P0, frame(simpleBatch(3, 10, 1_000, 1)), true).join();
            s.append(P0, frame(simpleBatch(2, 10, 1_000, 2)), true).join();
            s.append(P1, frame(simpleBatch(4, 10, 1_000, 3)), true).join();

            TopicInfo t = s.createPartitions("orders", 5);

            assertEquals(5, t.partitions());
            assertEquals(List.of(new PartitionGrowth(2, 5, List.of(5L, 4L))), t.growth());
            assertEquals(t, s.topic("orders", false));
            TopicPartition p4 = new TopicPartition("orders", 4);
            assertEquals(
                    0,
                    s.append(p4, frame(simpleBatch(2, 10, 1_000, 4)), true)
                            .join()
                            .baseOffset());
            assertEquals(2, s.partitionInfo(p4).highWatermark());
            assertEquals(5, s.fetch(p4, 0, 1 << 20, 0).join().topicPartitions(), "a fetch says the count");
        }
    }

    @Test
    void shrinkingOrKeepingTheCountIsInvalidArgumentAndChangesNothing() {
        try (LocalStorage s = LocalStorage.open(config(dir).build())) {
            s.createTopic("orders", 3);
            for (int n : new int[] {3, 2, 0, -1}) {
                GmqException e = assertThrows(GmqException.class, () -> s.createPartitions("orders", n));
                assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e.getMessage());
                assertTrue(e.getMessage().contains("can only grow"), e.getMessage());
            }
            GmqException tooMany = assertThrows(GmqException.class, () -> s.createPartitions("orders", 1_000_000));
            assertEquals(ErrorCode.INVALID_ARGUMENT, tooMany.code());
            assertTrue(tooMany.getMessage().contains("maxPartitionsPerTopic"), tooMany.getMessage());
            assertEquals(new TopicInfo("orders", 3), s.topic("orders", false));
        }
    }

    @Test
    void growingATopicThatDoesNotExistIsNotFound() {
        try (LocalStorage s = LocalStorage.open(config(dir).build())) {
            assertEquals(
                    ErrorCode.NOT_FOUND,
                    assertThrows(GmqException.class, () -> s.createPartitions("nope", 4))
                            .code());
            assertEquals(
                    ErrorCode.INVALID_ARGUMENT,
                    assertThrows(GmqException.class, () -> s.createPartitions("a/b", 4))
                            .code());
        }
    }

    @Test
    void aKeyedBatchRoutedWithTheOldCountIsRefusedAndNothingIsStored() {
        try (LocalStorage s = LocalStorage.open(config(dir).build())) {
            s.createTopic("orders", 2);
            s.append(P0, frame(simpleBatch(3, 10, 1_000, 1)), true, 2).join();
            s.createPartitions("orders", 3);

            CompletionException refused = assertThrows(
                    CompletionException.class,
                    () -> s.append(P0, frame(simpleBatch(2, 10, 1_000, 2)), true, 2)
                            .join());
            GmqException e = cause(refused);
            assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
            assertTrue(io.gmq.storage.StaleRouting.is(e), e.getMessage());
            assertTrue(e.getMessage().contains("routed with 2 partitions, the topic has 3"), e.getMessage());
            assertEquals(3, s.partitionInfo(P0).highWatermark(), "nothing stored");

            assertEquals(
                    3,
                    s.append(P0, frame(simpleBatch(2, 10, 1_000, 3)), true, 3)
                            .join()
                            .baseOffset());
            assertEquals(
                    5,
                    s.append(P0, frame(simpleBatch(1, 10, 1_000, 4)), true, 0)
                            .join()
                            .baseOffset());
        }
    }

    @Test
    void theGrowthSurvivesARestart() {
        TopicInfo grown;
        try (LocalStorage s = LocalStorage.open(config(dir).build())) {
            s.createTopic("orders", 1);
            s.append(P0, frame(simpleBatch(3, 10, 1_000, 1)), true).join();
            s.createPartitions("orders", 2);
            s.append(P1, frame(simpleBatch(2, 10, 1_000, 1)), true).join();
            grown = s.createPartitions("orders", 4);
        }
        assertEquals(
                List.of(new PartitionGrowth(1, 2, List.of(3L)), new PartitionGrowth(2, 4, List.of(3L, 2L))),
                grown.growth());
        try (LocalStorage s = LocalStorage.open(config(dir).build())) {
            assertEquals(grown, s.topic("orders", false));
        }
    }

    @Test
    void aReplicaGrowsOnceAndTakesBoundariesGivenToIt() {
        try (ReplicaStorage data =
                        Storages.openReplica(config(dir.resolve("data")).build());
                ReplicaStorage meta =
                        Storages.openReplica(config(dir.resolve("meta")).build())) {
            data.createTopic("orders", 2);
            meta.createTopic("orders", 2);
            data.append(P1, frame(simpleBatch(3, 10, 1_000, 1)), false, 0).join();

            TopicInfo first = data.createPartitionsOnce("orders", 3);
            assertEquals(List.of(0L, 3L), first.growth().get(0).boundaries());
            assertEquals(first, data.createPartitionsOnce("orders", 3), "the same entry again changes nothing");

            TopicInfo given = meta.growPartitions("orders", 3, List.of(7L, 3L));
            assertEquals(List.of(new PartitionGrowth(2, 3, List.of(7L, 3L))), given.growth());
            assertEquals(given, meta.growPartitions("orders", 3, List.of(7L, 3L)));
        }
    }
}
