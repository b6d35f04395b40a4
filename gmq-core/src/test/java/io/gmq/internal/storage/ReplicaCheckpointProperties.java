package io.gmq.internal.storage;

import static io.gmq.internal.log.LogTestSupport.config;
import static io.gmq.internal.log.LogTestSupport.frame;
import static io.gmq.internal.log.LogTestSupport.simpleBatch;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.TopicPartition;
import io.gmq.broker.Storages;
import io.gmq.storage.GroupMembership;
import io.gmq.storage.ReplicaCheckpoint;
import io.gmq.storage.ReplicaStorage;
import io.gmq.testkit.ManualClock;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The recovery path of a replica: restoring a checkpoint and applying the commands after it gives
 * the same replica as applying every command, for random command sequences and checkpoint points.
 * Three replicas get the same commands with the same clock: {@code all} applies every one; {@code
 * writer} takes a checkpoint after command {@code first}, a second one (sharing the first's bytes)
 * after command {@code second}, and stops; {@code fromFirst} and {@code fromSecond} are restored
 * from them and apply the rest. Invariants: every command after a checkpoint has the same outcome
 * on the restored replica as on {@code all}, and at the end each partition holds the same bytes
 * and every group the same members, generation, assignment and committed offsets. Restoring the
 * first checkpoint after the second was written checks that a later checkpoint never changes the
 * bytes an earlier one claims. Segments are small, so checkpoints cut through rolled and active
 * segments alike.
 */
class ReplicaCheckpointProperties {
    private static final List<TopicPartition> PARTITIONS =
            List.of(new TopicPartition("orders", 0), new TopicPartition("orders", 1));
    private static final long START_MILLIS = 1_700_000_000_000L;

    @Property(tries = 100)
    void restoringACheckpointThenApplyingTheRestEqualsApplyingEverything(
            @ForAll @Size(max = 60) List<@IntRange(min = 0, max = 99) Integer> commands,
            @ForAll @IntRange(min = 0, max = 60) int firstAt,
            @ForAll @IntRange(min = 0, max = 60) int secondAt)
            throws IOException {
        int first = Math.min(firstAt, commands.size());
        int second = Math.max(first, Math.min(secondAt, commands.size()));
        Path dir = Files.createTempDirectory("checkpoint-property");
        try {
            Replica all = Replica.open(dir.resolve("all"));
            Replica writer = Replica.open(dir.resolve("writer"));
            List<String> outcomes = new ArrayList<>();
            ReplicaCheckpoint c1 = null;
            ReplicaCheckpoint c2 = null;
            Replica atFirst = null;
            Replica atSecond = null;
            for (int i = 0; i <= commands.size(); i++) {
                if (i == first) {
                    c1 = writer.storage.checkpoint(dir.resolve("c1"), null, null);
                    atFirst = writer.caller();
                }
                if (i == second) {
                    c2 = writer.storage.checkpoint(dir.resolve("c2"), c1, dir.resolve("c1"));
                    atSecond = writer.caller();
                }
                if (i < commands.size()) {
                    outcomes.add(all.apply(commands.get(i)));
                    if (i < second) {
                        assertEquals(outcomes.get(i), writer.apply(commands.get(i)), "command " + i);
                    }
                }
            }
            writer.close();
            Replica fromFirst = Replica.restore(dir.resolve("r1"), dir.resolve("c1"), c1, atFirst);
            Replica fromSecond = Replica.restore(dir.resolve("r2"), dir.resolve("c2"), c2, atSecond);
            for (int i = first; i < commands.size(); i++) {
                assertEquals(
                        outcomes.get(i),
                        fromFirst.apply(commands.get(i)),
                        "command " + i + " after the first checkpoint");
            }
            for (int i = second; i < commands.size(); i++) {
                assertEquals(
                        outcomes.get(i),
                        fromSecond.apply(commands.get(i)),
                        "command " + i + " after the second checkpoint");
            }
            for (Replica restored : List.of(fromFirst, fromSecond)) {
                assertEquals(all.state(), restored.state());
                restored.close();
            }
            all.close();
        } finally {
            deleteRecursively(dir);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** One replica and its own clock; commands are numbers so jqwik shrinks them well. */
    private static final class Replica implements AutoCloseable {
        final ReplicaStorage storage;
        final ManualClock clock;
        Path dataDir;
        /** Member id -> its last generation seen by this replica's caller. */
        final Map<String, Integer> generations;

        long advancedMillis;
        int joins;

        private Replica(ReplicaStorage storage, ManualClock clock, Map<String, Integer> generations) {
            this.storage = storage;
            this.clock = clock;
            this.generations = generations;
        }

        static GmqConfig.Builder settings(Path dataDir, ManualClock clock) {
            return config(dataDir)
                    .flushPolicy(FlushPolicy.OS)
                    .journalFileBytes(0)
                    .segmentBytes(1_024)
                    .timeSource(clock);
        }

        static Replica open(Path dataDir) {
            ManualClock clock = new ManualClock(START_MILLIS);
            ReplicaStorage s = Storages.openReplica(settings(dataDir, clock).build());
            s.createTopic("orders", PARTITIONS.size());
            PARTITIONS.forEach(s::partitionInfo); // opens each partition's log (a restored one has them all)
            Replica r = new Replica(s, clock, new HashMap<>());
            r.dataDir = dataDir;
            return r;
        }

        /** This replica's caller-side state (clock advance, generations seen, joins made), without a storage. */
        Replica caller() {
            Replica copy = new Replica(null, null, new HashMap<>(generations));
            copy.advancedMillis = advancedMillis;
            copy.joins = joins;
            return copy;
        }

        /** A replica restored from {@code checkpoint}, its caller where {@code caller} was when it was taken. */
        static Replica restore(Path dataDir, Path checkpointDir, ReplicaCheckpoint checkpoint, Replica caller) {
            ManualClock clock = new ManualClock(START_MILLIS);
            clock.advanceMillis(caller.advancedMillis);
            ReplicaStorage s = Storages.openReplica(settings(dataDir, clock).build(), checkpointDir, checkpoint);
            Replica r = new Replica(s, clock, new HashMap<>(caller.generations));
            r.dataDir = dataDir;
            r.advancedMillis = caller.advancedMillis;
            r.joins = caller.joins;
            return r;
        }

        /** Applies command {@code c}; returns its outcome as text (a result or an error code). */
        String apply(int c) {
            try {
                return applyOrThrow(c);
            } catch (GmqException e) {
                return "error " + e.code();
            } catch (CompletionException e) {
                return "error " + (e.getCause() instanceof GmqException g ? g.code() : e.getCause());
            }
        }

        private String applyOrThrow(int c) {
            String member = "m" + (c % 3);
            if (c < 40) {
                TopicPartition tp = PARTITIONS.get(c % 2);
                ByteBuffer batch = frame(simpleBatch(c % 3 + 1, 20 + c, 1_000 + c, c));
                return "appended at " + storage.append(tp, batch, false).join().baseOffset();
            }
            if (c < 50) {
                GroupMembership m = storage.joinGroup("g", member + "-" + joins++, member, Set.of("orders"), 2_000);
                generations.put(m.memberId(), m.generation());
                return "joined " + m;
            }
            if (c < 75) {
                String id = memberOf(c);
                if (id == null) {
                    return "no member";
                }
                if (c >= 65) {
                    return "rejected "
                            + storage.commitOffsets(
                                    "g",
                                    id,
                                    generations.getOrDefault(id, 0),
                                    Map.of(PARTITIONS.get(c % 2), (long) c % 7));
                }
                GroupMembership m = storage.heartbeat("g", id, generations.getOrDefault(id, 0), Set.of());
                generations.put(id, m.generation());
                return "heartbeat " + m;
            }
            if (c < 85) {
                long millis = (c % 5 + 1) * 250L;
                clock.advanceMillis(millis);
                advancedMillis += millis;
                return "clock +" + millis;
            }
            if (c < 93) {
                return "expired " + storage.expireMembers();
            }
            String id = memberOf(c);
            if (id == null) {
                return "no member";
            }
            storage.leaveGroup("g", id);
            return "left";
        }

        /** A current member of group g chosen by {@code c}, or null if it has none. */
        private String memberOf(int c) {
            if (!storage.listGroups().contains("g")) {
                return null;
            }
            var members = storage.describeGroup("g").members();
            return members.isEmpty() ? null : members.get(c % members.size()).memberId();
        }

        /**
         * Everything a replica holds that a broker can see, and its segment files byte for byte
         * (replicas must roll segments at the same offsets too), as one comparable value.
         */
        List<Object> state() throws IOException {
            List<Object> state = new ArrayList<>();
            try (var files = Files.walk(dataDir.resolve("logs"))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".log"))
                        .sorted()
                        .toList()) {
                    state.add(dataDir.relativize(f).toString());
                    state.add(ByteBuffer.wrap(Files.readAllBytes(f)));
                }
            }
            for (TopicPartition tp : PARTITIONS) {
                state.add(storage.partitionInfo(tp).highWatermark());
                ByteBuffer all = ByteBuffer.allocate(1 << 20);
                long offset = 0;
                while (offset < storage.partitionInfo(tp).highWatermark()) {
                    var r = storage.fetch(tp, offset, 1 << 20, 0).join();
                    ByteBuffer records = r.records();
                    var reader = new io.gmq.storage.BatchReader(records.duplicate());
                    long last = offset;
                    while (reader.next()) {
                        last = reader.offset();
                    }
                    all.put(records);
                    offset = last + 1;
                }
                state.add(all.flip());
            }
            for (String group : storage.listGroups()) {
                state.add(storage.describeGroup(group));
                state.add(storage.committedOffsets(group, PARTITIONS));
            }
            return state;
        }

        @Override
        public void close() {
            storage.close();
        }
    }
}
