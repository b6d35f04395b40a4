package io.gmq.demo;

import io.gmq.ConsumerConfig;
import io.gmq.Gmq;
import io.gmq.GmqConfig;
import io.gmq.PublishOption;
import io.gmq.PublishResult;
import io.gmq.QoS;
import io.gmq.TopicDescription;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A minute with the embedded engine: publish with QoS 1 and a partition key, consume with a
 * group, print what happened. {@code java -cp gmq-core.jar:... io.gmq.demo.EmbeddedDemo [dataDir]}.
 */
public final class EmbeddedDemo {
    private EmbeddedDemo() {}

    public static void main(String[] args) throws InterruptedException {
        Path dir = Paths.get(args.length > 0 ? args[0] : "gmq-data");
        int count = 10;
        try (Gmq gmq = Gmq.open(GmqConfig.builder().dataDir(dir).build())) {
            System.out.println("opened embedded GMQ on " + dir.toAbsolutePath());
            CountDownLatch received = new CountDownLatch(count);
            gmq.subscribe(
                    ConsumerConfig.builder()
                            .clientId("demo-consumer")
                            .consumerGroup("demo-group")
                            .messageHandler(m -> {
                                System.out.printf(
                                        "consumed  %s partition %d offset %d: %s%n",
                                        m.topic(), m.partition(), m.offset(), m.payloadAsString());
                                received.countDown();
                            })
                            .build(),
                    "demo-orders");
            for (int i = 1; i <= count; i++) {
                String payload = "Order#" + (1000 + i);
                PublishResult r = gmq.publish(
                        "demo-orders",
                        payload.getBytes(StandardCharsets.UTF_8),
                        PublishOption.qos(QoS.AT_LEAST_ONCE),
                        PublishOption.partitionKey("user-" + (i % 3)));
                System.out.printf(
                        "published %s partition %d offset %d: %s%n", r.topic(), r.partition(), r.offset(), payload);
            }
            boolean all = received.await(30, TimeUnit.SECONDS);
            TopicDescription t = gmq.admin().describeTopic("demo-orders");
            System.out.printf(
                    "%s: %d partitions, %d messages stored, %s%n",
                    t.name(),
                    t.partitionCount(),
                    t.messageCount(),
                    all ? "all " + count + " new messages consumed" : "NOT all messages consumed");
            if (!all) {
                System.exit(1);
            }
        }
    }
}
