package io.gmq.examples;

import io.gmq.PublishOption;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Three consumers in one group share a three-partition topic: each ends up owning one partition.
 * Publishes 300 keyed messages, waits until all are consumed, and prints who got what.
 *
 * <p>Run: {@code java -cp gmq-net/target/gmq.jar:src-examples/target/classes io.gmq.examples.ConsumerGroupExample [host:port]}
 */
public final class ConsumerGroupExample {
    private static final String TOPIC = "group-demo";
    private static final int MESSAGES = 300;

    private ConsumerGroupExample() {}

    public static void main(String[] args) throws InterruptedException {
        String server = args.length > 0 ? args[0] : "localhost:50051";
        AtomicInteger total = new AtomicInteger();
        List<GmqClient> consumers = new ArrayList<>();
        try (GmqClient admin =
                GmqClient.connect(ClientConfig.builder().serverAddr(server).build())) {
            try {
                admin.createTopic(TOPIC, 3);
            } catch (io.gmq.GmqException e) {
                System.out.println("topic exists: " + e.getMessage());
            }
            for (int i = 1; i <= 3; i++) {
                String name = "worker-" + i;
                AtomicInteger mine = new AtomicInteger();
                GmqClient c = GmqClient.connect(ClientConfig.builder()
                        .serverAddr(server)
                        .clientId(name)
                        .consumerGroup("demo-workers")
                        .pullInterval(Duration.ofMillis(50))
                        .messageHandler(m -> {
                            int n = mine.incrementAndGet();
                            total.incrementAndGet();
                            if (n % 25 == 0) {
                                System.out.println(
                                        name + " has " + n + " messages, latest from partition " + m.partition());
                            }
                        })
                        .build());
                c.subscribe(TOPIC);
                consumers.add(c);
            }
            // Members join one by one; the group hands partitions over cooperatively within a few
            // heartbeats. Wait until each member owns one partition, then publish.
            long balanceDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < balanceDeadline && !balanced(admin)) {
                TimeUnit.MILLISECONDS.sleep(100);
            }
            System.out.println("assignment: " + assignment(admin));
            for (int i = 0; i < MESSAGES; i++) {
                admin.publishAsync(
                        TOPIC,
                        ("job-" + i).getBytes(StandardCharsets.UTF_8),
                        PublishOption.partitionKey("customer-" + (i % 30)));
            }
            admin.flush();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (total.get() < MESSAGES && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(100);
            }
            System.out.println("consumed " + total.get() + " of " + MESSAGES);
            System.out.println("assignment: " + assignment(admin));
        } finally {
            consumers.forEach(GmqClient::close);
        }
    }

    private static boolean balanced(GmqClient admin) {
        var members = admin.describeGroup("demo-workers").members();
        return members.size() == 3
                && members.stream().allMatch(m -> m.assigned().size() == 1);
    }

    private static String assignment(GmqClient admin) {
        StringBuilder sb = new StringBuilder();
        admin.describeGroup("demo-workers")
                .members()
                .forEach(m -> sb.append(m.clientId())
                        .append(" owns ")
                        .append(m.assigned())
                        .append("; "));
        return sb.toString();
    }
}
