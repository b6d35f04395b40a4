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

/** topics create --config, topics alter and topics describe's settings, against a server on 127.0.0.1. */
final class TopicSettingsCliTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @TempDir
    Path dir;

    private int run(String... args) {
        console.reset();
        return GmqCli.run(args);
    }

    @Test
    void settingsAreSetChangedShownAndCheckedFromTheCommandLine() {
        try (GmqServer server = GmqServer.standalone(
                GmqConfig.builder().dataDir(dir).flushPolicy(FlushPolicy.OS).build(), "127.0.0.1", 0)) {
            String addr = "127.0.0.1:" + server.port();
            assertEquals(
                    0,
                    run(
                            "topics",
                            "create",
                            "--topic",
                            "orders",
                            "--partitions",
                            "1",
                            "--config",
                            "retention-age=36h",
                            "--config",
                            "max-deliveries=4",
                            "--server",
                            addr));
            assertEquals(
                    "created topic orders with 1 partitions and settings max-deliveries=4, retention-age=36h",
                    console.out().trim());

            assertEquals(
                    0,
                    run(
                            "topics",
                            "alter",
                            "--topic",
                            "orders",
                            "--config",
                            "ack-timeout=45s",
                            "--delete-config",
                            "retention-age",
                            "--server",
                            addr));
            assertEquals(
                    "altered topic orders: settings ack-timeout=45s, max-deliveries=4",
                    console.out().trim());

            assertEquals(0, run("topics", "describe", "--topic", "orders", "--server", addr));
            assertTrue(console.out().lines().anyMatch(l -> l.matches("ack-timeout\\s+45s\\s+topic")), console.out());
            assertTrue(console.out().lines().anyMatch(l -> l.matches("max-deliveries\\s+4\\s+topic")), console.out());
            assertTrue(console.out().lines().anyMatch(l -> l.matches("retention-age\\s+7d\\s+server")), console.out());

            // A bad key or value: one line naming it, exit 1, nothing changed.
            assertEquals(
                    1, run("topics", "alter", "--topic", "orders", "--config", "retention.ms=5", "--server", addr));
            assertTrue(console.err().contains("retention.ms"), console.err());
            assertEquals(1, console.err().trim().lines().count(), console.err());
            assertEquals(
                    1,
                    run("topics", "alter", "--topic", "orders", "--config", "max-deliveries=many", "--server", addr));
            assertTrue(console.err().contains("max-deliveries"), console.err());
            assertEquals(2, run("topics", "alter", "--topic", "orders", "--server", addr));
            assertTrue(console.err().contains("nothing to change"), console.err());
            assertEquals(0, run("topics", "describe", "--topic", "orders", "--server", addr));
            assertTrue(console.out().lines().anyMatch(l -> l.matches("max-deliveries\\s+4\\s+topic")), console.out());
        }
    }
}
