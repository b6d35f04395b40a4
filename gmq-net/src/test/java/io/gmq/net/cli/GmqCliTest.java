package io.gmq.net.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.net.server.GmqServer;
import io.gmq.net.testing.ConsoleCapture;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The gmq.jar commands, run in-process with captured standard streams. */
final class GmqCliTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @TempDir
    Path dir;

    private int run(String... args) {
        console.reset();
        return GmqCli.run(args);
    }

    @Test
    void versionIsTheBuildsVersion() {
        assertEquals(0, run("--version"));
        assertTrue(console.out().trim().matches("GMQ \\d+\\.\\d+\\.\\d+\\S*"), console.out());
    }

    @Test
    void unknownFlagIsAUsageErrorWithExitCode2() {
        assertEquals(2, run("topics", "list", "--no-such-flag"));
        assertTrue(console.err().contains("Unknown option"));
    }

    @Test
    void unreachableServerIsOneLineAndExitCode1() {
        GmqServer server = GmqServer.standalone(GmqConfig.builder().dataDir(dir).build(), "127.0.0.1", 0);
        int port = server.port();
        server.close();
        assertEquals(1, run("topics", "list", "--server", "127.0.0.1:" + port));
        assertEquals(
                "error: cannot reach GMQ broker at 127.0.0.1:" + port + ": connection refused",
                console.err().trim());
    }

    @Test
    void topicsProduceConsumeAndGroupsWorkAgainstAServer() {
        try (GmqServer server = GmqServer.standalone(
                GmqConfig.builder().dataDir(dir).flushPolicy(FlushPolicy.OS).build(), "127.0.0.1", 0)) {
            String addr = "127.0.0.1:" + server.port();
            assertEquals(0, run("topics", "create", "--topic", "cli", "--partitions", "2", "--server", addr));
            assertEquals(0, run("topics", "list", "--server", addr));
            assertTrue(console.out().contains("cli\t2"));

            System.setIn(new ByteArrayInputStream("one\ntwo\nthree\n".getBytes(StandardCharsets.UTF_8)));
            assertEquals(0, run("produce", "--topic", "cli", "--partition", "1", "--verbose", "--server", addr));
            assertEquals(
                    List.of("partition 1 offset 0", "partition 1 offset 1", "partition 1 offset 2"),
                    console.out().lines().toList());

            assertEquals(
                    0,
                    run(
                            "consume",
                            "--topic",
                            "cli",
                            "--group",
                            "readers",
                            "--max-messages",
                            "3",
                            "--timeout-ms",
                            "20000",
                            "--print-offset",
                            "--server",
                            addr));
            assertEquals(
                    List.of("1:0\tone", "1:1\ttwo", "1:2\tthree"),
                    console.out().lines().toList());

            assertEquals(0, run("topics", "describe", "--topic", "cli", "--server", addr));
            assertTrue(console.out().contains("PARTITION"));
            assertEquals(0, run("groups", "list", "--server", addr));
            assertTrue(console.out().lines().toList().contains("readers"));
            assertEquals(0, run("groups", "describe", "--group", "readers", "--server", addr));
            assertTrue(console.out().contains("group readers"));
            assertEquals(0, run("topics", "delete", "--topic", "cli", "--server", addr));
        }
    }
}
