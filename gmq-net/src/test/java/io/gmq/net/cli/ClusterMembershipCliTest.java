package io.gmq.net.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.net.cluster.ClusterPeers;
import io.gmq.net.security.ServerSecurity;
import io.gmq.net.server.GmqServer;
import io.gmq.net.testing.ConsoleCapture;
import io.gmq.net.testing.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gmq cluster add-node} and {@code remove-node} through a broker over a one-node storage
 * cluster: a node started with --join is added and removed again (and stops by itself); changes
 * the cluster must refuse are one-line errors with exit 1 that change nothing; malformed input
 * is a usage error (exit 2).
 */
final class ClusterMembershipCliTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @TempDir
    static Path dir;

    private static final List<GmqServer> SERVERS = new ArrayList<>();
    private static String raft1;
    private static String broker;
    private static String standalone;

    @BeforeAll
    static void startClusterAndBroker() {
        raft1 = "127.0.0.1:" + FreePorts.pick();
        GmqServer node1 = start(() -> GmqServer.storageNode(
                config("node1"),
                "127.0.0.1",
                0,
                ServerSecurity.none(),
                ClusterPeers.parse("1", "1=" + raft1),
                "127.0.0.1"));
        GmqServer b = start(() -> GmqServer.broker(config("broker"), "127.0.0.1", 0, "127.0.0.1:" + node1.port()));
        broker = "127.0.0.1:" + b.port();
        standalone = "127.0.0.1:"
                + start(() -> GmqServer.standalone(config("standalone"), "127.0.0.1", 0))
                        .port();
        await("node 1 to lead", () -> node1.cluster().leader().equals("1"));
        // Every group elected before the tests run: no election logs into an error they capture.
        await("every storage group to have its leader", () -> {
            try {
                return node1.cluster().describeCluster().groups().stream()
                        .allMatch(g -> g.leader().equals("1"));
            } catch (io.gmq.GmqException e) {
                return false; // a group still electing
            }
        });
    }

    @AfterAll
    static void stopAll() {
        for (int i = SERVERS.size() - 1; i >= 0; i--) {
            SERVERS.get(i).close();
        }
    }

    @Test
    void aJoiningNodeIsAddedAndRemovedThroughTheBroker() {
        String raft2 = "127.0.0.1:" + FreePorts.pick();
        GmqServer node2 = start(() -> GmqServer.storageNode(
                config("node2"),
                "127.0.0.1",
                0,
                ServerSecurity.none(),
                ClusterPeers.parse("2", "1=" + raft1 + ",2=" + raft2),
                "127.0.0.1",
                true));

        assertEquals(
                0, run("cluster", "add-node", "--server", broker, "--node-id", "2", "--raft", raft2), console.err());
        assertTrue(console.out().startsWith("node 2 added"), console.out());
        assertTrue(console.out().contains("\n  1") && console.out().contains(raft1), console.out());
        assertTrue(console.out().contains("\n  2") && console.out().contains(raft2), console.out());

        assertEquals(0, run("cluster", "remove-node", "--server", broker, "--node-id", "2"), console.err());
        assertTrue(console.out().startsWith("node 2 removed"), console.out());
        assertFalse(console.out().contains(raft2), console.out());
        await("node 2 to stop by itself", node2::isTerminated);

        assertEquals(0, run("cluster", "describe", "--server", broker), console.err());
        assertTrue(console.out().contains("\n  1*") && !console.out().contains(raft2), console.out());
    }

    @Test
    void changesTheClusterMustRefuseAreOneLineErrors() {
        String line = assertOneLineError(run("cluster", "remove-node", "--server", broker, "--node-id", "9"));
        assertTrue(line.contains("node 9 is not a member of the storage cluster; members: 1=" + raft1), line);

        line = assertOneLineError(
                run("cluster", "add-node", "--server", broker, "--node-id", "1", "--raft", "127.0.0.1:1"));
        assertTrue(line.contains("node 1 is already a member"), line);

        line = assertOneLineError(run("cluster", "add-node", "--server", broker, "--node-id", "7", "--raft", raft1));
        assertTrue(line.contains(raft1 + " is the Raft address of member 1"), line);

        line = assertOneLineError(run("cluster", "remove-node", "--server", broker, "--node-id", "1"));
        assertTrue(line.contains("only member") && line.contains("at least one node"), line);

        // Nothing answers there: a bounded wait, then the way to start the node.
        String nowhere = "127.0.0.1:" + FreePorts.pick();
        long start = System.nanoTime();
        line = assertOneLineError(run("cluster", "add-node", "--server", broker, "--node-id", "5", "--raft", nowhere));
        long seconds = Duration.ofNanos(System.nanoTime() - start).toSeconds();
        assertTrue(line.contains("node 5 does not answer at " + nowhere) && line.contains("--join"), line);
        assertTrue(seconds < 15, "took " + seconds + " s");

        // Started as a member of a list the cluster does not have (no --join): it asks for votes in vain.
        String raft6 = "127.0.0.1:" + FreePorts.pick();
        try (GmqServer node6 = GmqServer.storageNode(
                config("node6"),
                "127.0.0.1",
                0,
                ServerSecurity.none(),
                ClusterPeers.parse("6", "1=" + raft1 + ",6=" + raft6),
                "127.0.0.1")) {
            line = assertOneLineError(
                    run("cluster", "add-node", "--server", broker, "--node-id", "6", "--raft", raft6));
            assertTrue(line.contains("node 6 at " + raft6 + " is already a member of a storage group"), line);
            assertTrue(line.contains("not started with --join"), line);
        }

        line = assertOneLineError(
                run("cluster", "add-node", "--server", standalone, "--node-id", "5", "--raft", "127.0.0.1:1"));
        assertTrue(line.contains("storage is not replicated"), line);
        line = assertOneLineError(run("cluster", "remove-node", "--server", standalone, "--node-id", "1"));
        assertTrue(line.contains("storage is not replicated"), line);

        // Nothing changed.
        assertEquals(0, run("cluster", "describe", "--server", broker), console.err());
        assertEquals(4 * 3, console.out().lines().count(), console.out()); // 4 groups of one node
        assertTrue(console.out().contains("\n  1*"), console.out());
    }

    @Test
    void malformedMembershipCommandsAreUsageErrors() {
        String[][] cases = {
            {"cluster", "add-node", "--server", broker, "--node-id", "4"},
            {"cluster", "add-node", "--server", broker, "--raft", "127.0.0.1:6104"},
            {"cluster", "add-node", "--server", broker, "--node-id", "4", "--raft", "no-port"},
            {"cluster", "add-node", "--server", broker, "--node-id", "4", "--raft", "127.0.0.1:0"},
            {"cluster", "add-node", "--server", broker, "--node-id", "a/b", "--raft", "127.0.0.1:6104"},
            {"cluster", "remove-node", "--server", broker},
            {"cluster", "remove-node", "--server", broker, "--node-id", "a b"},
            {"cluster", "bogus"},
        };
        for (String[] c : cases) {
            assertEquals(2, run(c), String.join(" ", c) + " -> " + console.err());
            assertTrue(console.err().contains("Usage:"), console.err());
        }
        Path data = dir.resolve("join-without-peers");
        assertEquals(
                2,
                run("storage", "--port", "0", "--data-dir", data.toString(), "--node-id", "4", "--join"),
                console.err());
        assertTrue(console.err().contains("--join needs --peers"), console.err());
        assertFalse(Files.exists(data));
    }

    private int run(String... args) {
        console.reset();
        return GmqCli.run(args);
    }

    /** Exit 1 and one line "error: ..." without a stack trace; returns the line. */
    private String assertOneLineError(int exit) {
        assertEquals(1, exit, "stderr: " + console.err());
        // The in-process servers log to the same stderr; their lines ("[thread] LEVEL logger - ...") are not the CLI's.
        List<String> lines = console.err()
                .lines()
                .filter(l -> !l.matches("^\\[[^]]+\\] (TRACE|DEBUG|INFO|WARN) .*"))
                .toList();
        assertEquals(1, lines.size(), "expected one line, got: " + console.err());
        String line = lines.get(0);
        assertTrue(line.startsWith("error: "), line);
        assertFalse(line.contains("Exception") || line.contains("\tat "), line);
        return line;
    }

    private static GmqConfig config(String name) {
        return GmqConfig.builder()
                .dataDir(dir.resolve(name))
                .flushPolicy(FlushPolicy.OS)
                .build();
    }

    private static GmqServer start(java.util.function.Supplier<GmqServer> s) {
        GmqServer server = s.get();
        SERVERS.add(server);
        return server;
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(50); // polling interval of the condition, not a synchronisation
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
