package io.gmq.internal.topic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.TimeSource;
import io.gmq.TopicInfo;
import io.gmq.internal.state.StateDb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TopicRegistryTest {
    private static final long NOW = 1_700_000_000_000L;

    @TempDir
    Path dir;

    private final List<StateDb> opened = new ArrayList<>();

    @AfterEach
    void closeDatabases() {
        opened.forEach(StateDb::close);
    }

    private StateDb openDb() {
        StateDb db = StateDb.open(dir);
        opened.add(db);
        return db;
    }

    private TopicRegistry registry(StateDb db, UnaryOperator<GmqConfig.Builder> settings) {
        TimeSource fixed = new TimeSource() {
            @Override
            public long wallMillis() {
                return NOW;
            }

            @Override
            public long nanoTime() {
                return 0;
            }
        };
        return new TopicRegistry(
                db,
                settings.apply(GmqConfig.builder().dataDir(dir).timeSource(fixed))
                        .build());
    }

    private TopicRegistry registry() {
        return registry(openDb(), b -> b);
    }

    private static ErrorCode codeOf(Runnable r) {
        return assertThrows(GmqException.class, r::run).code();
    }

    @Test
    void createdTopicIsListedFoundAndDescribed() {
        TopicRegistry topics = registry();
        TopicInfo orders = topics.create("orders", 4);
        topics.create("audit", 1);
        assertEquals(new TopicInfo("orders", 4), orders);
        assertEquals(Optional.of(orders), topics.find("orders"));
        assertEquals(4, topics.partitions("orders"));
        assertEquals(List.of(new TopicInfo("audit", 1), orders), topics.list(), "sorted by name");
        assertEquals(Optional.empty(), topics.find("missing"));
    }

    @Test
    void createStoresTheRowWithItsCreationTime() {
        StateDb db = openDb();
        registry(db, b -> b).create("orders", 2);
        long created = db.inTransaction(c -> {
            try (PreparedStatement s =
                            c.prepareStatement("SELECT partitions, created_ms FROM topics WHERE name = 'orders'");
                    ResultSet rs = s.executeQuery()) {
                assertTrue(rs.next());
                assertEquals(2, rs.getInt(1));
                return rs.getLong(2);
            }
        });
        assertEquals(NOW, created);
    }

    @Test
    void creatingAgainWithTheSameCountReturnsTheExistingTopic() {
        TopicRegistry topics = registry();
        TopicInfo first = topics.create("orders", 3);
        assertSame(first, topics.create("orders", 3));
        assertEquals(1, topics.size());
    }

    @Test
    void creatingAgainWithAnotherCountIsAlreadyExists() {
        TopicRegistry topics = registry();
        topics.create("x", 3);
        GmqException e = assertThrows(GmqException.class, () -> topics.create("x", 5));
        assertEquals(ErrorCode.ALREADY_EXISTS, e.code());
        assertEquals("topic 'x' exists with 3 partitions; cannot create it with 5", e.getMessage());
        assertEquals(3, topics.partitions("x"));
    }

    @Test
    void partitionCountOutsideTheLimitsIsInvalid() {
        TopicRegistry topics = registry(openDb(), b -> b.maxPartitionsPerTopic(8));
        assertEquals(ErrorCode.INVALID_ARGUMENT, codeOf(() -> topics.create("a", 0)));
        assertEquals(ErrorCode.INVALID_ARGUMENT, codeOf(() -> topics.create("a", 9)));
        assertEquals(8, topics.create("a", 8).partitions());
    }

    @Test
    void invalidNameIsRejectedBeforeAnythingIsStored() {
        StateDb db = openDb();
        TopicRegistry topics = registry(db, b -> b);
        assertEquals(ErrorCode.INVALID_ARGUMENT, codeOf(() -> topics.create("../etc", 1)));
        assertEquals(ErrorCode.INVALID_ARGUMENT, codeOf(() -> topics.getOrCreate("a/b")));
        assertEquals(ErrorCode.INVALID_ARGUMENT, codeOf(() -> topics.find("..")));
        assertEquals(ErrorCode.INVALID_ARGUMENT, codeOf(() -> topics.delete("")));
        assertEquals(ErrorCode.INVALID_ARGUMENT, codeOf(() -> topics.getOrCreate(null)));
        int rows = db.inTransaction(c -> {
            try (ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM topics")) {
                return rs.getInt(1);
            }
        });
        assertEquals(0, rows);
        try (var files = Files.list(dir)) {
            assertTrue(
                    files.allMatch(p -> p.getFileName().toString().startsWith(StateDb.FILE_NAME)),
                    "no directory was made for a rejected name");
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void topicsSurviveReopeningTheDatabase() {
        StateDb first = openDb();
        TopicRegistry before = registry(first, b -> b);
        before.create("orders", 6);
        before.create("audit", 1);
        before.create("gone", 2);
        assertTrue(before.delete("gone"));
        first.close();

        TopicRegistry after = registry(openDb(), b -> b);
        assertEquals(List.of(new TopicInfo("audit", 1), new TopicInfo("orders", 6)), after.list());
        assertEquals(6, after.partitions("orders"));
        assertEquals(ErrorCode.ALREADY_EXISTS, codeOf(() -> after.create("orders", 3)));
    }

    @Test
    void deleteRemovesTheTopicAndReportsWhetherItExisted() {
        TopicRegistry topics = registry();
        topics.create("orders", 3);
        assertTrue(topics.delete("orders"));
        assertFalse(topics.delete("orders"));
        assertEquals(Optional.empty(), topics.find("orders"));
        assertEquals(ErrorCode.NOT_FOUND, codeOf(() -> topics.partitions("orders")));
        assertEquals(5, topics.create("orders", 5).partitions(), "a deleted name can be created again with any count");
    }

    @Test
    void getOrCreateAutoCreatesWithTheDefaultPartitionCount() {
        TopicRegistry topics = registry(openDb(), b -> b.defaultPartitions(5));
        TopicInfo t = topics.getOrCreate("events");
        assertEquals(new TopicInfo("events", 5), t);
        assertSame(t, topics.getOrCreate("events"));
        topics.create("explicit", 2);
        assertEquals(2, topics.getOrCreate("explicit").partitions(), "an existing topic keeps its count");
    }

    @Test
    void getOrCreateWithAutoCreateOffIsNotFound() {
        TopicRegistry topics = registry(openDb(), b -> b.autoCreateTopics(false));
        GmqException e = assertThrows(GmqException.class, () -> topics.getOrCreate("x"));
        assertEquals(ErrorCode.NOT_FOUND, e.code());
        assertTrue(e.getMessage().startsWith("topic 'x' does not exist (auto-create is off)"), e.getMessage());
        topics.create("x", 2);
        assertEquals(2, topics.getOrCreate("x").partitions());
    }

    @Test
    void callerChoiceOfAutoCreateOverridesTheEngineSetting() {
        TopicRegistry topics = registry(openDb(), b -> b.autoCreateTopics(false).defaultPartitions(2));
        assertEquals(new TopicInfo("a", 2), topics.getOrCreate("a", true));
        assertEquals(ErrorCode.NOT_FOUND, codeOf(() -> topics.getOrCreate("b", false)));
        assertEquals(2, topics.getOrCreate("a", false).partitions(), "an existing topic needs no auto-create");
    }

    @Test
    void creatingPastMaxTopicsIsResourceExhausted() {
        TopicRegistry topics = registry(openDb(), b -> b.maxTopics(2));
        topics.create("a", 1);
        topics.getOrCreate("b");
        assertEquals(ErrorCode.RESOURCE_EXHAUSTED, codeOf(() -> topics.create("c", 1)));
        assertEquals(ErrorCode.RESOURCE_EXHAUSTED, codeOf(() -> topics.getOrCreate("c")));
        assertEquals(1, topics.create("a", 1).partitions(), "an existing topic is still returned at the limit");
        topics.delete("a");
        assertEquals(1, topics.create("c", 1).partitions(), "deleting frees a slot");
    }

    @Test
    void concurrentGetOrCreateFromEightThreadsCreatesOneTopic() throws Exception {
        StateDb db = openDb();
        TopicRegistry topics = registry(db, b -> b);
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> new Thread(r, "topic-create-test"));
        try {
            for (int round = 0; round < 20; round++) {
                String name = "race-" + round;
                CountDownLatch start = new CountDownLatch(1);
                List<Future<TopicInfo>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    results.add(pool.submit(() -> {
                        start.await();
                        return topics.getOrCreate(name);
                    }));
                }
                start.countDown();
                Set<TopicInfo> distinct = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
                for (Future<TopicInfo> f : results) {
                    distinct.add(f.get(30, TimeUnit.SECONDS));
                }
                assertEquals(1, distinct.size(), "every thread sees the same TopicInfo instance");
            }
        } finally {
            pool.shutdownNow();
        }
        int rows = db.inTransaction(c -> {
            try (ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM topics")) {
                return rs.getInt(1);
            }
        });
        assertEquals(20, rows);
        assertEquals(20, new HashSet<>(topics.list()).size());
    }

    @Test
    void aCorruptRowIsRefusedAtOpenRatherThanUsedAsAPath() {
        StateDb db = openDb();
        registry(db, b -> b);
        db.inTransaction(c -> c.createStatement()
                .executeUpdate("INSERT INTO topics(name, partitions, created_ms) VALUES ('../escape', 1, 0)"));
        GmqException e = assertThrows(GmqException.class, () -> registry(db, b -> b));
        assertEquals(ErrorCode.DATA_LOSS, e.code());
        assertTrue(e.getMessage().contains("'../escape'"), e.getMessage());
    }
}
