package io.gmq.net.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.PublishOption;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.net.server.GmqServer;
import io.gmq.security.ByteRateQuotas;
import io.gmq.security.StaticTokenAuthenticator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-principal byte rates over gRPC: a principal over its publish or fetch rate is slowed down to
 * it (Kafka's throttling: its acknowledgements and deliveries wait), everything still arrives, and
 * a principal without a limit is not held back. The slow side is checked with a lower bound on its
 * time only: a throttle can make a call slower than the rate allows, never faster.
 */
final class QuotaTest {
    @TempDir
    Path dir;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private <T extends AutoCloseable> T own(T c) {
        toClose.add(0, c);
        return c;
    }

    @Test
    void aPrincipalOverItsRatesIsSlowedToThemAndLosesNothing() throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens"), "slow-token slow\nfast-token fast\n");
        Path quotas = Files.writeString(
                dir.resolve("quotas"), "slow publish-bytes-per-second=20KiB fetch-bytes-per-second=20KiB\n");
        ServerSecurity security = new ServerSecurity(
                        null, StaticTokenAuthenticator.fromFile(tokens), null, NetLimits.defaults())
                .withQuotas(ByteRateQuotas.load(quotas));
        GmqServer server = own(GmqServer.standalone(
                GmqConfig.builder()
                        .dataDir(dir.resolve("data"))
                        .flushPolicy(FlushPolicy.OS)
                        .build(),
                "127.0.0.1",
                0,
                security));
        String address = "127.0.0.1:" + server.port();
        GmqClient slow = own(client(address, "slow-token", null, null));
        GmqClient fast = own(client(address, "fast-token", null, null));
        slow.createTopic("slow-t", 1);
        fast.createTopic("fast-t", 1);

        byte[] payload = new byte[4_000];
        // 80 KB at 20 KiB/s, of which the first second's worth is free: at least 3 s.
        long started = System.nanoTime();
        publish(slow, "slow-t", payload, 20);
        long slowMillis = (System.nanoTime() - started) / 1_000_000;
        assertTrue(slowMillis >= 2_500, "80 KB published over a 20 KiB/s quota in " + slowMillis + " ms");
        publish(fast, "fast-t", payload, 20);
        assertEquals(20, fast.describeTopic("fast-t").messageCount());
        assertEquals(20, fast.describeTopic("slow-t").messageCount());

        // Reading the same 80 KB back as the slow principal: they may come in one delivery (a quota
        // is an average, as Kafka's), but that puts the principal about 3 s in debt, so the next
        // message waits for it.
        java.util.concurrent.atomic.AtomicInteger received = new java.util.concurrent.atomic.AtomicInteger();
        GmqClient reader = own(client(address, "slow-token", "slow-readers", m -> received.incrementAndGet()));
        reader.subscribe("slow-t");
        await("the first 20 delivered", () -> received.get() == 20);
        long burstDone = System.nanoTime();
        fast.publish("slow-t", payload, PublishOption.partition(0));
        await("the 21st delivered", () -> received.get() == 21);
        long nextMillis = (System.nanoTime() - burstDone) / 1_000_000;
        assertTrue(
                nextMillis >= 2_000, "a delivery after 80 KB over a 20 KiB/s quota came " + nextMillis + " ms later");

        // The fast principal is not held back: its own group reads everything.
        java.util.concurrent.atomic.AtomicInteger fastReceived = new java.util.concurrent.atomic.AtomicInteger();
        own(client(address, "fast-token", "fast-readers", m -> fastReceived.incrementAndGet()))
                .subscribe("slow-t");
        await("the fast reader to get all 21", () -> fastReceived.get() == 21);
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10); // polling interval of the condition, not a synchronisation
        }
    }

    private static void publish(GmqClient c, String topic, byte[] payload, int n) {
        List<CompletableFuture<?>> acks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            acks.add(c.publishAsync(topic, payload, PublishOption.partition(0)));
        }
        CompletableFuture.allOf(acks.toArray(new CompletableFuture<?>[0])).join();
    }

    private static GmqClient client(String address, String token, String group, io.gmq.MessageHandler handler) {
        ClientConfig.Builder b =
                ClientConfig.builder().serverAddr(address).token(token).requestTimeout(Duration.ofSeconds(30));
        if (group != null) {
            b.consumerGroup(group).pullInterval(Duration.ofMillis(20)).messageHandler(handler);
        }
        return GmqClient.connect(b.build());
    }
}
