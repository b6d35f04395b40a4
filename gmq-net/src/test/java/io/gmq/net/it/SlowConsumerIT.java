package io.gmq.net.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.PublishOption;
import io.gmq.PublishResult;
import io.gmq.TopicPartition;
import io.gmq.client.GmqClient;
import io.gmq.testkit.QueueChecker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A slow consumer next to a fast one, on a server process with a 64 MiB heap that exits on
 * OutOfMemoryError. Producers push more payload bytes than the heap holds; one group handles a
 * message per ~50 ms (simulated work), another group consumes as fast as it can.
 *
 * <p>Pass: the server survives (flow control keeps what it holds for the slow group bounded instead
 * of buffering the backlog), the fast group consumes every acknowledged message within a bounded
 * time while the slow one is still far behind, and the checker accepts the fast group's history.
 */
final class SlowConsumerIT extends ClusterTest {
    private static final String TOPIC = "slow";
    private static final int MESSAGES = Integer.getInteger("gmq.faults.slowMessages", 24_000);
    private static final int PAYLOAD_BYTES = 4096;

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void slowGroupNeitherExhaustsTheServerHeapNorSlowsAnotherGroup() throws Exception {
        Launch server = cluster.own(Launch.start(
                "server",
                cluster.logs,
                List.of("-Xmx64m", "-XX:+ExitOnOutOfMemoryError"),
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--data-dir",
                dir.resolve("data").toString(),
                "--flush",
                "os"));
        assertTrue(server.process() != null, "server started: " + server.output());
        GmqClient admin = cluster.client(Cluster.config(server.address(), Duration.ofSeconds(20)));
        admin.createTopic(TOPIC, 3);

        AtomicInteger slowHandled = new AtomicInteger();
        GmqClient slow = cluster.client(Cluster.config(server.address(), Duration.ofSeconds(20))
                .consumerGroup("slow-group")
                .clientId("slow")
                .pullInterval(Duration.ofMillis(20))
                .messageHandler(m -> {
                    // Simulated work of a slow application, not synchronisation.
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                    slowHandled.incrementAndGet();
                }));
        slow.subscribe(TOPIC);

        Recorder fast = new Recorder().withPayloadId(p -> p.substring(0, p.indexOf('x')));
        GmqClient fastMember = cluster.member(server.address(), "fast-group", "fast", fast);
        fastMember.subscribe(TOPIC);

        GmqClient producer = cluster.client(Cluster.config(server.address(), Duration.ofSeconds(60)));
        byte[] filler = new byte[PAYLOAD_BYTES];
        Arrays.fill(filler, (byte) 'x');
        List<CompletableFuture<PublishResult>> acks = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < MESSAGES; i++) {
            String id = "m-" + i;
            byte[] payload = Arrays.copyOf(filler, PAYLOAD_BYTES);
            System.arraycopy(id.getBytes(StandardCharsets.UTF_8), 0, payload, 0, id.length());
            ids.add(id);
            fast.record(h -> h.attempt("producer", id));
            acks.add(producer.publishAsync(TOPIC, payload, PublishOption.partitionKey("k" + i % 9)));
            if (acks.size() % 1000 == 0) {
                producer.flush();
                acks.get(acks.size() - 1).join(); // keep the producer's own memory in check
            }
        }
        producer.flush();
        for (int i = 0; i < MESSAGES; i++) {
            PublishResult r = acks.get(i).join();
            String id = ids.get(i);
            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            fast.record(h -> h.acked("producer", id, tp, r.offset()));
            fast.acknowledged.add(id);
        }

        fast.awaitAllAcknowledgedConsumed(90);
        int slowAtFastEnd = slowHandled.get();
        System.out.printf(
                "SlowConsumerIT: %d x %d B published; fast group done, slow group handled %d%n",
                MESSAGES, PAYLOAD_BYTES, slowAtFastEnd);
        assertTrue(slowAtFastEnd < MESSAGES / 2, "the slow group is really slow: " + slowAtFastEnd);
        assertTrue(server.process().isAlive(), "the 64 MiB server survived: " + server.output());
        assertFalse(server.output().contains("OutOfMemoryError"), server.output());
        QueueChecker.check(fast.history()).assertValid();
    }
}
