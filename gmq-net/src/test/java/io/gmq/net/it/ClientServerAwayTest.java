package io.gmq.net.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.PublishResult;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.client.internal.RemoteGmqClient;
import io.gmq.net.server.GmqServer;
import io.gmq.wire.GrpcErrors;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a network client does while its broker is away, as documented in {@link ClientConfig}: a
 * standalone server on 127.0.0.1 port 0 behind a {@link TcpProxy} whose {@code cut()} makes the
 * broker unreachable (connections refused at once) without stopping it, and whose {@code resume()}
 * brings it back at the same address. An admin client talks to the server directly, to see what
 * was stored.
 */
final class ClientServerAwayTest {
    private static final Duration REQUEST_TIMEOUT = Duration.ofMillis(500);

    @TempDir
    Path dir;

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private GmqServer server;
    private TcpProxy proxy;
    private GmqClient admin;

    @BeforeEach
    void start() throws Exception {
        server = own(GmqServer.standalone(
                GmqConfig.builder().dataDir(dir).flushPolicy(FlushPolicy.OS).build(), "127.0.0.1", 0));
        proxy = own(TcpProxy.to(server.port()));
        admin = own(GmqClient.connect(
                ClientConfig.builder().serverAddr("127.0.0.1:" + server.port()).build()));
        admin.createTopic("away", 1);
    }

    @AfterEach
    void closeAll() {
        for (AutoCloseable c : toClose) {
            try {
                c.close();
            } catch (Exception ignored) {
                // keep closing the rest
            }
        }
    }

    private <T extends AutoCloseable> T own(T c) {
        toClose.add(0, c);
        return c;
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting until " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private long stored() {
        return admin.describeTopic("away").messageCount();
    }

    /** A client through the proxy that has published one message (so the topic's metadata is cached). */
    private RemoteGmqClient publisherThroughProxy() {
        RemoteGmqClient c = (RemoteGmqClient) own(GmqClient.connect(ClientConfig.builder()
                .serverAddr(proxy.address())
                .requestTimeout(REQUEST_TIMEOUT)
                .reconnectBackoffMax(Duration.ofMillis(100))
                .build()));
        assertEquals(0, c.publish("away", utf8("first")).offset());
        return c;
    }

    private static GmqException failureOf(CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
        return GrpcErrors.toGmq(e.getCause());
    }

    @Test
    void connectKeepsTryingUntilTheBrokerAnswers() throws Exception {
        proxy.cut();
        CompletableFuture<GmqClient> connecting =
                CompletableFuture.supplyAsync(() -> GmqClient.connect(ClientConfig.builder()
                        .serverAddr(proxy.address())
                        .connectTimeout(Duration.ofSeconds(30))
                        .build()));
        try {
            await("connect() was refused twice", () -> proxy.refusedConnections() >= 2);
            assertTrue(!connecting.isDone(), "connect() returned while no broker was reachable");
            proxy.resume();
            GmqClient client = own(connecting.get(30, TimeUnit.SECONDS));
            assertEquals(new PublishResult("away", 0, 0), client.publish("away", utf8("after-outage")));
        } finally {
            proxy.resume();
            connecting.thenAccept(GmqClient::close); // closes it if the test failed before owning it
        }
    }

    @Test
    void connectGivesUpAfterConnectTimeoutWithUnavailableNamingTheAddress() {
        proxy.cut();
        long started = System.nanoTime();
        GmqException e = assertThrows(
                GmqException.class,
                () -> GmqClient.connect(ClientConfig.builder()
                        .serverAddr(proxy.address())
                        .connectTimeout(Duration.ofMillis(400))
                        .build()));
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertEquals(ErrorCode.UNAVAILABLE, e.code());
        assertTrue(e.getMessage().startsWith("cannot reach GMQ broker at " + proxy.address()), e.getMessage());
        assertTrue(tookMillis >= 400, "gave up after " + tookMillis + " ms");
        assertTrue(proxy.refusedConnections() >= 2, "tried " + proxy.refusedConnections() + " times");
    }

    @Test
    void aPublishNeverSentBeforeItsDeadlineFailsUnavailableAndIsNeverStored() throws Exception {
        RemoteGmqClient client = publisherThroughProxy();
        proxy.cut();
        await("the client noticed the broker is gone", () -> client.currentBroker() == null);

        long started = System.nanoTime();
        GmqException sync = assertThrows(GmqException.class, () -> client.publish("away", utf8("lost-sync")));
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertEquals(ErrorCode.UNAVAILABLE, sync.code(), sync.getMessage());
        assertTrue(sync.getMessage().contains("not stored"), sync.getMessage());
        assertTrue(
                tookMillis >= REQUEST_TIMEOUT.toMillis() && tookMillis < 5_000, "failed after " + tookMillis + " ms");

        GmqException async = failureOf(client.publishAsync("away", utf8("lost-async")));
        assertEquals(ErrorCode.UNAVAILABLE, async.code(), async.getMessage());

        proxy.resume();
        await("the client is back", () -> client.currentBroker() != null);
        assertEquals(1, client.publish("away", utf8("after")).offset(), "the expired publishes were never sent");
        assertEquals(2, stored());
    }

    @Test
    void aPublishSentButNotAcknowledgedBeforeItsDeadlineFailsAsIndeterminate() throws Exception {
        RemoteGmqClient client = publisherThroughProxy();
        proxy.delay(REQUEST_TIMEOUT.toMillis() * 3); // the broker answers, but too late

        GmqException e = failureOf(client.publishAsync("away", utf8("late")));
        assertEquals(ErrorCode.DEADLINE_EXCEEDED, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains("indeterminate"), e.getMessage());

        // Indeterminate indeed: the broker got it and stores it.
        await("the late publish is stored", () -> stored() == 2);
        // A new session would send again whatever is still queued: the expired publish is not.
        proxy.delay(0);
        proxy.reset();
        await(
                "the client reconnected on a new connection",
                () -> proxy.forwardedConnections() >= 2 && client.currentBroker() != null);
        assertEquals(2, client.publish("away", utf8("next")).offset(), "the late publish was not sent a second time");
        assertEquals(3, stored());
    }
}
