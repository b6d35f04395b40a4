package io.gmq.net.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ConsumeMessage;
import io.gmq.GroupDescription;
import io.gmq.PublishOption;
import io.gmq.TopicPartition;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.client.internal.RemoteGmqClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distributed deployment as separate JVMs from the built gmq.jar: one storage process and
 * brokers on 127.0.0.1 (port 0, read from each process's first line). Producers publish QoS 1
 * through two brokers; one group of three members spans the brokers; a third broker joins; then
 * one broker is SIGKILLed mid-stream.
 *
 * <p>Pass: every acknowledged message is consumed at least once; within a partition, each member
 * sees new offsets in increasing order (anything lower is a redelivery); the storage never reports
 * two owners for one partition.
 */
final class MultiProcessIT {
    private static final String TOPIC = "it-orders";
    /** Messages published (by both producers) between the phases of the test. */
    private static final int PHASE = 300;

    @TempDir
    Path dir;

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void tearDown() {
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception ignored) {
                // close the rest
            }
        }
    }

    private <T extends AutoCloseable> T own(T r) {
        resources.add(0, r);
        return r;
    }

    /** Every delivery to every member, in one global arrival order: {member, partition, offset}. */
    private static final class Seen {
        final List<long[]> arrivals = new ArrayList<>();

        synchronized void add(int member, ConsumeMessage m) {
            arrivals.add(new long[] {member, m.partition(), m.offset()});
        }
    }

    /**
     * A member may see an offset below the highest it has seen in that partition only if the record
     * was delivered before (to it or to another member): a redelivery after a crash or rebalance.
     * A record seen for the first time always comes after everything lower that member saw.
     */
    private static List<String> orderViolations(Seen seen) {
        List<String> violations = new ArrayList<>();
        Set<Long> deliveredBefore = new HashSet<>();
        Map<Long, Long> maxByMemberPartition = new HashMap<>();
        synchronized (seen) {
            for (long[] a : seen.arrivals) {
                long member = a[0];
                long partition = a[1];
                long offset = a[2];
                long key = member << 32 | partition;
                long record = partition << 48 | offset;
                long max = maxByMemberPartition.getOrDefault(key, -1L);
                if (offset < max && !deliveredBefore.contains(record)) {
                    violations.add("member " + member + " saw new offset " + offset + " of partition " + partition
                            + " after " + max);
                }
                deliveredBefore.add(record);
                maxByMemberPartition.put(key, Math.max(max, offset));
            }
        }
        return violations;
    }

    @Test
    void acknowledgedMessagesSurviveBrokerChangesAndABrokerCrash() throws Exception {
        Path logs = Files.createDirectories(dir.resolve("logs"));
        GmqProcess storage = own(GmqProcess.start(
                "storage",
                logs,
                "storage",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--data-dir",
                dir.resolve("data").toString(),
                "--flush",
                "os"));
        GmqProcess b1 = own(GmqProcess.start(
                "broker1", logs, "broker", "--host", "127.0.0.1", "--port", "0", "--storage", storage.address()));
        GmqProcess b2 = own(GmqProcess.start(
                "broker2", logs, "broker", "--host", "127.0.0.1", "--port", "0", "--storage", storage.address()));

        Set<String> consumed = ConcurrentHashMap.newKeySet();
        Seen views = new Seen();
        GmqClient admin =
                own(GmqClient.connect(config(b2.address() + "," + b1.address()).build()));
        admin.createTopic(TOPIC, 3);

        GmqClient c1 = own(consumer(b1.address() + "," + b2.address(), 1, consumed, views));
        GmqClient c2 = own(consumer(b2.address() + "," + b1.address(), 2, consumed, views));
        c1.subscribe(TOPIC);
        c2.subscribe(TOPIC);

        // Storage's view of ownership, sampled throughout: never two owners of a partition.
        AtomicBoolean sampling = new AtomicBoolean(true);
        List<String> ownershipViolations = new CopyOnWriteArrayList<>();
        Thread sampler = new Thread(() -> sampleOwnership(admin, sampling, ownershipViolations), "ownership-sampler");
        sampler.start();
        own(() -> {
            sampling.set(false);
            sampler.join(10_000);
        });

        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicInteger published = new AtomicInteger();
        AtomicBoolean producing = new AtomicBoolean(true);
        List<Thread> producers = new ArrayList<>();
        List<Throwable> producerErrors = new CopyOnWriteArrayList<>();
        String[][] producerAddrs = {{b1.address(), b2.address()}, {b2.address(), b1.address()}};
        for (int p = 0; p < 2; p++) {
            GmqClient producer = own(
                    GmqClient.connect(config(String.join(",", producerAddrs[p])).build()));
            int id = p;
            Thread t = new Thread(
                    () -> {
                        for (int i = 0; producing.get(); i++) {
                            String payload = "p" + id + "-" + i;
                            try {
                                producer.publish(
                                        TOPIC,
                                        payload.getBytes(StandardCharsets.UTF_8),
                                        PublishOption.partitionKey("key-" + (i % 12)));
                                acknowledged.add(payload);
                            } catch (RuntimeException e) {
                                // not acknowledged: it may or may not be stored, and need not be consumed
                                producerErrors.add(e);
                            }
                            published.incrementAndGet();
                        }
                    },
                    "producer-" + p);
            t.start();
            producers.add(t);
        }

        await("a first share is published", () -> published.get() >= PHASE);
        GmqProcess b3 = own(GmqProcess.start(
                "broker3", logs, "broker", "--host", "127.0.0.1", "--port", "0", "--storage", storage.address()));
        GmqClient c3 = own(consumer(b3.address() + "," + b2.address(), 3, consumed, views));
        c3.subscribe(TOPIC);

        int publishedAtThirdBroker = published.get();
        await("more is published", () -> published.get() >= publishedAtThirdBroker + PHASE);
        b1.kill();
        int publishedAtKill = published.get();
        await("publishing goes on after the crash", () -> published.get() >= publishedAtKill + PHASE);
        producing.set(false);

        for (Thread t : producers) {
            t.join(TimeUnit.SECONDS.toMillis(90));
        }
        assertTrue(
                acknowledged.size() >= 3 * PHASE,
                "most publishes were acknowledged: " + acknowledged.size() + ", errors " + producerErrors);
        await("every acknowledged message is consumed", () -> consumed.containsAll(acknowledged));
        assertEquals(b2.address(), ((RemoteGmqClient) c1).currentBroker(), "member 1 failed over to broker 2");

        assertEquals(List.of(), orderViolations(views), "per-partition order apart from redelivery");
        synchronized (views) {
            System.out.printf(
                    "MultiProcessIT: %d published, %d acknowledged, %d publish errors, %d deliveries,"
                            + " broker 1 killed at %d%n",
                    published.get(),
                    acknowledged.size(),
                    producerErrors.size(),
                    views.arrivals.size(),
                    publishedAtKill);
        }
        assertEquals(List.of(), ownershipViolations);
        assertTrue(b2.process.isAlive() && b3.process.isAlive() && storage.process.isAlive());
    }

    private static ClientConfig.Builder config(String addrs) {
        return ClientConfig.builder()
                .serverAddr(addrs)
                .requestTimeout(Duration.ofSeconds(20))
                .reconnectBackoffMax(Duration.ofMillis(500));
    }

    private static GmqClient consumer(String addrs, int member, Set<String> consumed, Seen seen) {
        return GmqClient.connect(config(addrs)
                .clientId("member-" + member)
                .consumerGroup("it-group")
                .sessionTimeout(Duration.ofSeconds(3))
                .pullInterval(Duration.ofMillis(20))
                .messageHandler(m -> {
                    seen.add(member, m);
                    consumed.add(m.payloadAsString());
                })
                .build());
    }

    private static void sampleOwnership(GmqClient admin, AtomicBoolean running, List<String> violations) {
        while (running.get()) {
            try {
                GroupDescription d = admin.describeGroup("it-group");
                Map<TopicPartition, String> owner = new HashMap<>();
                for (GroupDescription.Member m : d.members()) {
                    for (TopicPartition tp : m.assigned()) {
                        String prev = owner.put(tp, m.memberId());
                        if (prev != null) {
                            violations.add(tp + " owned by " + prev + " and " + m.memberId() + " in generation "
                                    + d.generation());
                        }
                    }
                }
            } catch (RuntimeException e) {
                // the group may not exist yet, or a broker is switching: sample again
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }
}
