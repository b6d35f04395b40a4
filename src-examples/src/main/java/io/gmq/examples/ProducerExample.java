package io.gmq.examples;

import io.gmq.PublishOption;
import io.gmq.PublishResult;
import io.gmq.QoS;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Publishes ten orders: one at a time with QoS 1 and a partition key (the same user always lands
 * on the same partition, in order), then a hundred asynchronously, batched by the client.
 *
 * <p>Run: {@code java -cp gmq-net/target/gmq.jar:src-examples/target/classes io.gmq.examples.ProducerExample [host:port]}
 */
public final class ProducerExample {
    private ProducerExample() {}

    public static void main(String[] args) {
        String server = args.length > 0 ? args[0] : "localhost:50051";
        try (GmqClient client = GmqClient.connect(ClientConfig.builder()
                .serverAddr(server)
                .clientId("order-producer")
                .build())) {
            for (int i = 1; i <= 10; i++) {
                PublishResult r = client.publish(
                        "orders",
                        ("Order#" + (1000 + i)).getBytes(StandardCharsets.UTF_8),
                        PublishOption.qos(QoS.AT_LEAST_ONCE),
                        PublishOption.partitionKey("user_id_" + (i % 3)));
                System.out.println("Order#" + (1000 + i) + " -> partition " + r.partition() + " offset " + r.offset());
            }
            List<CompletableFuture<PublishResult>> pending = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                pending.add(client.publishAsync("orders", ("bulk-" + i).getBytes(StandardCharsets.UTF_8)));
            }
            client.flush();
            CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0]))
                    .join();
            System.out.println("100 more orders acknowledged");
        }
    }
}
