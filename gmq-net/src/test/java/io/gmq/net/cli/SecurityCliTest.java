package io.gmq.net.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.net.security.ClientCertPrincipal;
import io.gmq.net.security.NetLimits;
import io.gmq.net.security.ServerSecurity;
import io.gmq.net.server.GmqServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The security and limit flags of gmq.jar: parsed into the server's settings, and --token end to end. */
final class SecurityCliTest {
    @TempDir
    Path dir;

    private final PrintStream realOut = System.out;
    private final PrintStream realErr = System.err;
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void capture() {
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(realOut);
        System.setErr(realErr);
    }

    private static ServeCommands.Server parse(String... args) {
        ServeCommands.Server s = new ServeCommands.Server();
        new CommandLine(s).parseArgs(args);
        return s;
    }

    @Test
    void limitFlagsReachTheListenerAndTheEngine() {
        ServeCommands.Server s = parse(
                "--max-connections",
                "7",
                "--max-connections-per-ip",
                "3",
                "--max-calls-per-connection",
                "9",
                "--max-metadata-bytes",
                "4096",
                "--max-in-flight-publishes",
                "16",
                "--max-connection-idle",
                "30",
                "--max-connection-age",
                "3600",
                "--max-rst-frames",
                "50",
                "--max-topics",
                "12",
                "--max-partitions-per-topic",
                "8",
                "--max-batch-bytes",
                "2097152");
        NetLimits l = s.security.security().limits();
        assertEquals(7, l.maxConnections());
        assertEquals(3, l.maxConnectionsPerIp());
        assertEquals(9, l.maxConcurrentCallsPerConnection());
        assertEquals(4096, l.maxInboundMetadataBytes());
        assertEquals(16, l.maxInFlightPublishesPerSession());
        assertEquals(Duration.ofSeconds(30), l.maxConnectionIdle());
        assertEquals(Duration.ofHours(1), l.maxConnectionAge());
        assertEquals(50, l.maxRstFramesPerWindow());
        GmqConfig c = s.config();
        assertEquals(12, c.maxTopics());
        assertEquals(8, c.maxPartitionsPerTopic());
        assertEquals(2 * 1024 * 1024, c.maxBatchBytes());
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        assertEquals(NetLimits.defaults(), parse().security.security().limits());
        assertEquals(
                GmqConfig.builder().build().maxBatchBytes(), parse().config().maxBatchBytes());
    }

    @Test
    void aclFileWithoutTokenFileIsRefused() throws Exception {
        Path acl = Files.writeString(dir.resolve("acl"), "allow alice topic:* all\n");
        GmqException e = assertThrows(
                GmqException.class,
                () -> parse("--acl-file", acl.toString()).security.security());
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("--token-file"), e.getMessage());
    }

    @Test
    void clientCertificatePrincipalAndReloadFlagsReachTheServerSettings() throws Exception {
        Path acl = Files.writeString(dir.resolve("acl"), "allow alice topic:* all\n");
        ServerSecurity security = parse(
                        "--tls-cert",
                        "server.pem",
                        "--tls-key",
                        "server-key.pem",
                        "--tls-client-ca",
                        "ca.pem",
                        "--tls-client-principal",
                        "cn",
                        "--acl-file",
                        acl.toString(),
                        "--auth-reload-interval",
                        "0")
                .security
                .security();
        assertEquals(ClientCertPrincipal.CN, security.clientPrincipal());
        assertEquals(Duration.ZERO, security.reloadInterval());
        assertEquals(1, security.reloadables().size(), "the ACL file is reloadable");
    }

    @Test
    void mutualTlsWithoutTokensNamesPrincipalsByDnByDefault() {
        ServerSecurity security = parse("--tls-cert", "s.pem", "--tls-key", "k.pem", "--tls-client-ca", "ca.pem")
                .security
                .security();
        assertEquals(ClientCertPrincipal.DN, security.clientPrincipal());
        assertEquals(ServerSecurity.DEFAULT_RELOAD_INTERVAL, security.reloadInterval());
    }

    @Test
    void clientPrincipalWithoutMutualTlsIsRefused() {
        GmqException e = assertThrows(
                GmqException.class,
                () -> parse("--tls-cert", "s.pem", "--tls-key", "k.pem", "--tls-client-principal", "cn")
                        .security
                        .security());
        assertTrue(e.getMessage().contains("--tls-client-ca"), e.getMessage());
        GmqException bad = assertThrows(
                GmqException.class,
                () -> parse(
                                "--tls-cert",
                                "s.pem",
                                "--tls-key",
                                "k.pem",
                                "--tls-client-ca",
                                "ca.pem",
                                "--tls-client-principal",
                                "uid")
                        .security
                        .security());
        assertTrue(bad.getMessage().contains("dn, cn, off"), bad.getMessage());
    }

    @Test
    void clientCommandsSendTheirToken() throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens"), "s3cret ops\n");
        Path acl = Files.writeString(dir.resolve("acl"), "allow ops topic:* all\n");
        ServerSecurity security = parse("--token-file", tokens.toString(), "--acl-file", acl.toString())
                .security
                .security();
        try (GmqServer server = GmqServer.standalone(
                GmqConfig.builder()
                        .dataDir(dir.resolve("data"))
                        .flushPolicy(FlushPolicy.OS)
                        .build(),
                "127.0.0.1",
                0,
                security)) {
            String addr = "127.0.0.1:" + server.port();
            assertEquals(
                    0,
                    GmqCli.run(
                            "topics",
                            "create",
                            "--topic",
                            "t",
                            "--partitions",
                            "1",
                            "--server",
                            addr,
                            "--token",
                            "s3cret"));
            err.reset();
            assertEquals(1, GmqCli.run("topics", "list", "--server", addr, "--token", "wrong"));
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("invalid or missing token"), err.toString());
        }
    }

    @Test
    void perfPingAndHealthTakeTheClientSecurityOptions() throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens"), "s3cret ops\n");
        Path acl = Files.writeString(dir.resolve("acl"), "allow ops topic:* all\nallow ops group:* all\n");
        ServerSecurity security = parse("--token-file", tokens.toString(), "--acl-file", acl.toString())
                .security
                .security();
        try (GmqServer server = GmqServer.standalone(
                GmqConfig.builder()
                        .dataDir(dir.resolve("data"))
                        .flushPolicy(FlushPolicy.OS)
                        .build(),
                "127.0.0.1",
                0,
                security)) {
            String addr = "127.0.0.1:" + server.port();
            String[] perf = {
                "perf",
                "produce",
                "--topic",
                "p",
                "--records",
                "50",
                "--record-size",
                "16",
                "--partitions",
                "1",
                "--server",
                addr
            };
            assertEquals(0, GmqCli.run(concat(perf, "--token", "s3cret")));
            err.reset();
            assertEquals(1, GmqCli.run(concat(perf, "--token", "wrong")));
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("invalid or missing token"), err.toString());

            assertEquals(0, GmqCli.run("ping", "--server", addr, "--token", "s3cret"));
            err.reset();
            assertEquals(1, GmqCli.run("ping", "--server", addr));
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("invalid or missing token"), err.toString());
            assertEquals(0, GmqCli.run("health", "--server", addr), "the health service needs no token");
        }
        PerfCommand.Produce produce = new PerfCommand.Produce();
        new CommandLine(produce)
                .parseArgs(
                        "--topic",
                        "t",
                        "--records",
                        "1",
                        "--record-size",
                        "1",
                        "--tls-ca",
                        "ca.pem",
                        "--tls-cert",
                        "c.pem",
                        "--tls-key",
                        "k.pem",
                        "--token",
                        "tok");
        var target = produce.target.resolve();
        assertEquals(Path.of("ca.pem"), target.security().caFile());
        assertEquals(Path.of("c.pem"), target.security().certFile());
        assertEquals("tok", target.config().build().token());
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
