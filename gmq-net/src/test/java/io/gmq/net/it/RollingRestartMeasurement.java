package io.gmq.net.it;

import io.gmq.AssignmentListener;
import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.TopicPartition;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.net.server.GmqServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Partition moves during a rolling restart of 3 consumers over a 6-partition topic, with and
 * without group instance ids (not part of the build: run it with {@code mvn -pl gmq-net test
 * -Dtest=RollingRestartMeasurement}). A standalone server on 127.0.0.1 port 0; each consumer in
 * turn is closed and started again with the same settings, and the next one waits until the
 * group is settled again (3 members, 2 partitions each). A move is a partition assigned to
 * another consumer slot than the one that held it before; "changes seen by the others" counts the
 * assignment callbacks of consumers that were not being restarted.
 */
class RollingRestartMeasurement {
    private static final int PARTITIONS = 6;
    private static final int MEMBERS = 3;
    private static final int ROUNDS = Integer.getInteger("gmq.measure.rounds", 3);

    @TempDir
    Path dir;

    @Test
    void partitionMovesDuringARollingRestart() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            measure("dynamic members  ", false, round);
            measure("static members   ", true, round);
        }
    }

    private final Map<TopicPartition, Integer> holder = new ConcurrentHashMap<>();
    private final AtomicInteger moves = new AtomicInteger();
    private final AtomicInteger othersChanges = new AtomicInteger();
    private volatile int restarting = -1;

    private final class Slot implements AssignmentListener {
        final int index;
        final Set<TopicPartition> held = ConcurrentHashMap.newKeySet();

        Slot(int index) {
            this.index = index;
        }

        @Override
        public void onAssigned(Set<TopicPartition> partitions) {
            held.addAll(partitions);
            for (TopicPartition tp : partitions) {
                Integer previous = holder.put(tp, index);
                if (previous != null && previous != index) {
                    moves.incrementAndGet();
                }
            }
            if (restarting >= 0 && restarting != index) {
                othersChanges.incrementAndGet();
            }
        }

        @Override
        public void onRevoked(Set<TopicPartition> partitions) {
            held.removeAll(partitions);
            if (restarting >= 0 && restarting != index) {
                othersChanges.incrementAndGet();
            }
        }
    }

    private void measure(String name, boolean staticMembers, int round) throws Exception {
        holder.clear();
        moves.set(0);
        othersChanges.set(0);
        restarting = -1;
        Path data = dir.resolve((staticMembers ? "static-" : "dynamic-") + round);
        try (GmqServer server = GmqServer.standalone(
                GmqConfig.builder().dataDir(data).flushPolicy(FlushPolicy.OS).build(), "127.0.0.1", 0)) {
            String address = "127.0.0.1:" + server.port();
            try (GmqClient admin =
                    GmqClient.connect(ClientConfig.builder().serverAddr(address).build())) {
                admin.createTopic("rolling", PARTITIONS);
            }
            GmqClient[] clients = new GmqClient[MEMBERS];
            Slot[] slots = new Slot[MEMBERS];
            try {
                for (int i = 0; i < MEMBERS; i++) {
                    slots[i] = new Slot(i);
                    clients[i] = consumer(address, staticMembers, slots[i]);
                }
                awaitSettled(slots);
                moves.set(0);
                long started = System.nanoTime();
                for (int i = 0; i < MEMBERS; i++) {
                    restarting = i;
                    clients[i].close();
                    slots[i].held.clear();
                    clients[i] = consumer(address, staticMembers, slots[i]);
                    awaitSettled(slots);
                }
                restarting = -1;
                System.out.printf(
                        "rolling restart, %s round %d: %d partition moves, %d assignment changes seen by the"
                                + " others, %d ms%n",
                        name,
                        round,
                        moves.get(),
                        othersChanges.get(),
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            } finally {
                for (GmqClient c : clients) {
                    if (c != null) {
                        c.close();
                    }
                }
            }
        }
    }

    private GmqClient consumer(String address, boolean staticMember, Slot slot) {
        ClientConfig.Builder b = ClientConfig.builder()
                .serverAddr(address)
                .consumerGroup("rolling-group")
                .sessionTimeout(Duration.ofSeconds(30))
                .messageHandler(m -> {})
                .assignmentListener(slot);
        if (staticMember) {
            b.groupInstanceId("consumer-" + slot.index);
        }
        GmqClient c = GmqClient.connect(b.build());
        c.subscribe("rolling");
        return c;
    }

    private static void awaitSettled(Slot[] slots) {
        await("every member holds 2 partitions", () -> {
            Set<TopicPartition> all = new HashSet<>();
            Map<Integer, Integer> counts = new HashMap<>();
            for (Slot s : slots) {
                all.addAll(s.held);
                counts.put(s.index, s.held.size());
            }
            return all.size() == PARTITIONS && counts.values().stream().allMatch(n -> n == 2);
        });
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting until " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }
}
