package io.gmq;

import io.gmq.internal.embedded.HandlerSubscription;
import io.gmq.testkit.History;
import io.gmq.testkit.QueueChecker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three members share three partitions while a producer publishes with QoS 1; one member leaves,
 * one crashes holding unacknowledged messages, and the engine restarts mid-stream. The queue
 * checker then proves that nothing acknowledged was lost and nothing unexpected or out of order
 * was delivered.
 */
class GroupFailoverTest {
    static final String TOPIC = "jobs";
    static final int MESSAGES = 1200;

    @TempDir
    Path dir;

    private final History history = new History();
    private final Set<String> processed = ConcurrentHashMap.newKeySet();

    private Subscription member(Gmq gmq, String name, boolean acks) {
        return gmq.subscribe(
                ConsumerConfig.builder()
                        .assignmentListener(new AssignmentListener() {
                            @Override
                            public void onAssigned(Set<TopicPartition> partitions) {
                                partitions.forEach(tp -> history.assignment(name, tp, 0));
                            }
                        })
                        .clientId(name)
                        .consumerGroup("workers")
                        .ackMode(AckMode.MANUAL)
                        .pullInterval(Duration.ofMillis(20))
                        .messageHandler(m -> {
                            // A member that never acknowledges stands for a process that dies before it
                            // finishes its work: what it saw does not count as consumed.
                            if (acks) {
                                history.consumed(
                                        name,
                                        m.payloadAsString(),
                                        new TopicPartition(m.topic(), m.partition()),
                                        m.offset(),
                                        m.deliveryCount(),
                                        m.qos());
                                processed.add(m.payloadAsString());
                                m.ack();
                            }
                        })
                        .build(),
                TOPIC);
    }

    @Test
    void nothingAcknowledgedIsLostThroughLeaveCrashAndRestart() throws IOException {
        GmqConfig config = GmqConfig.builder()
                .dataDir(dir)
                .sessionTimeout(Duration.ofMillis(500))
                .ackTimeout(Duration.ofSeconds(2))
                .commitInterval(Duration.ofMillis(20))
                .build();
        Gmq gmq = Gmq.open(config);
        try {
            gmq.admin().createTopic(TOPIC, 3);
            List<Subscription> members = new ArrayList<>();
            members.add(member(gmq, "a", true));
            members.add(member(gmq, "b", true));
            members.add(member(gmq, "c", false));
            for (int i = 0; i < MESSAGES; i++) {
                if (i == 300) {
                    members.remove(0).close();
                } else if (i == 600) {
                    ((HandlerSubscription) members.remove(1)).crash();
                } else if (i == 900) {
                    members.clear();
                    gmq.close();
                    gmq = Gmq.open(config);
                    members.add(member(gmq, "b2", true));
                    members.add(member(gmq, "d", true));
                }
                String id = "p-" + i;
                history.attempt("producer", id);
                try {
                    PublishResult r = gmq.publish(
                            TOPIC, id.getBytes(StandardCharsets.UTF_8), PublishOption.partitionKey("key-" + (i % 17)));
                    history.acked("producer", id, new TopicPartition(TOPIC, r.partition()), r.offset());
                } catch (GmqException e) {
                    history.indeterminate("producer", id);
                }
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (processed.size() < MESSAGES && System.nanoTime() < deadline) {
                Thread.onSpinWait();
                try {
                    Thread.sleep(10); // polling a condition with a deadline
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            QueueChecker.check(history).assertValid();
            org.junit.jupiter.api.Assertions.assertEquals(MESSAGES, processed.size(), "messages processed");
        } finally {
            gmq.close();
        }
    }
}
