package io.gmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * The partition-growth barrier against the simplest model of key order: for any interleaving of
 * keyed publishes, growths of the partition count, acknowledgements and members joining and
 * leaving, each key's messages reach the handlers for the first time in the order they were
 * published, and every published message reaches a handler.
 *
 * <p>The window is small (4 in flight per partition), so records published before a growth are
 * still in their old partitions while records of the same keys arrive in the new ones: without the
 * barrier a moved key's newer records overtake its older ones.
 */
class PartitionGrowthProperties {
    static final String TOPIC = "orders";
    static final String GROUP = "shippers";
    static final int KEYS = 8;

    enum Kind {
        PUBLISH,
        GROW,
        ACK,
        JOIN,
        LEAVE
    }

    record Action(Kind kind, int amount) {}

    @Provide
    Arbitrary<List<Action>> runs() {
        Arbitrary<Action> action = Arbitraries.frequencyOf(
                Tuple.of(5, Arbitraries.integers().between(1, 30).map(n -> new Action(Kind.PUBLISH, n))),
                Tuple.of(2, Arbitraries.integers().between(1, 3).map(n -> new Action(Kind.GROW, n))),
                Tuple.of(4, Arbitraries.integers().between(1, 40).map(n -> new Action(Kind.ACK, n))),
                Tuple.of(1, Arbitraries.just(new Action(Kind.JOIN, 0))),
                Tuple.of(1, Arbitraries.just(new Action(Kind.LEAVE, 0))));
        return action.list().ofMinSize(2).ofMaxSize(14);
    }

    /** What the handlers saw. */
    static final class Observed {
        final Set<String> delivered = ConcurrentHashMap.newKeySet();
        /** Per key: the last sequence number delivered for the first time. */
        final Map<String, Integer> lastFirst = new ConcurrentHashMap<>();

        final List<String> orderViolations = java.util.Collections.synchronizedList(new ArrayList<>());
        final Queue<ConsumeMessage> unacked = new ConcurrentLinkedQueue<>();

        /** Runs on a member's handler thread; members of one group never hold one partition at once. */
        synchronized void delivered(ConsumeMessage m) {
            String id = m.payloadAsString();
            if (delivered.add(id)) {
                String key = m.keyAsString();
                int seq = Integer.parseInt(id.substring(id.indexOf('#') + 1));
                Integer prev = lastFirst.put(key, seq);
                if (prev != null && prev > seq) {
                    orderViolations.add(key + ": #" + prev + " then #" + seq + " (partition " + m.partition() + ")");
                }
            }
            unacked.add(m);
        }
    }

    @Property(tries = 10)
    void eachKeysMessagesReachHandlersInPublishOrderAndNoneIsLost(@ForAll("runs") List<Action> actions)
            throws IOException {
        Path dir = Files.createTempDirectory("gmq-growth-");
        GmqConfig config = GmqConfig.builder()
                .dataDir(dir)
                .ackTimeout(Duration.ofSeconds(60))
                .sessionTimeout(Duration.ofSeconds(3))
                .commitInterval(Duration.ofMillis(10))
                .maxInFlightPerPartition(4)
                .flushPolicy(FlushPolicy.OS)
                .build();
        Observed seen = new Observed();
        List<Subscription> members = new ArrayList<>();
        Map<String, Integer> nextSeq = new HashMap<>();
        Set<String> published = new java.util.HashSet<>();
        int partitions = 2;
        try (Gmq gmq = Gmq.open(config)) {
            gmq.admin().createTopic(TOPIC, partitions);
            members.add(join(gmq, seen, 0));
            int n = 0;
            for (Action a : actions) {
                switch (a.kind()) {
                    case PUBLISH -> {
                        for (int i = 0; i < a.amount(); i++) {
                            String key = "k" + (n++ % KEYS);
                            String id = key + "#" + nextSeq.merge(key, 1, Integer::sum);
                            gmq.publish(TOPIC, id.getBytes(StandardCharsets.UTF_8), PublishOption.partitionKey(key));
                            published.add(id);
                        }
                    }
                    case GROW -> {
                        partitions += a.amount();
                        assertEquals(
                                partitions,
                                gmq.admin().createPartitions(TOPIC, partitions).partitions());
                    }
                    case ACK -> {
                        for (int i = 0; i < a.amount(); i++) {
                            ConsumeMessage m = seen.unacked.poll();
                            if (m == null) {
                                break;
                            }
                            m.ack();
                        }
                    }
                    case JOIN -> members.add(join(gmq, seen, members.size() + 1));
                    case LEAVE -> {
                        if (members.size() > 1) {
                            members.remove(0).close();
                        }
                    }
                }
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!seen.delivered.containsAll(published) && System.nanoTime() < deadline) {
                ConsumeMessage m = seen.unacked.poll();
                if (m != null) {
                    m.ack();
                } else {
                    pause();
                }
            }
            Set<String> missing = new java.util.TreeSet<>(published);
            missing.removeAll(seen.delivered);
            assertTrue(missing.isEmpty(), "never delivered: " + missing);
            assertTrue(seen.orderViolations.isEmpty(), "key order broken: " + seen.orderViolations);
        } finally {
            deleteRecursively(dir);
        }
    }

    private static Subscription join(Gmq gmq, Observed seen, int n) {
        return gmq.subscribe(
                ConsumerConfig.builder()
                        .clientId("member-" + n)
                        .consumerGroup(GROUP)
                        .pullInterval(Duration.ofMillis(20))
                        .ackMode(AckMode.MANUAL)
                        .messageHandler(seen::delivered)
                        .build(),
                TOPIC);
    }

    private static void pause() {
        try {
            Thread.sleep(5); // polling a condition with a deadline
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
