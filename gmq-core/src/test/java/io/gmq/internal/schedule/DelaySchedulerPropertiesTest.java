package io.gmq.internal.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.gmq.Header;
import io.gmq.ScheduleLimits;
import io.gmq.TopicPartition;
import io.gmq.internal.state.StateDb;
import io.gmq.storage.AppendResult;
import io.gmq.storage.BatchBuilder;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchFrame;
import io.gmq.storage.BatchReader;
import io.gmq.storage.FetchResult;
import io.gmq.storage.ScheduleResult;
import io.gmq.testkit.ManualClock;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * The schedule against a model: any sequence of schedule / clock advance / fire / failed appends
 * (lost, or written with the acknowledgement lost) / restart / topic deletion. Invariants checked
 * after every step: no schedule id is in the log twice; none is appended before its due time;
 * none of a deleted topic is appended after the deletion. At the end, with the clock past every
 * due time: every scheduled message of a live topic is in the log exactly once and the counts
 * are zero.
 */
class DelaySchedulerPropertiesTest {
    private static final List<TopicPartition> PARTITIONS =
            List.of(new TopicPartition("a", 0), new TopicPartition("a", 1), new TopicPartition("b", 0));

    enum Kind {
        SCHEDULE,
        ADVANCE,
        FIRE,
        LOSE_NEXT_APPEND,
        ACK_OF_NEXT_APPEND_LOST,
        RESTART,
        DELETE_TOPIC
    }

    record Op(Kind kind, int x) {}

    @Provide
    Arbitrary<List<Op>> operations() {
        Arbitrary<Kind> kind = Arbitraries.frequency(
                Tuple.of(4, Kind.SCHEDULE),
                Tuple.of(2, Kind.ADVANCE),
                Tuple.of(2, Kind.FIRE),
                Tuple.of(1, Kind.LOSE_NEXT_APPEND),
                Tuple.of(1, Kind.ACK_OF_NEXT_APPEND_LOST),
                Tuple.of(1, Kind.RESTART),
                Tuple.of(1, Kind.DELETE_TOPIC));
        Arbitrary<Op> op = Combinators.combine(kind, Arbitraries.integers().between(0, 3_000))
                .as(Op::new);
        return op.list().ofMinSize(1).ofMaxSize(40);
    }

    /** Outcome of the fake log's next append. */
    enum AppendOutcome {
        OK,
        /** Fails without writing anything (a crash before the bytes were durable). */
        LOST,
        /** Writes durably, then fails (a crash after the append, before the row was deleted). */
        ACK_LOST
    }

    /** Partitions in memory that outlive a scheduler "crash" (they are the durable log). */
    static final class FakeLog implements DelayScheduler.TargetLog {
        final ManualClock clock;
        final Map<TopicPartition, List<ByteBuffer>> frames = new HashMap<>();
        final Map<TopicPartition, Long> ends = new HashMap<>();
        final Set<String> deletedTopics = new HashSet<>();
        /** Schedule id -> how often it was appended, and when (clock) the last time. */
        final Map<Long, Integer> appendedCount = new HashMap<>();

        final Map<Long, Long> appendedAt = new HashMap<>();
        final Map<Long, Long> recordTimestamp = new HashMap<>();
        AppendOutcome next = AppendOutcome.OK;

        FakeLog(ManualClock clock) {
            this.clock = clock;
        }

        @Override
        public synchronized long endOffset(TopicPartition tp) {
            return deletedTopics.contains(tp.topic()) ? -1 : ends.getOrDefault(tp, 0L);
        }

        @Override
        public synchronized CompletableFuture<AppendResult> append(TopicPartition tp, ByteBuffer frame) {
            AppendOutcome outcome = next;
            next = AppendOutcome.OK;
            if (deletedTopics.contains(tp.topic())) {
                return CompletableFuture.failedFuture(new io.gmq.GmqException(io.gmq.ErrorCode.NOT_FOUND, "gone"));
            }
            if (outcome == AppendOutcome.LOST) {
                return CompletableFuture.failedFuture(new io.gmq.GmqException(io.gmq.ErrorCode.UNAVAILABLE, "lost"));
            }
            long base = ends.getOrDefault(tp, 0L);
            ByteBuffer copy = ByteBuffer.allocate(frame.remaining()).order(BatchFormat.ORDER);
            copy.put(frame.duplicate()).flip();
            BatchFrame f = new BatchFrame().wrap(copy, 0).seal(base);
            frames.computeIfAbsent(tp, k -> new ArrayList<>()).add(copy);
            ends.put(tp, base + f.recordCount());
            BatchReader r = new BatchReader(copy.duplicate());
            while (r.next()) {
                for (Header h : r.headers()) {
                    if (h.name().equals(DelayScheduler.SCHEDULE_ID_HEADER)) {
                        long id = Long.parseLong(h.valueAsString());
                        appendedCount.merge(id, 1, Integer::sum);
                        appendedAt.put(id, clock.wallMillis());
                        recordTimestamp.put(id, r.timestamp());
                    }
                }
            }
            if (outcome == AppendOutcome.ACK_LOST) {
                return CompletableFuture.failedFuture(
                        new io.gmq.GmqException(io.gmq.ErrorCode.UNAVAILABLE, "ack lost"));
            }
            return CompletableFuture.completedFuture(new AppendResult(base, f.recordCount(), clock.wallMillis()));
        }

        @Override
        public synchronized FetchResult read(TopicPartition tp, long offset, int maxBytes) {
            List<ByteBuffer> out = new ArrayList<>();
            int bytes = 0;
            for (ByteBuffer f : frames.getOrDefault(tp, List.of())) {
                BatchFrame h = new BatchFrame().wrap(f, 0);
                if (h.baseOffset() + h.recordCount() <= offset) {
                    continue;
                }
                if (!out.isEmpty() && bytes + f.remaining() > maxBytes) {
                    break;
                }
                out.add(f.duplicate());
                bytes += f.remaining();
            }
            ByteBuffer all = ByteBuffer.allocate(bytes).order(BatchFormat.ORDER);
            out.forEach(all::put);
            all.flip();
            return new FetchResult(all, ends.getOrDefault(tp, 0L), 0, false);
        }
    }

    /** What the test scheduled: id -> (partition, due time). */
    record Scheduled(TopicPartition tp, long deliverAt) {}

    @Property(tries = 30)
    void everyScheduledMessageIsAppendedOnceNeverEarlyAndSurvivesRestarts(@ForAll("operations") List<Op> ops)
            throws IOException {
        Path dir = Files.createTempDirectory("gmq-schedule-model");
        ManualClock clock = new ManualClock();
        FakeLog log = new FakeLog(clock);
        Map<Long, Scheduled> model = new HashMap<>();
        Set<Long> dropped = new HashSet<>(); // scheduled for a topic deleted before they fired
        StateDb db = StateDb.open(dir);
        DelayScheduler scheduler = open(db, clock, log);
        try {
            int seq = 0;
            for (Op op : ops) {
                switch (op.kind()) {
                    case SCHEDULE -> {
                        TopicPartition tp = PARTITIONS.get(op.x() % PARTITIONS.size());
                        if (log.deletedTopics.contains(tp.topic())) {
                            break;
                        }
                        long deliverAt = clock.wallMillis() + op.x();
                        ScheduleResult r = scheduler
                                .schedule(tp, frame("m" + seq++, clock.wallMillis()), deliverAt)
                                .join();
                        model.put(r.scheduleId(), new Scheduled(tp, deliverAt));
                    }
                    case ADVANCE -> clock.advanceMillis(op.x());
                    case FIRE -> scheduler.fireDue();
                    case LOSE_NEXT_APPEND -> setNext(log, AppendOutcome.LOST);
                    case ACK_OF_NEXT_APPEND_LOST -> setNext(log, AppendOutcome.ACK_LOST);
                    case RESTART -> {
                        scheduler.close();
                        db.close();
                        db = StateDb.open(dir);
                        scheduler = open(db, clock, log);
                    }
                    case DELETE_TOPIC -> {
                        String topic =
                                PARTITIONS.get(op.x() % PARTITIONS.size()).topic();
                        synchronized (log) {
                            log.deletedTopics.add(topic);
                        }
                        scheduler.deleteTopic(topic);
                        synchronized (log) {
                            model.forEach((id, s) -> {
                                if (s.tp().topic().equals(topic) && !log.appendedCount.containsKey(id)) {
                                    dropped.add(id);
                                }
                            });
                        }
                    }
                }
                checkInvariants(log, model, dropped);
            }
            // Everything is due now and appends succeed: whatever was scheduled for a live topic
            // arrives, exactly once.
            setNext(log, AppendOutcome.OK);
            clock.advanceMillis(10_000);
            scheduler.fireDue();
            scheduler.fireDue();
            checkInvariants(log, model, dropped);
            synchronized (log) {
                for (Map.Entry<Long, Scheduled> e : model.entrySet()) {
                    long id = e.getKey();
                    if (dropped.contains(id)) {
                        continue;
                    }
                    if (log.deletedTopics.contains(e.getValue().tp().topic())) {
                        continue; // appended before its topic went (counted once by the invariant)
                    }
                    assertEquals(1, log.appendedCount.getOrDefault(id, 0), "schedule id " + id + " in the log");
                }
            }
            for (TopicPartition tp : PARTITIONS) {
                assertEquals(0, scheduler.scheduled(tp), "scheduled count of " + tp);
            }
        } finally {
            scheduler.close();
            db.close();
            deleteRecursively(dir);
        }
    }

    private static void setNext(FakeLog log, AppendOutcome outcome) {
        synchronized (log) {
            log.next = outcome;
        }
    }

    private static void checkInvariants(FakeLog log, Map<Long, Scheduled> model, Set<Long> dropped) {
        synchronized (log) {
            for (Map.Entry<Long, Integer> e : log.appendedCount.entrySet()) {
                long id = e.getKey();
                Scheduled s = model.get(id);
                if (s == null) {
                    fail("schedule id " + id + " was appended but never scheduled");
                }
                assertEquals(1, e.getValue(), "schedule id " + id + " appended more than once");
                assertTrue(
                        log.appendedAt.get(id) >= s.deliverAt(),
                        "schedule id " + id + " appended at " + log.appendedAt.get(id) + ", due " + s.deliverAt());
                assertTrue(log.recordTimestamp.get(id) >= s.deliverAt(), "record stamped before its due time");
                assertTrue(!dropped.contains(id), "schedule id " + id + " of a deleted topic was appended");
            }
        }
    }

    private static DelayScheduler open(StateDb db, ManualClock clock, FakeLog log) {
        return new DelayScheduler(db, clock, new ScheduleLimits(Duration.ofDays(1), 1 << 20), 1 << 20, 1 << 16, log);
    }

    private static ByteBuffer frame(String payload, long timestamp) {
        return new BatchBuilder(256)
                .add(timestamp, null, payload.getBytes(StandardCharsets.UTF_8), List.of())
                .attributes(BatchFormat.ATTR_QOS_AT_LEAST_ONCE)
                .build();
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
