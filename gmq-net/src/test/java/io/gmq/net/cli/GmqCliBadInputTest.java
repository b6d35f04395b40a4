package io.gmq.net.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.net.server.GmqServer;
import io.gmq.net.testing.ConsoleCapture;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The gmq.jar commands given bad input: usage errors exit 2 with the usage text; GMQ errors exit 1
 * with exactly one line that names the rule, never a stack trace; nothing is created on the server.
 */
final class GmqCliBadInputTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @TempDir
    static Path dir;

    private static GmqServer server;
    private static String addr;

    @BeforeAll
    static void startServer() {
        server = GmqServer.standalone(
                GmqConfig.builder().dataDir(dir).flushPolicy(FlushPolicy.OS).build(), "127.0.0.1", 0);
        addr = "127.0.0.1:" + server.port();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    private int run(String... args) {
        console.reset();
        System.setIn(new ByteArrayInputStream("m\n".getBytes(StandardCharsets.UTF_8)));
        return GmqCli.run(args);
    }

    /** Exit 1 and one line "error: ..." without a stack trace; returns the line. */
    private String assertOneLineError(int exit) {
        assertEquals(1, exit, "stderr: " + console.err());
        List<String> lines = console.err().lines().toList();
        assertEquals(1, lines.size(), "expected one line, got: " + console.err());
        String line = lines.get(0);
        assertTrue(line.startsWith("error: "), line);
        assertFalse(line.contains("Exception") || line.contains("\tat "), line);
        return line;
    }

    private static Set<String> directories() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isDirectory)
                    .map(p -> dir.relativize(p).toString())
                    .collect(Collectors.toSet());
        }
    }

    @Test
    void unknownFlagsMissingOptionsAndMissingCommandsAreUsageErrors() {
        assertEquals(2, run("topics", "create", "--topic", "t", "--partitions", "1", "--bogus", "--server", addr));
        assertTrue(console.err().contains("Unknown option") && console.err().contains("Usage:"), console.err());
        assertEquals(2, run("topics", "create", "--partitions", "1", "--server", addr));
        assertTrue(
                console.err().contains("Missing required option")
                        && console.err().contains("--topic"),
                console.err());
        assertEquals(2, run("topics"));
        assertTrue(console.err().contains("missing subcommand"), console.err());
        assertEquals(2, run());
        assertTrue(console.err().contains("missing command"), console.err());
        assertEquals(2, run("no-such-command"));
    }

    @Test
    void nonNumericPartitionsAreUsageErrors() {
        assertEquals(2, run("produce", "--topic", "t", "--partition", "abc", "--server", addr));
        assertTrue(console.err().contains("--partition") && console.err().contains("abc"), console.err());
        assertEquals(2, run("topics", "create", "--topic", "t", "--partitions", "two", "--server", addr));
        assertTrue(console.err().contains("--partitions") && console.err().contains("two"), console.err());
        assertEquals(2, run("produce", "--topic", "t", "--partition", "99999999999", "--server", addr));
    }

    @ParameterizedTest
    @ValueSource(strings = {"../x", "a/b", "caf\u00e9", "with space", "..", ""})
    void badTopicNamesAreOneLineErrorsNamingTheRuleAndCreateNothing(String name) throws IOException {
        Set<String> before = directories();
        for (String[] args : List.of(
                new String[] {"topics", "create", "--topic", name, "--partitions", "1", "--server", addr},
                new String[] {"topics", "describe", "--topic", name, "--server", addr},
                new String[] {"topics", "delete", "--topic", name, "--server", addr},
                new String[] {"produce", "--topic", name, "--server", addr})) {
            String line = assertOneLineError(run(args));
            assertTrue(
                    line.contains("allowed: 1-249 characters of [a-zA-Z0-9._-]"),
                    String.join(" ", args) + " -> " + line);
        }
        assertEquals(before, directories());
    }

    @Test
    void aTooLongTopicNameIsAOneLineError() {
        String line = assertOneLineError(
                run("topics", "create", "--topic", "x".repeat(250), "--partitions", "1", "--server", addr));
        assertTrue(line.contains("250") && line.contains("249"), line);
    }

    @Test
    void partitionCountsAndPartitionsOutOfRangeAreOneLineErrors() throws IOException {
        Set<String> before = directories();
        assertTrue(assertOneLineError(run("topics", "create", "--topic", "zero", "--partitions", "0", "--server", addr))
                .contains("partitions"));
        assertTrue(assertOneLineError(run("topics", "create", "--topic", "neg", "--partitions", "-3", "--server", addr))
                .contains("partitions"));
        assertEquals(before, directories());
        assertEquals(0, run("topics", "create", "--topic", "two", "--partitions", "2", "--server", addr));
        assertTrue(assertOneLineError(run("produce", "--topic", "two", "--partition", "7", "--server", addr))
                .contains("partition"));
        assertTrue(assertOneLineError(run("produce", "--topic", "two", "--partition", "-1", "--server", addr))
                .contains("partition"));
    }

    @Test
    void anUnreachableServerIsAOneLineErrorForEveryCommand() {
        GmqServer gone = GmqServer.standalone(
                GmqConfig.builder().dataDir(dir.resolve("gone")).build(), "127.0.0.1", 0);
        String down = "127.0.0.1:" + gone.port();
        gone.close();
        for (String[] args : List.of(
                new String[] {"topics", "create", "--topic", "t", "--partitions", "1", "--server", down},
                new String[] {"produce", "--topic", "t", "--server", down},
                new String[] {"consume", "--topic", "t", "--group", "g", "--max-messages", "1", "--server", down},
                new String[] {"groups", "list", "--server", down})) {
            String line = assertOneLineError(run(args));
            assertTrue(line.contains("cannot reach GMQ broker at " + down), String.join(" ", args) + " -> " + line);
        }
    }

    @Test
    void aMalformedServerAddressIsAOneLineError() {
        String line = assertOneLineError(run("topics", "list", "--server", "no-port-here"));
        assertTrue(line.contains("no-port-here"), line);
    }

    @Test
    void aStorageNodeWithABadPeerListExitsTwoAndWritesNothing() {
        Path data = dir.resolve("bad-cluster-node");
        String[][] cases = {
            {"--node-id", "1", "--peers", "1=127.0.0.1:1,1=127.0.0.1:2"},
            {"--node-id", "1", "--peers", "1=127.0.0.1:1,2=127.0.0.1:1"},
            {"--node-id", "4", "--peers", "1=127.0.0.1:1,2=127.0.0.1:2"},
            {"--node-id", "1", "--peers", "1=127.0.0.1:0,2=127.0.0.1:2"},
            {"--node-id", "1"},
            {"--peers", "1=127.0.0.1:1"},
            {"--node-id", "1", "--raft-port", "5", "--peers", "1=127.0.0.1:1,2=127.0.0.1:2"},
        };
        for (String[] c : cases) {
            String[] args = new String[c.length + 5];
            args[0] = "storage";
            args[1] = "--port";
            args[2] = "0";
            args[3] = "--data-dir";
            args[4] = data.toString();
            System.arraycopy(c, 0, args, 5, c.length);
            assertEquals(2, run(args), String.join(" ", c) + " -> " + console.err());
            assertTrue(console.err().contains("Usage:") || console.err().contains("--"), console.err());
            assertFalse(java.nio.file.Files.exists(data), "nothing written for " + String.join(" ", c));
        }
    }
}
