package io.gmq.net.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.net.server.GmqServer;
import io.gmq.net.testing.ConsoleCapture;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** topics alter --partitions against a server on 127.0.0.1: growth, shrink refused, unknown topic. */
final class TopicPartitionsCliTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @TempDir
    Path dir;

    private int run(String... args) {
        console.reset();
        return GmqCli.run(args);
    }

    @Test
    void aTopicGrowsFromTheCommandLineAndNeverShrinks() {
        try (GmqServer server = GmqServer.standalone(
                GmqConfig.builder().dataDir(dir).flushPolicy(FlushPolicy.OS).build(), "127.0.0.1", 0)) {
            String addr = "127.0.0.1:" + server.port();
            assertEquals(0, run("topics", "create", "--topic", "orders", "--partitions", "2", "--server", addr));

            assertEquals(0, run("topics", "alter", "--topic", "orders", "--partitions", "5", "--server", addr));
            assertEquals(
                    "altered topic orders: 5 partitions (was 2)", console.out().trim());
            assertEquals(0, run("topics", "describe", "--topic", "orders", "--server", addr));
            assertTrue(console.out().contains("topic orders partitions 5"), console.out());

            // Shrinking, or the same count: one line naming the rule, exit 1, nothing changed.
            assertEquals(1, run("topics", "alter", "--topic", "orders", "--partitions", "3", "--server", addr));
            assertTrue(console.err().contains("can only grow"), console.err());
            assertEquals(1, console.err().trim().lines().count(), console.err());
            assertEquals(1, run("topics", "alter", "--topic", "orders", "--partitions", "5", "--server", addr));
            assertTrue(console.err().contains("can only grow"), console.err());
            assertEquals(0, run("topics", "describe", "--topic", "orders", "--server", addr));
            assertTrue(console.out().contains("topic orders partitions 5"), console.out());

            assertEquals(1, run("topics", "alter", "--topic", "nope", "--partitions", "4", "--server", addr));
            assertTrue(console.err().contains("does not exist"), console.err());

            // Settings and a growth in one call.
            assertEquals(
                    0,
                    run(
                            "topics",
                            "alter",
                            "--topic",
                            "orders",
                            "--partitions",
                            "6",
                            "--config",
                            "max-deliveries=4",
                            "--server",
                            addr));
            assertEquals(
                    "altered topic orders: settings max-deliveries=4",
                    console.out().trim());
            assertEquals(0, run("topics", "describe", "--topic", "orders", "--server", addr));
            assertTrue(console.out().contains("topic orders partitions 6"), console.out());
        }
    }
}
