package io.gmq.internal.share;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gmq.ErrorCode;
import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.OffsetSpec;
import io.gmq.Ordering;
import io.gmq.PublishOption;
import io.gmq.PublishRequest;
import io.gmq.TopicPartition;
import io.gmq.broker.BrokerEngine;
import io.gmq.broker.Storages;
import io.gmq.storage.ShareAck;
import io.gmq.storage.Storage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The share calls of local storage, step by step: key holding, settling, leaving, bad input. */
class ShareStorageTest {
    @TempDir
    Path dir;

    static final TopicPartition TP = new TopicPartition("accounts", 0);

    private static void publish(BrokerEngine engine, String key) {
        engine.publish(PublishRequest.of(
                        "accounts", key.getBytes(StandardCharsets.UTF_8), PublishOption.partitionKey(key)))
                .join();
    }

    private static long[] acquire(Storage s, String member) {
        return s.acquire("tellers", member, TP, 10, 30_000, 0).join().offsets();
    }

    @Test
    void aKeyStaysWithItsMemberWhileItHasRecordsOfItInFlightThenMoves() {
        GmqConfig config =
                GmqConfig.builder().dataDir(dir).flushPolicy(FlushPolicy.OS).build();
        try (Storage storage = Storages.openLocal(config);
                BrokerEngine engine = new BrokerEngine(storage, config)) {
            storage.createTopic("accounts", 1);
            publish(engine, "k1"); // 0
            String a = storage.joinShareGroup(
                    "tellers", "a", Set.of("accounts"), 10_000, Ordering.KEY, OffsetSpec.earliest());
            String b = storage.joinShareGroup(
                    "tellers", "b", Set.of("accounts"), 10_000, Ordering.KEY, OffsetSpec.earliest());
            assertArrayEquals(new long[] {0}, acquire(storage, a));
            publish(engine, "k1"); // 1
            publish(engine, "k2"); // 2
            assertArrayEquals(new long[] {2}, acquire(storage, b), "k1 is a's while 0 is in flight");
            assertArrayEquals(new long[] {1}, acquire(storage, a));
            assertEquals(
                    2,
                    storage.settle("tellers", a, TP, new long[] {0, 1}, ShareAck.ACCEPT, 0)
                            .join());
            publish(engine, "k1"); // 3
            assertArrayEquals(new long[] {3}, acquire(storage, b), "k1 moves once a has none in flight");
            assertEquals(
                    0,
                    storage.settle("tellers", a, TP, new long[] {3}, ShareAck.ACCEPT, 0)
                            .join());
            storage.leaveShareGroup("tellers", b); // 2 and 3 go back
            assertArrayEquals(new long[] {2, 3}, acquire(storage, a));
            var d = storage.describeShareGroup("tellers");
            assertEquals(Ordering.KEY, d.ordering());
            assertEquals(2, d.partitions().get(0).startOffset());
            assertEquals(2, d.partitions().get(0).acquired());
        }
    }

    @Test
    void badShareCallsAreRefusedAndChangeNothing() {
        GmqConfig config =
                GmqConfig.builder().dataDir(dir).flushPolicy(FlushPolicy.OS).build();
        try (Storage storage = Storages.openLocal(config)) {
            storage.createTopic("accounts", 1);
            String a = storage.joinShareGroup(
                    "tellers", "a", Set.of("accounts"), 10_000, Ordering.PARTITION, OffsetSpec.earliest());
            GmqException unknown = assertThrows(GmqException.class, () -> storage.shareHeartbeat("tellers", "nobody"));
            assertEquals(ErrorCode.FAILED_PRECONDITION, unknown.code());
            var zero = assertThrows(
                    java.util.concurrent.CompletionException.class,
                    () -> storage.acquire("tellers", a, TP, 0, 1000, 0).join());
            assertEquals(ErrorCode.INVALID_ARGUMENT, ((GmqException) zero.getCause()).code());
            GmqException otherOrdering = assertThrows(
                    GmqException.class,
                    () -> storage.joinShareGroup(
                            "tellers", "b", Set.of("accounts"), 10_000, Ordering.KEY, OffsetSpec.earliest()));
            assertEquals(ErrorCode.FAILED_PRECONDITION, otherOrdering.code());
            assertEquals(1, storage.describeShareGroup("tellers").members().size());
        }
    }
}
