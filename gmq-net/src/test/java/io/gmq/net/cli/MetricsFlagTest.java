package io.gmq.net.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.net.testing.ConsoleCapture;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code --metrics-port} refused before anything starts: a value out of range is a usage error
 * (exit 2) on each of the three processes, a port in use a one-line error (exit 1, as for
 * {@code --port}); neither opens the data directory. The endpoint itself: MetricsEndpointTest and
 * MetricsIT.
 */
final class MetricsFlagTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @TempDir
    Path dir;

    private int run(String... args) {
        console.reset();
        return GmqCli.run(args);
    }

    @ParameterizedTest
    @ValueSource(strings = {"server", "storage", "broker"})
    void aMetricsPortOutOfRangeIsAUsageErrorOfEveryProcess(String process) {
        Path data = dir.resolve("data");
        for (String bad : List.of("-1", "65536")) {
            int exit = process.equals("broker")
                    ? run(process, "--port", "0", "--storage", "127.0.0.1:1", "--metrics-port", bad)
                    : run(process, "--port", "0", "--data-dir", data.toString(), "--metrics-port", bad);
            assertEquals(2, exit, console.err());
            assertTrue(
                    console.err().startsWith("--metrics-port must be 0 (a free port) to 65535, was " + bad),
                    console.err());
            assertEquals("", console.out());
        }
        assertEquals(2, run(process, "--metrics-port", "http"));
        assertTrue(console.err().contains("--metrics-port"), console.err());
        assertFalse(Files.exists(data), "nothing was opened");
    }

    @Test
    void theGrpcPortAgainIsAUsageError() {
        assertEquals(2, run("server", "--port", "50999", "--metrics-port", "50999", "--data-dir", dir.toString()));
        assertTrue(console.err().startsWith("--metrics-port 50999 is also --port"), console.err());
    }

    @Test
    void aMetricsPortInUseIsAOneLineErrorAndOpensNothing() throws IOException {
        Path data = dir.resolve("data");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            int exit = run(
                    "server",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--data-dir",
                    data.toString(),
                    "--metrics-port",
                    Integer.toString(port));
            assertEquals(1, exit, console.err());
            List<String> lines = console.err().lines().toList();
            assertEquals(1, lines.size(), console.err());
            assertTrue(
                    lines.get(0).startsWith("error: cannot serve metrics on 127.0.0.1:" + port + ": "), lines.get(0));
            assertTrue(lines.get(0).endsWith("choose another --metrics-port (0 picks a free one)"), lines.get(0));
            assertEquals("", console.out());
        }
        assertFalse(Files.exists(data), "nothing was opened");
    }
}
