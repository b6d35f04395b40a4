package io.gmq.net.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.AckMode;
import io.gmq.GmqConfig;
import io.gmq.PublishOption;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.net.security.NetLimits;
import io.gmq.net.security.ServerSecurity;
import io.gmq.net.server.GmqServer;
import io.gmq.net.testing.Scrape;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A standalone server whose registry a {@link MetricsEndpoint} on 127.0.0.1 port 0 serves,
 * scraped with {@link HttpClient} after real traffic over gRPC: the values are the ones the
 * traffic must have produced, under their Prometheus names.
 */
final class MetricsEndpointTest {
    @TempDir
    Path dir;

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<AutoCloseable> toClose = new ArrayList<>();

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

    private GmqServer server(MetricsEndpoint metrics, NetLimits limits) {
        return own(GmqServer.standalone(
                GmqConfig.builder()
                        .dataDir(dir)
                        .meterRegistry(metrics.registry())
                        .commitInterval(Duration.ofMillis(20))
                        .build(),
                "127.0.0.1",
                0,
                ServerSecurity.none().withLimits(limits)));
    }

    @Test
    void aScrapeAfterPublishingAndConsumingShowsWhatHappened() {
        MetricsEndpoint metrics = own(MetricsEndpoint.start("127.0.0.1", 0));
        GmqServer server = server(metrics, NetLimits.defaults());
        String addr = "127.0.0.1:" + server.port();
        Scrape before = scrape(metrics.port());
        assertEquals(0, before.value("gmq_sessions"));
        assertFalse(before.has("gmq_published_records_total", "topic", "orders"));

        GmqClient producer =
                own(GmqClient.connect(ClientConfig.builder().serverAddr(addr).build()));
        producer.createTopic("orders", 2);
        List<CompletableFuture<?>> sent = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            sent.add(producer.publishAsync(
                    "orders", ("order-" + i).getBytes(StandardCharsets.UTF_8), PublishOption.partition(i % 2)));
        }
        CompletableFuture.allOf(sent.toArray(new CompletableFuture<?>[0])).join();

        // The consumer acknowledges all of partition 1 and the first 20 of partition 0's 50 records.
        GmqClient consumer = own(GmqClient.connect(ClientConfig.builder()
                .serverAddr(addr)
                .consumerGroup("billing")
                .ackMode(AckMode.MANUAL)
                .pullInterval(Duration.ofMillis(20))
                .messageHandler(m -> {
                    if (m.partition() == 1 || m.offset() < 20) {
                        m.ack();
                    }
                })
                .build()));
        consumer.subscribe("orders");

        Scrape after = awaitScrape(
                metrics.port(),
                s -> s.value("gmq_consumer_lag_records", "group", "billing", "topic", "orders", "partition", "0") == 30
                        && s.value("gmq_consumer_lag_records", "group", "billing", "topic", "orders", "partition", "1")
                                == 0);
        assertEquals(100, after.value("gmq_published_records_total", "topic", "orders"));
        double bytes = after.value("gmq_published_bytes_total", "topic", "orders");
        assertTrue(bytes > 100 * "order-0".length(), "published bytes: " + bytes);
        assertEquals(100, after.value("gmq_deliveries_total", "group", "billing", "topic", "orders"));
        assertEquals(0, after.value("gmq_redeliveries_total", "group", "billing", "topic", "orders"));
        assertEquals(
                30,
                after.value("gmq_consumer_inflight_records", "group", "billing", "topic", "orders", "partition", "0"));
        assertEquals(
                0,
                after.value("gmq_consumer_inflight_records", "group", "billing", "topic", "orders", "partition", "1"));
        double publishes = after.value("gmq_publish_latency_seconds_count");
        assertTrue(publishes >= 1 && publishes <= 100, "publish batches: " + publishes);
        assertTrue(after.has("gmq_publish_latency_seconds_bucket", "le", "+Inf"));
        assertTrue(after.value("gmq_log_fsync_seconds_count") >= 1);
        assertEquals(
                after.value("gmq_published_bytes_total", "topic", "orders"),
                after.value("gmq_log_group_commit_bytes_sum"));
        assertTrue(after.value("gmq_log_open_files") >= 4, "two partitions: a .log and an .index each");
        assertEquals(2, after.value("gmq_sessions"), "the producer's and the consumer's");
        assertTrue(after.value("gmq_connections") >= 2);
        assertTrue(after.value("jvm_memory_used_bytes", "area", "heap") > 0);
        assertTrue(after.value("process_files_open_files") > 0);

        consumer.close();
        Scrape gone = awaitScrape(metrics.port(), s -> s.value("gmq_sessions") == 1);
        assertFalse(gone.has("gmq_deliveries_total", "group", "billing"), "the group left this broker");
        assertEquals(
                30, gone.value("gmq_consumer_lag_records", "group", "billing", "topic", "orders", "partition", "0"));
    }

    @Test
    void refusedConnectionsAreCounted() throws IOException {
        MetricsEndpoint metrics = own(MetricsEndpoint.start("127.0.0.1", 0));
        GmqServer server = server(metrics, NetLimits.defaults().withConnections(1, 1));
        InetSocketAddress grpc = new InetSocketAddress("127.0.0.1", server.port());
        try (SocketChannel admitted = SocketChannel.open(grpc)) {
            awaitScrape(metrics.port(), s -> s.value("gmq_connections") == 1);
            try (SocketChannel refused = SocketChannel.open(grpc)) {
                refused.socket().setSoTimeout(5000);
                assertEquals(-1, refused.read(ByteBuffer.allocate(16)), "closed at accept");
            }
            Scrape s = awaitScrape(metrics.port(), x -> x.value("gmq_connections_refused_total") == 1);
            assertEquals(1, s.value("gmq_connections"));
        }
    }

    @Test
    void aClosedServerLeavesOnlyTheProcessMeters() {
        MetricsEndpoint metrics = own(MetricsEndpoint.start("127.0.0.1", 0));
        GmqServer server = server(metrics, NetLimits.defaults());
        try (GmqClient client = GmqClient.connect(
                ClientConfig.builder().serverAddr("127.0.0.1:" + server.port()).build())) {
            client.publish("t", "x".getBytes(StandardCharsets.UTF_8));
        }
        assertTrue(scrape(metrics.port()).has("gmq_published_records_total", "topic", "t"));
        server.close();
        Scrape after = scrape(metrics.port());
        assertEquals(
                List.of(),
                after.names().stream().filter(n -> n.startsWith("gmq_")).toList());
        assertTrue(after.has("jvm_threads_live_threads"));
    }

    @Test
    void onlyGetAndHeadOfMetricsAreServed() throws Exception {
        MetricsEndpoint metrics = own(MetricsEndpoint.start("127.0.0.1", 0));
        URI base = URI.create("http://127.0.0.1:" + metrics.port());
        HttpResponse<String> ok = http.send(
                HttpRequest.newBuilder(base.resolve("/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ok.statusCode());
        assertEquals(
                "text/plain; version=0.0.4; charset=utf-8",
                ok.headers().firstValue("Content-Type").orElse(""));
        HttpResponse<String> head = http.send(
                HttpRequest.newBuilder(base.resolve("/metrics"))
                        .method("HEAD", HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, head.statusCode());
        assertEquals(
                404,
                http.send(HttpRequest.newBuilder(base.resolve("/")).build(), HttpResponse.BodyHandlers.ofString())
                        .statusCode());
        assertEquals(
                404,
                http.send(
                                HttpRequest.newBuilder(base.resolve("/metricsx"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .statusCode());
        assertEquals(
                405,
                http.send(
                                HttpRequest.newBuilder(base.resolve("/metrics"))
                                        .POST(HttpRequest.BodyPublishers.ofString("x"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .statusCode());
    }

    @Test
    void aPortInUseIsRefusedNamingTheAddress() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            UncheckedIOException e =
                    assertThrows(UncheckedIOException.class, () -> MetricsEndpoint.start("127.0.0.1", port));
            assertTrue(e.getMessage().startsWith("cannot serve metrics on 127.0.0.1:" + port + ": "), e.getMessage());
            assertTrue(e.getMessage().contains("--metrics-port"), e.getMessage());
        }
    }

    // ---- scraping ------------------------------------------------------------------------------

    private static Scrape scrape(int port) {
        return Scrape.of("http://127.0.0.1:" + port + MetricsEndpoint.PATH);
    }

    /** Scrapes until {@code done} holds, for at most 20 s; returns that scrape. */
    private static Scrape awaitScrape(int port, java.util.function.Predicate<Scrape> done) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        Scrape last = scrape(port);
        while (!done.test(last)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 20 s; last scrape:\n" + last);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            last = scrape(port);
        }
        return last;
    }
}
