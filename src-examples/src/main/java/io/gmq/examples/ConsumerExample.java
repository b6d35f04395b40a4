package io.gmq.examples;

import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Consumes "orders" as the only member of group "order-processors" and prints each message;
 * returning from the handler acknowledges it. Stops on Ctrl-C (leaving the group cleanly).
 *
 * <p>Run: {@code java -cp gmq-net/target/gmq.jar:src-examples/target/classes io.gmq.examples.ConsumerExample [host:port]}
 */
public final class ConsumerExample {
    private ConsumerExample() {}

    public static void main(String[] args) throws InterruptedException {
        String server = args.length > 0 ? args[0] : "localhost:50051";
        GmqClient consumer = GmqClient.connect(ClientConfig.builder()
                .serverAddr(server)
                .clientId("order-consumer")
                .consumerGroup("order-processors")
                .pullInterval(Duration.ofMillis(100))
                .messageHandler(msg -> System.out.printf(
                        "order received: %s (partition %d, offset %d)%n",
                        msg.payloadAsString(), msg.partition(), msg.offset()))
                .build());
        consumer.subscribe("orders");
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            consumer.close();
                            stop.countDown();
                        },
                        "consumer-example-shutdown"));
        System.out.println("consuming 'orders' from " + server + "; Ctrl-C to stop");
        stop.await();
    }
}
