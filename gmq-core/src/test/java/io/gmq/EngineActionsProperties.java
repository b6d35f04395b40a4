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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random runs of the whole embedded engine: publishes, members joining and leaving, handlers that
 * negatively acknowledge or drop acks, and engine restarts. After every run the group must have
 * acknowledged every QoS 1 message published (at least once), and at every step:
 * <ul>
 *   <li>a committed offset never goes backward;</li>
 *   <li>a committed offset never passes a message that was not acknowledged;</li>
 *   <li>per partition and member, messages delivered for the first time come in increasing offset order.</li>
 * </ul>
 */
class EngineActionsProperties {
    static final String TOPIC = "events";
    static final String GROUP = "workers";

    enum Kind {
        PUBLISH,
        JOIN,
        LEAVE,
        RESTART
    }

    record Action(Kind kind, int amount) {}

    @Provide
    Arbitrary<List<Action>> runs() {
        Arbitrary<Action> action = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.integers().between(1, 40).map(n -> new Action(Kind.PUBLISH, n))),
                net.jqwik.api.Tuple.of(2, Arbitraries.just(new Action(Kind.JOIN, 0))),
                net.jqwik.api.Tuple.of(2, Arbitraries.just(new Action(Kind.LEAVE, 0))),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(new Action(Kind.RESTART, 0))));
        return action.list().ofMinSize(1).ofMaxSize(12);
    }

    /** Everything the handlers saw, across restarts. */
    static final class Observed {
        final Set<String> acked = ConcurrentHashMap.newKeySet();
        final Map<String, Integer> deliveries = new ConcurrentHashMap<>();
        final Map<String, Long> offsetOf = new ConcurrentHashMap<>();
        final List<String> orderViolations = java.util.Collections.synchronizedList(new ArrayList<>());
    }

    @Property(tries = 12)
    void everyQos1MessageIsAcknowledgedAndCommitsNeverPassUnackedMessages(@ForAll("runs") List<Action> actions)
            throws IOException {
        Path dir = Files.createTempDirectory("gmq-actions-");
        GmqConfig config = GmqConfig.builder()
                .dataDir(dir)
                .ackTimeout(Duration.ofMillis(300))
                .sessionTimeout(Duration.ofMillis(900))
                .commitInterval(Duration.ofMillis(10))
                .flushPolicy(FlushPolicy.OS)
                .build();
        Observed seen = new Observed();
        Map<TopicPartition, Long> lastCommitted = new HashMap<>();
        List<Subscription> members = new ArrayList<>();
        int published = 0;
        Gmq gmq = Gmq.open(config);
        try {
            gmq.admin().createTopic(TOPIC, 3);
            for (Action a : actions) {
                switch (a.kind()) {
                    case PUBLISH -> {
                        for (int i = 0; i < a.amount(); i++) {
                            String id = "m" + published++;
                            PublishResult r = gmq.publish(
                                    TOPIC,
                                    id.getBytes(StandardCharsets.UTF_8),
                                    PublishOption.partitionKey("k" + (published % 7)));
                            seen.offsetOf.put(id, r.offset() * 10 + r.partition());
                        }
                    }
                    case JOIN -> members.add(join(gmq, seen, members.size()));
                    case LEAVE -> {
                        if (!members.isEmpty()) {
                            members.remove(0).close();
                        }
                    }
                    case RESTART -> {
                        members.clear();
                        gmq.close();
                        gmq = Gmq.open(config);
                    }
                }
                checkCommits(gmq, seen, lastCommitted);
            }
            if (members.isEmpty()) {
                members.add(join(gmq, seen, 99));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (seen.acked.size() < published && System.nanoTime() < deadline) {
                checkCommits(gmq, seen, lastCommitted);
                sleepBriefly();
            }
            assertEquals(published, seen.acked.size(), "acknowledged of published");
            assertTrue(seen.orderViolations.isEmpty(), seen.orderViolations.toString());
            checkCommits(gmq, seen, lastCommitted);
        } finally {
            gmq.close();
            deleteRecursively(dir);
        }
    }

    private static Subscription join(Gmq gmq, Observed seen, int n) {
        Map<Integer, Long> lastFirstDelivery = new ConcurrentHashMap<>();
        return gmq.subscribe(
                ConsumerConfig.builder()
                        .clientId("member-" + n)
                        .consumerGroup(GROUP)
                        .pullInterval(Duration.ofMillis(20))
                        .ackMode(AckMode.MANUAL)
                        .messageHandler(m -> {
                            String id = m.payloadAsString();
                            int count = seen.deliveries.merge(id, 1, Integer::sum);
                            if (count == 1) {
                                // A message nobody saw before must come after everything this member
                                // already got from the partition (records seen before may come again after
                                // the partition moved and came back: that is redelivery).
                                Long prev = lastFirstDelivery.put(m.partition(), m.offset());
                                if (prev != null && prev >= m.offset()) {
                                    seen.orderViolations.add(m.partition() + ": " + prev + " then " + m.offset());
                                }
                            }
                            int h = Math.floorMod(id.hashCode(), 10);
                            if (count == 1 && h == 0) {
                                m.nack();
                            } else if (count == 1 && h == 1) {
                                return; // dropped: the ack timeout brings it back
                            } else {
                                seen.acked.add(id);
                                m.ack();
                            }
                        })
                        .build(),
                TOPIC);
    }

    /** Committed offsets never go backward and never pass a message nobody acknowledged. */
    private static void checkCommits(Gmq gmq, Observed seen, Map<TopicPartition, Long> lastCommitted) {
        GroupDescription d;
        try {
            d = gmq.admin().describeGroup(GROUP);
        } catch (GmqException e) {
            return;
        }
        Map<Long, String> idAt = new HashMap<>();
        seen.offsetOf.forEach((id, key) -> idAt.put(key, id));
        for (GroupDescription.PartitionProgress p : d.partitions()) {
            long c = p.committedOffset();
            if (c < 0) {
                continue;
            }
            Long prev = lastCommitted.put(p.topicPartition(), c);
            assertTrue(
                    prev == null || prev <= c, p.topicPartition() + " committed went back from " + prev + " to " + c);
            for (long o = 0; o < c; o++) {
                String id = idAt.get(o * 10 + p.topicPartition().partition());
                assertTrue(
                        id != null && seen.acked.contains(id),
                        p.topicPartition() + " committed " + c + " passes unacknowledged offset " + o);
            }
        }
    }

    private static void sleepBriefly() {
        try {
            Thread.sleep(10); // polling a condition with a deadline
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
