package io.gmq.net.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.GroupDescription;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.net.perf.PerfTarget;
import io.gmq.net.server.GmqServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gmq.jar perf}: each subcommand counts its N records and ends with the summary line (no timing asserted). */
final class PerfCommandTest {
    private static final String NUMBER = "(\\d+(?:\\.\\d+)?)";
    /** The summary line contract: N records, X records/s, Y MB/s, avg A ms, p50 B ms, p99 C ms, p99.9 D ms, max E ms. */
    private static final Pattern SUMMARY = Pattern.compile("(\\d+) records, " + NUMBER + " records/s, " + NUMBER
            + " MB/s, avg " + NUMBER + " ms, p50 " + NUMBER + " ms, p99 " + NUMBER + " ms, p99.9 " + NUMBER
            + " ms, max " + NUMBER + " ms");

    @TempDir
    Path dir;

    private final PrintStream realOut = System.out;
    private final PrintStream realErr = System.err;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void capture() {
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(realOut);
        System.setErr(realErr);
    }

    /** Runs a command that must succeed and returns the record count of its summary (its last stdout line). */
    private long runAndCount(String... args) {
        out.reset();
        err.reset();
        int code = GmqCli.run(args);
        assertEquals(0, code, () -> "exit code; stderr: " + err.toString(StandardCharsets.UTF_8));
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertTrue(!lines.isEmpty(), "no output");
        String last = lines.get(lines.size() - 1);
        Matcher m = SUMMARY.matcher(last);
        assertTrue(m.matches(), () -> "not a summary line: " + last);
        assertEquals(1, lines.stream().filter(l -> SUMMARY.matcher(l).matches()).count(), "one summary line");
        return Long.parseLong(m.group(1));
    }

    private static String[] with(String[] target, String... args) {
        String[] all = new String[args.length + target.length];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(target, 0, all, args.length, target.length);
        return all;
    }

    private void produceConsumeAndE2eCountTheirRecords(String... target) {
        assertEquals(
                3000,
                runAndCount(with(
                        target,
                        "perf",
                        "produce",
                        "--topic",
                        "load",
                        "--records",
                        "3000",
                        "--record-size",
                        "100",
                        "--partitions",
                        "3",
                        "--producers",
                        "2",
                        "--client-per-producer",
                        "--qos",
                        "1")));
        assertEquals(
                500,
                runAndCount(with(
                        target,
                        "perf",
                        "produce",
                        "--topic",
                        "load",
                        "--records",
                        "500",
                        "--record-size",
                        "10",
                        "--qos",
                        "0",
                        "--throughput",
                        "20000",
                        "--producers",
                        "2")));
        assertEquals(
                3500,
                runAndCount(
                        with(target, "perf", "consume", "--topic", "load", "--records", "3500", "--group", "readers")));
        // its own topic of QoS 1 records only: every consumed record is acknowledged, so the
        // group's committed offsets count exactly what the run consumed (QoS 0 records need no ack)
        assertEquals(
                2500,
                runAndCount(with(
                        target,
                        "perf",
                        "produce",
                        "--topic",
                        "warmable",
                        "--records",
                        "2500",
                        "--record-size",
                        "50",
                        "--partitions",
                        "3",
                        "--qos",
                        "1")));
        assertEquals(
                1000,
                runAndCount(with(
                        target,
                        "perf",
                        "consume",
                        "--topic",
                        "warmable",
                        "--records",
                        "1000",
                        "--warmup-records",
                        "1500",
                        "--group",
                        "warm")));
        String addr = target[0].equals("--embedded") ? ClientConfig.EMBEDDED_PREFIX + target[1] : target[1];
        try (GmqClient client =
                GmqClient.connect(ClientConfig.builder().serverAddr(addr).build())) {
            long committed = client.describeGroup("warm").partitions().stream()
                    .mapToLong(GroupDescription.PartitionProgress::committedOffset)
                    .sum();
            assertEquals(2500, committed, "1500 warm-up records consumed and acknowledged, then 1000 measured");
        }
        assertEquals(
                400,
                runAndCount(with(target, "perf", "e2e", "--records", "400", "--record-size", "64", "--rate", "4000")));
        assertEquals(
                300,
                runAndCount(with(
                        target,
                        "perf",
                        "e2e",
                        "--records",
                        "300",
                        "--record-size",
                        "64",
                        "--rate",
                        "4000",
                        "--warmup-records",
                        "200")),
                "warm-up records are sent and consumed but not counted");
    }

    @Test
    void everySubcommandCountsItsRecordsEmbedded() {
        produceConsumeAndE2eCountTheirRecords("--embedded", dir.resolve("data").toString());
    }

    @Test
    void everySubcommandCountsItsRecordsAgainstALoopbackServer() {
        try (GmqServer server = GmqServer.standalone(
                GmqConfig.builder().dataDir(dir).flushPolicy(FlushPolicy.OS).build(), "127.0.0.1", 0)) {
            produceConsumeAndE2eCountTheirRecords("--server", "127.0.0.1:" + server.port());
        }
    }

    @Test
    void serverAndEmbeddedTogetherIsAUsageError() {
        assertEquals(
                2,
                GmqCli.run(
                        "perf",
                        "produce",
                        "--topic",
                        "t",
                        "--records",
                        "1",
                        "--record-size",
                        "1",
                        "--server",
                        "127.0.0.1:1",
                        "--embedded",
                        dir.toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("not both"));
    }

    @Test
    void producersSpreadOverTheListedBrokers() {
        try (GmqServer storage = GmqServer.storage(
                        GmqConfig.builder()
                                .dataDir(dir)
                                .flushPolicy(FlushPolicy.OS)
                                .build(),
                        "127.0.0.1",
                        0);
                GmqServer first = GmqServer.broker(
                        GmqConfig.builder().dataDir(dir).build(), "127.0.0.1", 0, "127.0.0.1:" + storage.port());
                GmqServer second = GmqServer.broker(
                        GmqConfig.builder().dataDir(dir).build(), "127.0.0.1", 0, "127.0.0.1:" + storage.port())) {
            String a = "127.0.0.1:" + first.port();
            String b = "127.0.0.1:" + second.port();
            PerfTarget target = PerfTarget.server(a + "," + b, null, null);
            assertEquals(List.of(a, b), target.config(0).build().addresses());
            assertEquals(List.of(b, a), target.config(1).build().addresses());
            assertEquals(List.of(a, b), target.config(2).build().addresses());

            assertEquals(
                    3000,
                    runAndCount(
                            "perf",
                            "produce",
                            "--server",
                            a + "," + b,
                            "--topic",
                            "spread",
                            "--records",
                            "3000",
                            "--record-size",
                            "100",
                            "--producers",
                            "2",
                            "--client-per-producer",
                            "--qos",
                            "1"));
            assertEquals(
                    3000,
                    runAndCount("perf", "consume", "--server", b + "," + a, "--topic", "spread", "--records", "3000"));
        }
    }
}
