package io.gmq.net.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.GroupDescription;
import io.gmq.OffsetSpec;
import io.gmq.PartitionInfo;
import io.gmq.TopicInfo;
import io.gmq.TopicPartition;
import io.gmq.storage.AppendResult;
import io.gmq.storage.BatchBuilder;
import io.gmq.storage.BatchReader;
import io.gmq.storage.FetchResult;
import io.gmq.storage.GroupMembership;
import io.gmq.storage.Storage;
import io.gmq.wire.GrpcErrors;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The behaviour of the {@link Storage} seam, written once and run against every way of reaching
 * it: {@code LocalStorage} directly, over in-process gRPC and over loopback TCP. A difference
 * between the three is a bug in the network layer.
 */
abstract class StorageContract {
    @TempDir
    Path dir;

    Storage storage;

    /** Opens the storage under test over {@code config}; closed by {@link #close()}. */
    abstract Storage open(GmqConfig config) throws Exception;

    /** Releases whatever {@link #open} started besides the storage itself. */
    void shutdown() throws Exception {}

    @BeforeEach
    void setUp() throws Exception {
        storage = open(GmqConfig.builder()
                .dataDir(dir)
                .flushPolicy(FlushPolicy.OS)
                .defaultPartitions(3)
                .build());
    }

    @AfterEach
    void close() throws Exception {
        try {
            storage.close();
        } finally {
            shutdown();
        }
    }

    static ByteBuffer batch(String... values) {
        BatchBuilder b = new BatchBuilder();
        for (String v : values) {
            b.add(1_000L, null, v.getBytes(StandardCharsets.UTF_8), List.of());
        }
        return b.buildCopy();
    }

    static List<String> values(FetchResult r, long from) {
        List<String> out = new ArrayList<>();
        BatchReader reader = new BatchReader(r.records());
        while (reader.next()) {
            if (reader.offset() >= from) {
                out.add(new String(reader.value(), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    static <T> T join(CompletableFuture<T> f) throws Exception {
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw GrpcErrors.toGmq(e.getCause());
        }
    }

    static void assertCode(ErrorCode code, Executable call) {
        GmqException e = assertThrows(GmqException.class, () -> {
            try {
                call.execute();
            } catch (GmqException g) {
                throw g;
            } catch (Throwable t) {
                throw GrpcErrors.toGmq(t);
            }
        });
        assertEquals(code, e.code(), e.getMessage());
    }

    interface Executable {
        void execute() throws Exception;
    }

    // ---- topics -----------------------------------------------------------------------------------

    @Test
    void createdTopicIsListedAndFound() {
        assertEquals(new TopicInfo("orders", 4), storage.createTopic("orders", 4));
        assertEquals(new TopicInfo("orders", 4), storage.topic("orders", false));
        assertTrue(storage.listTopics().contains(new TopicInfo("orders", 4)));
    }

    @Test
    void creatingTheSameTopicAgainIsIdempotentButAnotherCountIsAlreadyExists() {
        storage.createTopic("orders", 2);
        assertEquals(new TopicInfo("orders", 2), storage.createTopic("orders", 2));
        assertCode(ErrorCode.ALREADY_EXISTS, () -> storage.createTopic("orders", 5));
    }

    @Test
    void absentTopicIsNotFoundUnlessAutoCreated() {
        assertCode(ErrorCode.NOT_FOUND, () -> storage.topic("missing", false));
        assertEquals(new TopicInfo("missing", 3), storage.topic("missing", true));
    }

    @Test
    void badTopicNameIsInvalidArgument() {
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> storage.createTopic("../escape", 1));
    }

    @Test
    void deletedTopicIsGone() {
        storage.createTopic("gone", 1);
        storage.deleteTopic("gone");
        assertCode(ErrorCode.NOT_FOUND, () -> storage.topic("gone", false));
        assertCode(ErrorCode.NOT_FOUND, () -> storage.deleteTopic("gone"));
    }

    // ---- log --------------------------------------------------------------------------------------

    @Test
    void appendsGetConsecutiveOffsetsAndFetchReturnsThem() throws Exception {
        storage.createTopic("log", 1);
        TopicPartition tp = new TopicPartition("log", 0);
        AppendResult a = join(storage.append(tp, batch("a", "b"), true));
        AppendResult b = join(storage.append(tp, batch("c"), true));
        assertEquals(0, a.baseOffset());
        assertEquals(2, a.recordCount());
        assertEquals(2, b.baseOffset());
        FetchResult all = join(storage.fetch(tp, 0, 1 << 20, 0));
        assertEquals(List.of("a", "b", "c"), values(all, 0));
        assertEquals(3, all.highWatermark());
        assertEquals(List.of("b", "c"), values(join(storage.fetch(tp, 1, 1 << 20, 0)), 1));
    }

    @Test
    void appendToUnknownPartitionIsInvalidArgument() {
        storage.createTopic("log", 1);
        assertCode(
                ErrorCode.INVALID_ARGUMENT, () -> join(storage.append(new TopicPartition("log", 7), batch("x"), true)));
    }

    @Test
    void aGrowthRecordsBoundariesRefusesStaleKeyedBatchesAndShrinksNever() throws Exception {
        storage.createTopic("grow", 2);
        TopicPartition p0 = new TopicPartition("grow", 0);
        join(storage.append(p0, batch("a", "b"), true, 2));
        TopicInfo grown = storage.createPartitions("grow", 3);
        assertEquals(3, grown.partitions());
        assertEquals(List.of(new io.gmq.PartitionGrowth(2, 3, List.of(2L, 0L))), grown.growth());
        assertEquals(grown, storage.topic("grow", false));

        GmqException stale = assertThrows(GmqException.class, () -> join(storage.append(p0, batch("late"), true, 2)));
        assertTrue(io.gmq.storage.StaleRouting.is(stale), stale.toString());
        assertEquals(2, storage.partitionInfo(p0).highWatermark(), "nothing stored");
        assertEquals(2, join(storage.append(p0, batch("c"), true, 3)).baseOffset());
        assertEquals(
                3,
                join(storage.fetch(new TopicPartition("grow", 2), 0, 1 << 20, 0))
                        .topicPartitions());

        assertCode(ErrorCode.INVALID_ARGUMENT, () -> storage.createPartitions("grow", 3));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> storage.createPartitions("grow", 1));
        assertCode(ErrorCode.NOT_FOUND, () -> storage.createPartitions("absent", 4));
        assertEquals(3, storage.topic("grow", false).partitions());
    }

    @Test
    void waitingFetchCompletesWhenDataArrives() throws Exception {
        storage.createTopic("poll", 1);
        TopicPartition tp = new TopicPartition("poll", 0);
        CompletableFuture<FetchResult> waiting = storage.fetch(tp, 0, 1 << 20, 30_000);
        assertFalse(waiting.isDone());
        join(storage.append(tp, batch("late"), true));
        assertEquals(List.of("late"), values(join(waiting), 0));
    }

    @Test
    void waitingFetchGivenAnExecutorCompletesOnIt() throws Exception {
        storage.createTopic("poll-on", 1);
        TopicPartition tp = new TopicPartition("poll-on", 0);
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "contract-executor"));
        try {
            CompletableFuture<String> completedOn = new CompletableFuture<>();
            CompletableFuture<FetchResult> waiting = storage.fetch(tp, 0, 1 << 20, 30_000, executor);
            waiting.whenComplete(
                    (r, e) -> completedOn.complete(Thread.currentThread().getName()));
            assertFalse(waiting.isDone());
            join(storage.append(tp, batch("late"), true));
            // read the thread first: a thread joining the future may run its callbacks itself
            assertEquals("contract-executor", completedOn.get(10, TimeUnit.SECONDS));
            assertEquals(List.of("late"), values(join(waiting), 0));

            // a wait that ends empty completes there too
            CompletableFuture<String> emptyOn = new CompletableFuture<>();
            CompletableFuture<FetchResult> idle = storage.fetch(tp, 1, 1 << 20, 300, executor);
            idle.whenComplete((r, e) -> emptyOn.complete(Thread.currentThread().getName()));
            assertEquals("contract-executor", emptyOn.get(10, TimeUnit.SECONDS));
            assertTrue(join(idle).isEmpty());
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void fetchWithNothingNewIsEmptyAfterItsWait() throws Exception {
        storage.createTopic("idle", 1);
        FetchResult r = join(storage.fetch(new TopicPartition("idle", 0), 0, 1 << 20, 10));
        assertTrue(r.isEmpty());
        assertEquals(0, r.highWatermark());
    }

    @Test
    void partitionInfoAndResolvedOffsetsFollowTheLog() throws Exception {
        storage.createTopic("info", 1);
        TopicPartition tp = new TopicPartition("info", 0);
        join(storage.append(tp, batch("a", "b", "c"), true));
        PartitionInfo p = storage.partitionInfo(tp);
        assertEquals(0, p.logStartOffset());
        assertEquals(3, p.highWatermark());
        assertEquals(0, storage.resolveOffset(tp, OffsetSpec.earliest()));
        assertEquals(3, storage.resolveOffset(tp, OffsetSpec.latest()));
    }

    // ---- groups -----------------------------------------------------------------------------------

    @Test
    void soleMemberOwnsEveryPartitionAndCommitsOffsets() {
        storage.createTopic("g", 2);
        GroupMembership m = storage.joinGroup("workers", "c1", Set.of("g"), 10_000);
        m = awaitAssignment(m, 2);
        TopicPartition p0 = new TopicPartition("g", 0);
        Set<TopicPartition> rejected = storage.commitOffsets("workers", m.memberId(), m.generation(), Map.of(p0, 5L));
        assertTrue(rejected.isEmpty());
        assertEquals(Map.of(p0, 5L), storage.committedOffsets("workers", List.of(p0, new TopicPartition("g", 1))));
        assertTrue(storage.listGroups().contains("workers"));
        GroupDescription d = storage.describeGroup("workers");
        assertEquals(1, d.members().size());
        assertEquals("c1", d.members().get(0).clientId());
    }

    @Test
    void unknownMemberIsFailedPrecondition() {
        storage.createTopic("g", 1);
        GroupMembership m = storage.joinGroup("workers", "c1", Set.of("g"), 10_000);
        storage.leaveGroup("workers", m.memberId());
        assertCode(
                ErrorCode.FAILED_PRECONDITION,
                () -> storage.heartbeat("workers", m.memberId(), m.generation(), Set.of()));
        assertCode(
                ErrorCode.FAILED_PRECONDITION,
                () -> storage.commitOffsets(
                        "workers", m.memberId(), m.generation(), Map.of(new TopicPartition("g", 0), 1L)));
    }

    @Test
    void resetOffsetsNeedsAnEmptyGroup() throws Exception {
        storage.createTopic("r", 1);
        TopicPartition tp = new TopicPartition("r", 0);
        join(storage.append(tp, batch("a", "b"), true));
        GroupMembership m = storage.joinGroup("resetters", "c1", Set.of("r"), 10_000);
        assertCode(ErrorCode.FAILED_PRECONDITION, () -> storage.resetOffsets("resetters", "r", OffsetSpec.latest()));
        storage.leaveGroup("resetters", m.memberId());
        storage.resetOffsets("resetters", "r", OffsetSpec.latest());
        assertEquals(Map.of(tp, 2L), storage.committedOffsets("resetters", List.of(tp)));
    }

    @Test
    void deleteGroupNeedsAnEmptyGroupAndForgetsItsOffsets() throws Exception {
        storage.createTopic("d", 1);
        TopicPartition tp = new TopicPartition("d", 0);
        join(storage.append(tp, batch("a", "b"), true));
        GroupMembership m = storage.joinGroup("deleted", "c1", Set.of("d"), 10_000);
        storage.commitOffsets("deleted", m.memberId(), m.generation(), Map.of(tp, 2L));
        assertCode(ErrorCode.FAILED_PRECONDITION, () -> storage.deleteGroup("deleted"));
        storage.leaveGroup("deleted", m.memberId());
        storage.deleteGroup("deleted");
        assertEquals(Map.of(), storage.committedOffsets("deleted", List.of(tp)));
        assertFalse(storage.listGroups().contains("deleted"));
        assertCode(ErrorCode.NOT_FOUND, () -> storage.deleteGroup("deleted"));
    }

    @Test
    void describingAnUnknownGroupIsNotFound() {
        assertCode(ErrorCode.NOT_FOUND, () -> storage.describeGroup("nobody"));
    }

    /** Heartbeats until the member owns {@code count} partitions (hand-over may take a round). */
    private GroupMembership awaitAssignment(GroupMembership m, int count) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (m.assigned().size() != count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("member never got " + count + " partitions: " + m);
            }
            m = storage.heartbeat(m.group(), m.memberId(), m.generation(), m.assigned());
        }
        return m;
    }
    // ---- schedule of delayed messages ---------------------------------------------------------

    @Test
    void aScheduledBatchIsAppendedWhenDueWithItsScheduleId() throws Exception {
        storage.createTopic("later", 1);
        TopicPartition tp = new TopicPartition("later", 0);
        io.gmq.storage.ScheduleResult future =
                join(storage.schedule(tp, batch("in-an-hour"), System.currentTimeMillis() + 3_600_000, true));
        assertEquals(1, future.recordCount());
        io.gmq.storage.ScheduleResult due =
                join(storage.schedule(tp, batch("due", "now"), System.currentTimeMillis() - 1, true));
        assertTrue(due.scheduleId() > future.scheduleId());
        FetchResult r = join(storage.fetch(tp, 0, 1 << 20, 10_000));
        assertEquals(List.of("due", "now"), values(r, 0));
        BatchReader reader = new BatchReader(r.records());
        assertTrue(reader.next());
        assertEquals(
                Long.toString(due.scheduleId()),
                reader.headers().stream()
                        .filter(h -> h.name().equals("gmq-schedule-id"))
                        .findFirst()
                        .orElseThrow()
                        .valueAsString());
        assertEquals(2, storage.partitionInfo(tp).highWatermark(), "the batch due in an hour waits");
    }

    @Test
    void aScheduleBeyondTheMaximumDelayOrOfAMalformedFrameKeepsNothing() throws Exception {
        storage.createTopic("later", 1);
        TopicPartition tp = new TopicPartition("later", 0);
        long tooLate =
                System.currentTimeMillis() + java.time.Duration.ofDays(400).toMillis();
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> join(storage.schedule(tp, batch("x"), tooLate, true)));
        ByteBuffer cut = batch("x");
        cut.limit(cut.limit() - 1);
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> join(storage.schedule(tp, cut, System.currentTimeMillis(), true)));
        assertCode(
                ErrorCode.NOT_FOUND,
                () -> join(storage.schedule(
                        new TopicPartition("absent", 0), batch("x"), System.currentTimeMillis(), true)));
        join(storage.append(tp, batch("marker"), true));
        assertEquals(1, storage.partitionInfo(tp).highWatermark());
    }
}
