package io.gmq.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.PublishOption;
import io.gmq.PublishRequest;
import io.gmq.TopicPartition;
import io.gmq.storage.GroupMembership;
import io.gmq.storage.Storage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generation fencing of acks: a member delivers a partition, the partition moves to another
 * member and comes back (a later generation), and an ack tagged with the first delivery's
 * generation is refused: the committed offset does not move. The same ack tagged with the
 * current generation commits (the control).
 */
class StaleAckFencingTest {
    private static final String TOPIC = "t";
    private static final String GROUP = "g";

    @TempDir
    Path dir;

    private Storage storage;
    private BrokerEngine engine;
    private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();

    @BeforeEach
    void open() {
        GmqConfig config = GmqConfig.builder()
                .dataDir(dir)
                .flushPolicy(FlushPolicy.OS)
                .sessionTimeout(Duration.ofSeconds(30))
                .ackTimeout(Duration.ofMinutes(10))
                .commitInterval(Duration.ofHours(1)) // only the final commit of close() runs
                .build();
        storage = Storages.openLocal(config);
        engine = new BrokerEngine(storage, config);
        storage.createTopic(TOPIC, 2);
        for (int p = 0; p < 2; p++) {
            for (int i = 0; i < 3; i++) {
                engine.publish(PublishRequest.of(
                                TOPIC, ("m" + i).getBytes(StandardCharsets.UTF_8), PublishOption.partition(p)))
                        .join();
            }
        }
    }

    @AfterEach
    void close() {
        engine.close();
        storage.close();
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting until " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    private final class CapturingSink implements DeliverySink {
        @Override
        public int capacity() {
            return 1_000;
        }

        @Override
        public void deliver(Delivery delivery) {
            deliveries.add(delivery);
        }
    }

    private Delivery first(TopicPartition tp, int minGeneration) {
        for (Delivery d : deliveries) {
            if (d.tp().equals(tp) && d.generation() >= minGeneration && d.fromOffset() == 0) {
                return d;
            }
        }
        return null;
    }

    /**
     * Runs the scenario up to the point where the member owns the moved partition again; returns
     * [the moved partition's first delivery, its redelivery after the return].
     */
    private Delivery[] moveAwayAndBack(GroupSubscription member) {
        await(
                "both partitions delivered",
                () -> first(new TopicPartition(TOPIC, 0), 0) != null && first(new TopicPartition(TOPIC, 1), 0) != null);
        GroupMembership other = storage.joinGroup(GROUP, "other", Set.of(TOPIC), 30_000);
        await(
                "one partition released to the other member",
                () -> member.assignment().size() == 1);
        Set<TopicPartition> kept = member.assignment();
        TopicPartition moved = new HashSet<>(Set.of(new TopicPartition(TOPIC, 0), new TopicPartition(TOPIC, 1)))
                .stream().filter(tp -> !kept.contains(tp)).findFirst().orElseThrow();
        Delivery before = first(moved, 0);
        storage.leaveGroup(GROUP, other.memberId());
        await("the partition came back", () -> member.assignment().contains(moved));
        await(
                "the partition was delivered again at a later generation",
                () -> first(moved, before.generation() + 1) != null);
        return new Delivery[] {before, first(moved, before.generation() + 1)};
    }

    @Test
    void anAckFromBeforeThePartitionMovedAwayAndBackIsRefused() {
        GroupSubscription member =
                engine.subscribe(GROUP, "m", Set.of(TOPIC), SubscriptionOptions.defaults(), new CapturingSink());
        Delivery[] d = moveAwayAndBack(member);
        assertTrue(d[0].generation() < d[1].generation());

        member.ackRanges(d[0].tp(), new long[] {0, 3}, 1, d[0].generation());
        member.close(); // commits what is acknowledged

        assertEquals(
                0L,
                storage.committedOffsets(GROUP, List.of(d[0].tp())).getOrDefault(d[0].tp(), 0L),
                "the stale ack moved nothing");
    }

    @Test
    void theSameAckFromTheCurrentGenerationCommits() {
        GroupSubscription member =
                engine.subscribe(GROUP, "m", Set.of(TOPIC), SubscriptionOptions.defaults(), new CapturingSink());
        Delivery[] d = moveAwayAndBack(member);

        member.ackRanges(d[1].tp(), new long[] {0, 3}, 1, d[1].generation());
        member.close();

        assertEquals(Map.of(d[1].tp(), 3L), storage.committedOffsets(GROUP, List.of(d[1].tp())));
    }
}
