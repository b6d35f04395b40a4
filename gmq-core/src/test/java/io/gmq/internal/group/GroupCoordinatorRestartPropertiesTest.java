package io.gmq.internal.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.TopicPartition;
import io.gmq.internal.state.StateDb;
import io.gmq.storage.GroupMembership;
import io.gmq.testkit.ManualClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random operations through the SQLite-backed {@link GroupCoordinator}, then a restart (close the
 * database, open it again, build a new coordinator): every group's members, generation, owners,
 * targets and offsets are exactly what they were, and the members carry on where they stopped.
 */
class GroupCoordinatorRestartPropertiesTest {
    private static final List<String> GROUPS = List.of("g0", "g1");
    private static final List<String> TOPICS = List.of("a", "b", "c");

    enum Kind {
        JOIN,
        HEARTBEAT,
        LEAVE,
        COMMIT,
        EXPIRE,
        GROW,
        DELETE_TOPIC,
        RESET
    }

    record Op(Kind kind, int x, int y) {}

    @Provide
    Arbitrary<List<Op>> operations() {
        Arbitrary<Op> op = Combinators.combine(
                        Arbitraries.of(Kind.class),
                        Arbitraries.integers().between(0, 1_000),
                        Arbitraries.integers().between(0, 1_000))
                .as(Op::new);
        return op.list().ofMinSize(1).ofMaxSize(40);
    }

    @Property(tries = 25)
    void everyGroupResumesIdenticallyAfterRestart(@ForAll("operations") List<Op> ops) throws IOException {
        Path dir = Files.createTempDirectory("gmq-group-restart");
        ManualClock clock = new ManualClock();
        Map<String, Integer> topics = new HashMap<>(Map.of("a", 3, "b", 5, "c", -1));
        try {
            Map<String, GroupMembership> clients = new LinkedHashMap<>();
            Map<String, GroupSnapshot> before = new TreeMap<>();
            List<String> listedBefore;
            try (StateDb db = StateDb.open(dir)) {
                GroupCoordinator groups = new GroupCoordinator(db, clock, t -> topics.getOrDefault(t, -1));
                for (Op op : ops) {
                    apply(groups, op, clients, topics, clock);
                }
                GROUPS.forEach(g -> before.put(g, groups.snapshot(g)));
                listedBefore = groups.listGroups();
            }

            try (StateDb db = StateDb.open(dir)) {
                GroupCoordinator groups = new GroupCoordinator(db, clock, t -> topics.getOrDefault(t, -1));
                for (String g : GROUPS) {
                    assertEquals(before.get(g), groups.snapshot(g), "group " + g + " after restart");
                }
                assertEquals(listedBefore, groups.listGroups());
                for (GroupMembership m : clients.values()) {
                    GroupMembership resumed = groups.heartbeat(m.group(), m.memberId(), m.generation(), m.assigned());
                    // A topic that grew while nobody heartbeated may rebalance now, never roll back.
                    assertTrue(resumed.generation() >= before.get(m.group()).generation());
                }
            }
        } finally {
            deleteRecursively(dir);
        }
    }

    private static void apply(
            GroupCoordinator groups,
            Op op,
            Map<String, GroupMembership> clients,
            Map<String, Integer> topics,
            ManualClock clock) {
        List<String> ids = new ArrayList<>(clients.keySet());
        String someone = ids.isEmpty() ? null : ids.get(op.x() % ids.size());
        String group = GROUPS.get(op.x() % GROUPS.size());
        String topic = TOPICS.get(op.y() % TOPICS.size());
        try {
            switch (op.kind()) {
                case JOIN -> {
                    Set<String> subscribed =
                            op.y() % 2 == 0 ? Set.of(topic) : Set.of(topic, TOPICS.get((op.y() + 1) % 3));
                    GroupMembership m = groups.join(group, "c", subscribed, 1_000 + op.y());
                    clients.put(m.memberId(), m);
                }
                case HEARTBEAT -> {
                    if (someone != null) {
                        GroupMembership m = clients.get(someone);
                        clients.put(someone, groups.heartbeat(m.group(), someone, m.generation(), m.assigned()));
                    }
                }
                case LEAVE -> {
                    if (someone != null) {
                        groups.leave(clients.remove(someone).group(), someone);
                    }
                }
                case COMMIT -> {
                    if (someone != null) {
                        GroupMembership m = clients.get(someone);
                        Map<TopicPartition, Long> offsets = new HashMap<>();
                        m.assigned().forEach(tp -> offsets.put(tp, (long) op.y()));
                        offsets.put(new TopicPartition(topic, op.y() % 4), (long) op.y() / 2);
                        groups.commit(m.group(), someone, m.generation(), offsets);
                    }
                }
                case EXPIRE -> {
                    clock.advanceMillis(op.y() * 2L);
                    groups.expireMembers();
                    // Clients of expired members find out on their next call; forget them here.
                    clients.values()
                            .removeIf(m -> !groups.snapshot(m.group()).members().containsKey(m.memberId()));
                }
                case GROW -> topics.merge(topic, 1 + op.y() % 2, (old, by) -> Math.max(0, old) + by);
                case DELETE_TOPIC -> {
                    topics.put(topic, -1);
                    groups.onTopicDeleted(topic);
                }
                case RESET -> groups.resetOffsets(group, topic, tp -> op.y() + tp.partition());
            }
        } catch (GmqException refused) {
            // resets are refused while a group has members or when the topic is missing
            if (op.kind() != Kind.RESET
                    || (refused.code() != ErrorCode.FAILED_PRECONDITION && refused.code() != ErrorCode.NOT_FOUND)) {
                throw refused;
            }
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
