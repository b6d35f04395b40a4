package io.gmq.internal.storage;

import static io.gmq.internal.log.LogTestSupport.await;
import static io.gmq.internal.log.LogTestSupport.config;
import static io.gmq.internal.log.LogTestSupport.frame;
import static io.gmq.internal.log.LogTestSupport.simpleBatch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.TopicPartition;
import io.gmq.broker.Storages;
import io.gmq.storage.FetchResult;
import io.gmq.storage.GroupMembership;
import io.gmq.storage.ReplicaStorage;
import io.gmq.storage.Storage;
import io.gmq.testkit.ManualClock;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two replicas given the same calls with the same clock hold the same state; nothing changes by itself. */
class ReplicaStorageTest {
    @TempDir
    Path dir;

    private static final TopicPartition T0 = new TopicPartition("orders", 0);

    @Test
    void sameCallsSameClockGiveTheSameLogAndGroupState() {
        ManualClock clockA = new ManualClock(1_000_000);
        ManualClock clockB = new ManualClock(1_000_000);
        try (ReplicaStorage a = Storages.openReplica(
                        config(dir.resolve("a")).timeSource(clockA).build());
                ReplicaStorage b = Storages.openReplica(
                        config(dir.resolve("b")).timeSource(clockB).build())) {
            for (ReplicaStorage r : List.of(a, b)) {
                r.createTopic("orders", 2);
                for (int i = 0; i < 5; i++) {
                    r.append(T0, frame(simpleBatch(3, 20, 1_000 + i, i)), true).join();
                }
                GroupMembership m = r.joinGroup("g", "c1-fixed", "c1", Set.of("orders"), 1_000);
                assertEquals("c1-fixed", m.memberId());
                r.commitOffsets("g", "c1-fixed", m.generation(), Map.of(T0, 7L));
            }
            assertEquals(
                    bytes(a.fetch(T0, 0, 1 << 20, 0).join()),
                    bytes(b.fetch(T0, 0, 1 << 20, 0).join()));
            assertEquals(a.describeGroup("g"), b.describeGroup("g"));

            clockA.advance(2, TimeUnit.SECONDS);
            clockB.advance(2, TimeUnit.SECONDS);
            assertEquals(1, a.expireMembers());
            assertEquals(1, b.expireMembers());
            assertEquals(a.describeGroup("g"), b.describeGroup("g"));
            assertEquals(Map.of(T0, 7L), b.committedOffsets("g", List.of(T0)));
        }
    }

    @Test
    void aReplicaKeepsNoScheduleAndRefusesDelayedBatches() {
        try (ReplicaStorage replica =
                Storages.openReplica(config(dir.resolve("r")).build())) {
            replica.createTopic("orders", 1);
            java.util.concurrent.CompletionException e = org.junit.jupiter.api.Assertions.assertThrows(
                    java.util.concurrent.CompletionException.class,
                    () -> replica.schedule(
                                    T0, frame(simpleBatch(1, 20, 1_000, 0)), System.currentTimeMillis() + 60_000, true)
                            .join());
            io.gmq.GmqException cause = (io.gmq.GmqException) e.getCause();
            assertEquals(io.gmq.ErrorCode.FAILED_PRECONDITION, cause.code());
            org.junit.jupiter.api.Assertions.assertTrue(cause.getMessage().contains("delayed messages"));
            assertEquals(0, replica.partitionInfo(T0).highWatermark());
        }
    }

    @Test
    void aReplicaExpiresMembersOnlyWhenAsked() {
        ManualClock clock = new ManualClock(1_000_000);
        try (Storage local = LocalStorage.open(
                        config(dir.resolve("local")).timeSource(clock).build());
                ReplicaStorage replica = Storages.openReplica(
                        config(dir.resolve("replica")).timeSource(clock).build())) {
            for (Storage s : List.of(local, replica)) {
                s.createTopic("orders", 1);
            }
            local.joinGroup("g", "c1", Set.of("orders"), 1_000);
            replica.joinGroup("g", "c1-fixed", "c1", Set.of("orders"), 1_000);
            clock.advance(2, TimeUnit.SECONDS);
            // The local storage's timer removes its member; the replica keeps its own until asked.
            await("the local member to expire", () -> local.listGroups().isEmpty());
            assertEquals(1, replica.describeGroup("g").members().size());
            assertEquals(1, replica.expireMembers());
            assertEquals(List.of(), replica.listGroups());
        }
    }

    @Test
    void aReplicaNeverCreatesATopicOnARead() {
        try (ReplicaStorage replica =
                Storages.openReplica(config(dir.resolve("r")).build())) {
            GmqException e = assertThrows(GmqException.class, () -> replica.topic("new-topic", true));
            assertEquals(ErrorCode.NOT_FOUND, e.code());
            assertEquals(List.of(), replica.listTopics());
            assertThrows(GmqException.class, () -> replica.joinGroup("g", "", "c1", Set.of("t"), 1_000));
        }
    }

    private static ByteBuffer bytes(FetchResult r) {
        return r.records().duplicate();
    }
}
