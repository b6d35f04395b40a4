package io.gmq.net.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.FlushPolicy;
import io.gmq.Gmq;
import io.gmq.GmqConfig;
import io.gmq.PublishOption;
import io.gmq.net.server.GmqServer;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchFrame;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gmq verify} on a data directory with one flipped bit, and {@code gmq groups reset} past it. */
final class VerifyAndResetCliTest {
    private static final String TOPIC = "vault";
    private static final int MESSAGES = 30;

    @TempDir
    Path dir;

    private final PrintStream realOut = System.out;
    private final PrintStream realErr = System.err;
    private ByteArrayOutputStream out;
    private GmqConfig cfg;

    @BeforeEach
    void fill() {
        out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        cfg = GmqConfig.builder()
                .dataDir(dir)
                .flushPolicy(FlushPolicy.OS)
                .segmentBytes(1024)
                .retentionAge(null)
                .build();
        try (Gmq gmq = Gmq.open(cfg)) {
            gmq.admin().createTopic(TOPIC, 2);
            for (int i = 0; i < MESSAGES; i++) {
                gmq.publish(TOPIC, ("m" + i).getBytes(StandardCharsets.UTF_8), PublishOption.partition(0));
            }
        }
    }

    @AfterEach
    void restore() {
        System.setOut(realOut);
        System.setErr(realErr);
    }

    private int run(String... args) {
        out.reset();
        return GmqCli.run(args);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void verifyExitsZeroOnAnIntactDirectoryAndThreeWithTheDamagedRange() throws Exception {
        assertEquals(0, run("verify", "--data-dir", dir.toString()));
        assertTrue(out().startsWith("intact:"), out());

        long damaged = flipThirdFrame();
        assertEquals(VerifyCommand.EXIT_DAMAGED, run("verify", "--data-dir", dir.toString(), "--topic", TOPIC));
        String report = out();
        assertTrue(report.contains("DAMAGED " + TOPIC + "-0 00000000000000000000.log"), report);
        assertTrue(report.contains("offsets " + damaged + " to " + damaged + " (1 records)"), report);
        assertTrue(
                report.contains("groups reset --group <group> --topic " + TOPIC + " --partition 0 --to-offset "
                        + (damaged + 1)),
                report);
        assertEquals(1, run("verify", "--data-dir", dir.toString(), "--topic", "other"), "no such topic");
    }

    @Test
    void groupsResetMovesOnePartitionPastTheDamageAndConsumptionResumes() throws Exception {
        long damaged = flipThirdFrame();
        try (GmqServer server = GmqServer.standalone(cfg, "127.0.0.1", 0)) {
            String addr = "127.0.0.1:" + server.port();
            assertEquals(
                    0,
                    run(
                            "groups",
                            "reset",
                            "--group",
                            "readers",
                            "--topic",
                            TOPIC,
                            "--partition",
                            "0",
                            "--to-offset",
                            Long.toString(damaged + 1),
                            "--execute",
                            "--server",
                            addr));
            assertTrue(out().contains("reset group readers on " + TOPIC + "-0 to offset " + (damaged + 1)), out());
            int remaining = MESSAGES - (int) damaged - 1;
            assertEquals(
                    0,
                    run(
                            "consume",
                            "--topic",
                            TOPIC,
                            "--group",
                            "readers",
                            "--max-messages",
                            Integer.toString(remaining),
                            "--timeout-ms",
                            "20000",
                            "--print-offset",
                            "--server",
                            addr));
            List<String> expected = IntStream.range((int) damaged + 1, MESSAGES)
                    .mapToObj(i -> "0:" + i + "\tm" + i)
                    .toList();
            assertEquals(expected, out().lines().toList());
            assertEquals(
                    2,
                    run("groups", "reset", "--group", "readers", "--topic", TOPIC, "--server", addr),
                    "a target is required");
        }
    }

    /** Flips a payload bit of the third batch of partition 0's first segment; returns its offset. */
    private long flipThirdFrame() throws Exception {
        Path segment = dir.resolve("logs").resolve(TOPIC).resolve("0").resolve("00000000000000000000.log");
        byte[] bytes = Files.readAllBytes(segment);
        ByteBuffer view = ByteBuffer.wrap(bytes).order(BatchFormat.ORDER);
        int pos = 0;
        for (int i = 0; i < 2; i++) {
            pos += new BatchFrame().wrap(view, pos).frameLength();
        }
        bytes[pos + new BatchFrame().wrap(view, pos).frameLength() - 1] ^= 0x01;
        Files.write(segment, bytes);
        return new BatchFrame().wrap(view, pos).baseOffset();
    }
}
