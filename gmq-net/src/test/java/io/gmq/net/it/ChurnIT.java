package io.gmq.net.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.GroupDescription;
import io.gmq.client.GmqClient;
import io.gmq.testkit.QueueChecker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Connection churn against a standalone server process: many client sessions connect, join a
 * consumer group, subscribe and disconnect, from a few threads at once. The members use a long
 * session timeout, so a member a disconnect failed to remove would still be listed at the end
 * (expiry cannot hide the leak).
 *
 * <p>Pass: afterwards the group has no members, and the server still serves a publish and a
 * consumption that the checker accepts.
 */
final class ChurnIT extends ClusterTest {
    private static final String TOPIC = "churn";
    private static final int SESSIONS = Integer.getInteger("gmq.faults.churnSessions", 300);
    private static final int THREADS = 4;

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void sessionChurnLeavesNoGroupMembersBehindAndTheServerStillServes() throws Exception {
        GmqProcess server = cluster.startServer("server", dir.resolve("data"));
        GmqClient admin = cluster.client(Cluster.config(server.address(), Duration.ofSeconds(20)));
        admin.createTopic(TOPIC, 3);

        AtomicInteger next = new AtomicInteger();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            Thread th = new Thread(
                    () -> {
                        for (int i = next.getAndIncrement(); i < SESSIONS; i = next.getAndIncrement()) {
                            try (GmqClient c =
                                    GmqClient.connect(Cluster.config(server.address(), Duration.ofSeconds(20))
                                            .consumerGroup("churn-group")
                                            .clientId("churn-" + i)
                                            .sessionTimeout(Duration.ofSeconds(120))
                                            .messageHandler(m -> {})
                                            .build())) {
                                if (i % 2 == 0) {
                                    c.subscribe(TOPIC); // half join the group, half only open a session
                                }
                            } catch (RuntimeException e) {
                                failures.add(e);
                            }
                        }
                    },
                    "churn-" + t);
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join(TimeUnit.SECONDS.toMillis(120));
            assertTrue(!th.isAlive(), th.getName() + " did not finish");
        }
        assertEquals(List.of(), failures, "every session connects, subscribes and closes");

        Recorder.await(
                "the churned group has no members (120 s session timeout, so leaving is explicit)",
                20,
                () -> admin.describeGroup("churn-group").members().isEmpty());
        GroupDescription d = admin.describeGroup("churn-group");
        for (GroupDescription.PartitionProgress p : d.partitions()) {
            assertEquals(null, p.ownerMemberId(), "no owner left for " + p.topicPartition());
        }

        Recorder rec = new Recorder();
        GmqClient producer = cluster.client(Cluster.config(server.address(), Duration.ofSeconds(20)));
        for (int i = 0; i < 50; i++) {
            rec.publish(producer, "after-churn", TOPIC, "after-churn-" + i);
        }
        cluster.drainWithFreshGroup(server.address(), TOPIC, "after-churn-check", rec, admin);
        System.out.printf("ChurnIT: %d sessions, then %s%n", SESSIONS, rec.summary());
        assertTrue(server.process.isAlive());
        QueueChecker.check(rec.history()).assertValid();
    }
}
