package io.gmq.net.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.PublishOption;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.net.testing.Scrape;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --metrics-port 0} on gmq.jar processes: each prints {@code metrics on
 * http://HOST:PORT/metrics} after its other lines ({@code listening on} stays first) and serves
 * its own meters there, engine, listener and JVM.
 */
final class MetricsIT {
    private static final Pattern METRICS = Pattern.compile("metrics on (http://127\\.0\\.0\\.1:\\d+/metrics)");

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

    @Test
    void aServerPrintsItsMetricsAddressAfterItsListeningLineAndServesItsMeters() throws IOException {
        GmqProcess server = own(GmqProcess.start(
                "server",
                dir,
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--data-dir",
                dir.resolve("data").toString(),
                "--metrics-port",
                "0"));
        List<String> lines = awaitLines(server, 2);
        assertEquals("listening on 127.0.0.1:" + server.port, lines.get(0));
        String url = metricsUrl(lines.get(1));

        try (GmqClient client = GmqClient.connect(
                ClientConfig.builder().serverAddr(server.address()).build())) {
            for (int i = 0; i < 10; i++) {
                client.publish("it-metrics", ("m" + i).getBytes(StandardCharsets.UTF_8), PublishOption.partition(0));
            }
            Scrape s = Scrape.of(url);
            assertEquals(10, s.value("gmq_published_records_total", "topic", "it-metrics"));
            assertEquals(10, s.value("gmq_publish_latency_seconds_count"), "one batch per synchronous publish");
            assertEquals(1, s.value("gmq_sessions"));
            assertTrue(s.value("jvm_memory_used_bytes") > 0);
            assertTrue(s.value("process_files_open_files") > 0);
            assertTrue(s.value("process_uptime_seconds") > 0);
        }
    }

    @Test
    void aStorageNodePrintsItAfterItsRaftLineAndCountsLeaderChangesAndABrokerServesItsOwn() throws IOException {
        GmqProcess node = own(GmqProcess.start(
                "storage",
                dir,
                "storage",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--data-dir",
                dir.resolve("node").toString(),
                "--node-id",
                "1",
                "--raft-port",
                "0",
                "--metrics-port",
                "0"));
        List<String> nodeLines = awaitLines(node, 3);
        assertEquals("listening on 127.0.0.1:" + node.port, nodeLines.get(0));
        assertTrue(nodeLines.get(1).startsWith("raft on 127.0.0.1:"), nodeLines.get(1));
        String nodeUrl = metricsUrl(nodeLines.get(2));

        GmqProcess broker = own(GmqProcess.start(
                "broker",
                dir,
                "broker",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--storage",
                node.address(),
                "--metrics-port",
                "0"));
        List<String> brokerLines = awaitLines(broker, 2);
        assertEquals("listening on 127.0.0.1:" + broker.port, brokerLines.get(0));
        String brokerUrl = metricsUrl(brokerLines.get(1));

        try (GmqClient client = GmqClient.connect(
                ClientConfig.builder().serverAddr(broker.address()).build())) {
            client.publish("it-metrics", "m".getBytes(StandardCharsets.UTF_8));
            Scrape b = Scrape.of(brokerUrl);
            assertEquals(1, b.value("gmq_publish_latency_seconds_count"));
            assertEquals(1, b.value("gmq_sessions"));
            assertTrue(b.value("jvm_threads_live_threads") > 0);
        }
        // One node: every storage group (metadata and data groups) elected it once at least.
        Scrape n = awaitScrape(nodeUrl, s -> s.value("gmq_storage_leader_changes_total") >= 4);
        assertEquals(
                4,
                n.samples().stream()
                        .filter(x -> x.name().equals("gmq_storage_leader_changes_total"))
                        .count(),
                n.toString());
        assertTrue(n.value("gmq_connections") >= 1, "the broker's connection");
    }

    private static String metricsUrl(String line) {
        Matcher m = METRICS.matcher(line);
        assertTrue(m.matches(), line);
        return m.group(1);
    }

    /** The first {@code n} lines of the process's standard output, waiting up to 60 s for them. */
    private static List<String> awaitLines(GmqProcess p, int n) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            List<String> lines = Files.readAllLines(p.stdout, StandardCharsets.UTF_8);
            if (lines.size() >= n) {
                return lines.subList(0, n);
            }
            if (System.nanoTime() > deadline || !p.process.isAlive()) {
                throw new AssertionError(p.name + " printed " + lines + " (expected " + n + " lines); stderr: "
                        + Files.readString(p.stderr, StandardCharsets.UTF_8));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    private static Scrape awaitScrape(String url, Predicate<Scrape> done) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Scrape last = Scrape.of(url);
        while (!done.test(last)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 30 s; last scrape:\n" + last);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            last = Scrape.of(url);
        }
        return last;
    }
}
