package io.gmq.net.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ConsumeMessage;
import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.OffsetSpec;
import io.gmq.PublishOption;
import io.gmq.VerifyOnStartup;
import io.gmq.broker.GroupSubscription;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.net.server.GmqServer;
import io.gmq.net.testing.ConsoleCapture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * Configuration of the process commands: every engine setting as a flag and as a key of a
 * {@code --config} file, flags over the file over the defaults, a usage error (exit 2) naming the
 * key and the file for anything wrong, {@code --print-config}, and a setting that takes effect in
 * a running server.
 */
final class ConfigCliTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @TempDir
    Path dir;

    private int run(String... args) {
        console.reset();
        return GmqCli.run(args);
    }

    /** {@code --print-config} of {@code args}: key to value, the not-set and secret lines left out. */
    private Map<String, String> printed(String... args) {
        String[] withPrint = java.util.stream.Stream.concat(
                        java.util.Arrays.stream(args), java.util.stream.Stream.of("--print-config"))
                .toArray(String[]::new);
        assertEquals(0, run(withPrint), console.err());
        return console.out()
                .lines()
                .filter(l -> !l.startsWith("#"))
                .map(l -> l.split("=", 2))
                .collect(Collectors.toMap(kv -> kv[0], kv -> kv[1]));
    }

    private Path file(String... lines) throws IOException {
        return Files.write(Files.createTempFile(dir, "gmq", ".properties"), List.of(lines));
    }

    /** The process command of {@code args} parsed as gmq.jar parses it, with its config file. */
    private static <T extends ServeCommands.ProcessOptions> T parse(String... args) {
        CommandLine cl = new CommandLine(new GmqCli());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        ConfigOptions.install(cl);
        return cl.parseArgs(args).subcommand().commandSpec().commandLine().getCommand();
    }

    private void assertUsageError(String expected, String... args) {
        assertEquals(2, run(args), "stderr: " + console.err());
        String firstLine = console.err().lines().findFirst().orElse("");
        assertTrue(firstLine.contains(expected), "expected '" + expected + "' in: " + firstLine);
        assertEquals("", console.out());
    }

    @Test
    void withoutFlagsTheEngineRunsOnGmqConfigsDefaults() {
        GmqConfig parsed = parse("server").config();
        GmqConfig defaults = GmqConfig.builder().build();
        List<Function<GmqConfig, Object>> settings = List.of(
                GmqConfig::dataDir,
                GmqConfig::defaultPartitions,
                GmqConfig::autoCreateTopics,
                c -> c.flushPolicy().toString(),
                GmqConfig::segmentBytes,
                GmqConfig::segmentAge,
                GmqConfig::retentionAge,
                GmqConfig::retentionBytes,
                GmqConfig::indexIntervalBytes,
                GmqConfig::journalFileBytes,
                GmqConfig::appendQueueCapacity,
                GmqConfig::verifyOnStartup,
                GmqConfig::maxMessageBytes,
                GmqConfig::maxBatchBytes,
                GmqConfig::sessionTimeout,
                GmqConfig::ackTimeout,
                GmqConfig::maxInFlightPerPartition,
                GmqConfig::maxDeliveries,
                GmqConfig::deadLetterSuffix,
                GmqConfig::nackBackoff,
                GmqConfig::commitInterval,
                GmqConfig::retentionCheckInterval,
                GmqConfig::maxTopics,
                GmqConfig::maxPartitionsPerTopic,
                GmqConfig::maxOpenFiles);
        for (Function<GmqConfig, Object> s : settings) {
            assertEquals(
                    String.valueOf(s.apply(defaults)).replace("./", ""),
                    String.valueOf(s.apply(parsed)).replace("./", ""));
        }
    }

    @Test
    void theExistingFlagsKeepTheirNamesAndDefaults() {
        Map<String, String> server = printed("server");
        assertEquals("0.0.0.0", server.get("host"));
        assertEquals("50051", server.get("port"));
        assertEquals("./gmq-data", server.get("data-dir"));
        assertEquals("sync", server.get("flush"));
        assertEquals("3", server.get("partitions-default"));
        assertEquals("UNFLUSHED", server.get("verify-on-startup"));
        assertEquals("67108864", server.get("journal-file-bytes"));
        assertEquals("10000", server.get("max-topics"));
        assertEquals("1024", server.get("max-partitions-per-topic"));
        assertEquals("1048576", server.get("max-message-bytes"));
        assertEquals("16777216", server.get("max-batch-bytes"));
        assertEquals("1024", server.get("max-connections"));
        assertEquals("50052", printed("storage").get("port"));
        assertEquals("50051", printed("broker", "--storage", "st:50052").get("port"));
    }

    @Test
    void everyEngineSettingIsAFlag() {
        GmqConfig c = parse(
                        "server",
                        "--retention-age",
                        "2d",
                        "--retention-bytes",
                        "1GiB",
                        "--segment-bytes",
                        "16MiB",
                        "--segment-age",
                        "12h",
                        "--retention-check-interval",
                        "5s",
                        "--index-interval-bytes",
                        "8KiB",
                        "--append-queue-capacity",
                        "1024",
                        "--max-open-files",
                        "100",
                        "--ack-timeout",
                        "PT45S",
                        "--max-deliveries",
                        "5",
                        "--dead-letter-suffix",
                        ".dead",
                        "--nack-backoff",
                        "250ms",
                        "--session-timeout",
                        "20s",
                        "--commit-interval",
                        "50ms",
                        "--max-in-flight-per-partition",
                        "500",
                        "--auto-create-topics",
                        "false",
                        "--max-message-bytes",
                        "64KiB",
                        "--max-batch-bytes",
                        "1MiB",
                        "--flush",
                        "os",
                        "--verify-on-startup",
                        "all")
                .config();
        assertEquals(Duration.ofDays(2), c.retentionAge());
        assertEquals(1L << 30, c.retentionBytes());
        assertEquals(16L << 20, c.segmentBytes());
        assertEquals(Duration.ofHours(12), c.segmentAge());
        assertEquals(Duration.ofSeconds(5), c.retentionCheckInterval());
        assertEquals(8192, c.indexIntervalBytes());
        assertEquals(1024, c.appendQueueCapacity());
        assertEquals(100, c.maxOpenFiles());
        assertEquals(Duration.ofSeconds(45), c.ackTimeout());
        assertEquals(5, c.maxDeliveries());
        assertEquals(".dead", c.deadLetterSuffix());
        assertEquals(Duration.ofMillis(250), c.nackBackoff());
        assertEquals(Duration.ofSeconds(20), c.sessionTimeout());
        assertEquals(Duration.ofMillis(50), c.commitInterval());
        assertEquals(500, c.maxInFlightPerPartition());
        assertFalse(c.autoCreateTopics());
        assertEquals(64 * 1024, c.maxMessageBytes());
        assertEquals(1 << 20, c.maxBatchBytes());
        assertEquals(FlushPolicy.OS, c.flushPolicy());
        assertEquals(VerifyOnStartup.ALL, c.verifyOnStartup());
        assertNull(parse("storage", "--retention-age", "forever").config().retentionAge());
    }

    @Test
    void aBadValueOfEachKindIsAUsageErrorNamingTheFlag() {
        assertUsageError("'--ack-timeout'", "server", "--ack-timeout", "30");
        assertUsageError("'--segment-bytes'", "server", "--segment-bytes", "64MB");
        assertUsageError("'--verify-on-startup'", "server", "--verify-on-startup", "sometimes");
        assertUsageError("'--auto-create-topics'", "server", "--auto-create-topics", "maybe");
        assertUsageError("'--flush'", "storage", "--flush", "often");
        assertUsageError("'--max-deliveries'", "broker", "--storage", "st:1", "--max-deliveries", "two");
    }

    @Test
    void aValueTheEngineRefusesIsAUsageErrorNamingTheFlag() {
        assertUsageError("'--segment-bytes'", "server", "--segment-bytes", "100");
        assertTrue(console.err().contains("at least 1024"), console.err());
        assertUsageError("'--max-batch-bytes'", "server", "--max-message-bytes", "2MiB", "--max-batch-bytes", "1MiB");
        assertUsageError("'--partitions-default'", "storage", "--partitions-default", "0");
        assertUsageError("'--ack-timeout'", "broker", "--storage", "st:1", "--ack-timeout", "0s");
    }

    @Test
    void theFileSetsWhatNoFlagSetsAndFlagsWin() throws IOException {
        Path f = file(
                "# a comment",
                "ack-timeout = 5s",
                "max-deliveries=4",
                "retention-bytes=64MiB",
                "auto-create-topics=false",
                "host=127.0.0.1");
        ServeCommands.Server s = parse("server", "--config", f.toString(), "--max-deliveries", "2");
        GmqConfig c = s.config();
        assertEquals(Duration.ofSeconds(5), c.ackTimeout());
        assertEquals(2, c.maxDeliveries());
        assertEquals(64L << 20, c.retentionBytes());
        assertFalse(c.autoCreateTopics());
        assertEquals("127.0.0.1", s.host);

        EffectiveConfig effective = EffectiveConfig.of(s.configuration, c);
        assertEquals(EffectiveConfig.Source.FILE, effective.source("ack-timeout"));
        assertEquals(EffectiveConfig.Source.FLAG, effective.source("max-deliveries"));
        assertEquals(EffectiveConfig.Source.DEFAULT, effective.source("session-timeout"));
        assertEquals("5s", effective.value("ack-timeout"));
        assertEquals("2", effective.value("max-deliveries"));
    }

    @Test
    void anUnknownKeyInTheFileIsAUsageErrorNamingTheKeyAndTheFile() throws IOException {
        Path f = file("ack-timeout=5s", "retention-agee=3d");
        assertUsageError("unknown key 'retention-agee' in config file " + f, "server", "--config", f.toString());
        assertUsageError(
                "unknown key 'config'",
                "server",
                "--config",
                file("config=other").toString());
    }

    @Test
    void aKeyOfAnotherProcessIsAUsageErrorSayingWhoseItIs() throws IOException {
        Path f = file("ack-timeout=5s");
        assertUsageError(
                "key 'ack-timeout' in config file " + f + " is not a setting of `storage` (only of broker, server)",
                "storage",
                "--config",
                f.toString());
        Path g = file("flush=os");
        assertUsageError(
                "not a setting of `broker` (only of server, storage)",
                "broker",
                "--storage",
                "st:1",
                "--config",
                g.toString());
    }

    @Test
    void aBadValueInTheFileIsAUsageErrorNamingTheKeyAndTheFile() throws IOException {
        Path f = file("ack-timeout=soon");
        assertUsageError("'--ack-timeout'", "server", "--config", f.toString());
        assertTrue(console.err().contains("(from config file " + f + ")"), console.err());

        Path g = file("segment-bytes=100");
        assertUsageError("'--segment-bytes' (from config file " + g + ")", "server", "--config", g.toString());

        // The same bad value given as a flag is the flag's error, not the file's.
        assertUsageError("'--segment-bytes'", "server", "--config", file().toString(), "--segment-bytes", "100");
        assertFalse(console.err().contains("from config file"), console.err());
    }

    @Test
    void aKeyTwiceAMissingFileAndASecretInTheFileAreUsageErrors() throws IOException {
        assertUsageError(
                "key 'max-deliveries' appears twice",
                "server",
                "--config",
                file("max-deliveries=1", "max-deliveries=2").toString());
        assertUsageError(
                "cannot read config file",
                "server",
                "--config",
                dir.resolve("absent").toString());
        Path secret = file("storage-token=s3cret");
        assertUsageError(
                "key 'storage-token' in config file " + secret + " is a secret",
                "broker",
                "--storage",
                "st:1",
                "--config",
                secret.toString());
        assertTrue(console.err().contains("GMQ_STORAGE_TOKEN"), console.err());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "--flush=sync",
                "--journal-file-bytes=0",
                "--partitions-default=6",
                "--verify-on-startup=all",
                "--max-open-files=100",
                "--max-topics=10",
                "--max-partitions-per-topic=8",
                "--retention-age=1d",
                "--segment-bytes=1MiB",
                "--data-dir=x"
            })
    void aBrokerRefusesTheStorageSettings(String flagAndValue) {
        String[] flag = flagAndValue.split("=");
        assertUsageError(
                "Unknown option: '" + flag[0] + "': `broker` does not use it, it is a setting of server, storage",
                "broker",
                "--storage",
                "st:1",
                flag[0],
                flag[1]);
        assertUsageError("Unknown option: '" + flag[0] + "'", "broker", "--storage", "st:1", flagAndValue);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "--ack-timeout=5s",
                "--max-deliveries=3",
                "--session-timeout=5s",
                "--auto-create-topics=false",
                "--commit-interval=1s"
            })
    void aStorageProcessRefusesTheBrokerSettings(String flagAndValue) {
        String flag = flagAndValue.substring(0, flagAndValue.indexOf('='));
        assertUsageError(
                "Unknown option: '" + flag + "': `storage` does not use it, it is a setting of broker, server",
                "storage",
                flagAndValue);
    }

    @Test
    void printConfigShowsEveryEffectiveValueWithItsSourceAndRedactsTheSecret() throws IOException {
        Path f = file("ack-timeout=5s");
        assertEquals(
                0,
                run(
                        "broker",
                        "--storage",
                        "st:1",
                        "--config",
                        f.toString(),
                        "--storage-token",
                        "s3cret",
                        "--max-deliveries",
                        "3",
                        "--print-config"));
        String out = console.out();
        assertFalse(out.contains("s3cret"), out);
        List<String> lines = out.lines().toList();
        assertTrue(lines.contains("# storage-token=<redacted>"), out);
        assertTrue(lines.indexOf("# from flags") < lines.indexOf("max-deliveries=3"), out);
        assertTrue(lines.indexOf("# from config file " + f) < lines.indexOf("ack-timeout=5s"), out);
        assertTrue(lines.indexOf("# from defaults") < lines.indexOf("session-timeout=10s"), out);
        assertTrue(lines.indexOf("# not set") < lines.indexOf("# tls-cert="), out);
        assertFalse(out.contains("flush="), out);
        assertFalse(out.contains("listening on"), out);
    }

    @Test
    void thePrintedConfigurationLoadsBackAsTheSameConfiguration() throws IOException {
        Map<String, String> first = printed(
                "server",
                "--port",
                "0",
                "--retention-age",
                "forever",
                "--segment-bytes",
                "64MiB",
                "--ack-timeout",
                "PT1M",
                "--tls-client-principal",
                "cn");
        Path saved = Files.writeString(dir.resolve("saved.properties"), console.out());
        Map<String, String> again = printed("server", "--config", saved.toString());
        assertEquals(first, again);
        assertEquals("forever", again.get("retention-age"));
        assertEquals("1m", again.get("ack-timeout"));
        assertEquals("67108864", again.get("segment-bytes"));
    }

    @Test
    void theStartLogLineHasEveryValueAndNoSecret() {
        ServeCommands.Broker b =
                parse("broker", "--storage", "st:1", "--storage-token", "s3cret", "--ack-timeout", "5s");
        String line = EffectiveConfig.of(b.configuration, b.config()).logLine(null);
        assertTrue(line.startsWith("gmq broker configuration: [from flags] "), line);
        assertTrue(line.contains("ack-timeout=5s"), line);
        assertTrue(line.contains("storage-token=<redacted>"), line);
        assertTrue(line.contains("max-deliveries=0"), line);
        assertFalse(line.contains("s3cret"), line);
    }

    @Test
    void maxDeliveriesFromTheFileTurnsOnDeadLetteringInARunningServer() throws Exception {
        Path f = file("max-deliveries=2", "flush=os", "commit-interval=20ms", "data-dir=" + dir.resolve("data"));
        ServeCommands.Server s = parse("server", "--config", f.toString(), "--host", "127.0.0.1", "--port", "0");
        BlockingQueue<ConsumeMessage> dead = new LinkedBlockingQueue<>();
        BlockingQueue<Integer> attempts = new LinkedBlockingQueue<>();
        try (GmqServer server = s.start(s.config());
                GmqClient admin = GmqClient.connect(client(server).build())) {
            admin.createTopic("orders", 1);
            admin.publish("orders", "poison".getBytes(), PublishOption.partition(0));
            try (GmqClient picky = GmqClient.connect(client(server)
                            .consumerGroup("picky")
                            .startFrom(OffsetSpec.earliest())
                            .messageHandler(m -> {
                                attempts.add(m.deliveryCount());
                                throw new IllegalStateException("cannot handle " + m.payloadAsString());
                            })
                            .build());
                    GmqClient dlqReader = GmqClient.connect(client(server)
                            .consumerGroup("dlq-readers")
                            .startFrom(OffsetSpec.earliest())
                            .messageHandler(dead::add)
                            .build())) {
                picky.subscribe("orders");
                dlqReader.subscribe("orders.dlq");
                ConsumeMessage m = dead.poll(30, TimeUnit.SECONDS);
                assertNotNull(m, "nothing reached orders.dlq; deliveries seen: " + attempts);
                assertEquals("poison", m.payloadAsString());
                assertEquals(
                        "orders", m.header(GroupSubscription.DLQ_SOURCE_TOPIC).valueAsString());
                assertEquals("2", m.header(GroupSubscription.DLQ_DELIVERY_COUNT).valueAsString());
                assertEquals(List.of(1, 2), List.copyOf(attempts));
            }
        }
    }

    @Test
    void maxMessageBytesFromAFlagRefusesALargerMessageInARunningServer() throws IOException {
        ServeCommands.Server s = parse(
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--flush",
                "os",
                "--max-message-bytes",
                "1KiB",
                "--data-dir",
                dir.resolve("data").toString());
        try (GmqServer server = s.start(s.config());
                GmqClient client = GmqClient.connect(client(server).build())) {
            client.publish("small", new byte[512]);
            GmqException e = assertThrows(GmqException.class, () -> client.publish("small", new byte[2048]));
            assertTrue(e.getMessage().contains("1024"), e.getMessage());
        }
    }

    @Test
    void thePartitionLimitIsTheStoragesEvenThroughABroker() {
        ServeCommands.StorageProcess st = parse(
                "storage",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--flush",
                "os",
                "--max-partitions-per-topic",
                "1030",
                "--data-dir",
                dir.resolve("data").toString());
        try (GmqServer storage = st.start(st.config())) {
            ServeCommands.Broker b =
                    parse("broker", "--host", "127.0.0.1", "--port", "0", "--storage", "127.0.0.1:" + storage.port());
            try (GmqServer broker = b.start(b.config());
                    GmqClient client = GmqClient.connect(client(broker).build())) {
                // Over GmqConfig's default of 1024, which the broker has: the storage's limit counts.
                assertEquals(1030, client.createTopic("wide", 1030).partitions());
                GmqException e = assertThrows(GmqException.class, () -> client.createTopic("wider", 1031));
                assertTrue(e.getMessage().contains("1..1030 (maxPartitionsPerTopic)"), e.getMessage());
            }
        }
    }

    private static ClientConfig.Builder client(GmqServer server) {
        return ClientConfig.builder().serverAddr("127.0.0.1:" + server.port()).requestTimeout(Duration.ofSeconds(20));
    }
}
