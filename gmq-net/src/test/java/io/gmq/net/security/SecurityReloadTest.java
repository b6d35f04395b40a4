package io.gmq.net.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.net.server.GmqServer;
import io.gmq.net.testing.SessionProbe;
import io.gmq.proto.ClientFrame;
import io.gmq.proto.ServerFrame;
import io.gmq.proto.Subscribe;
import io.gmq.security.ReloadingAclAuthorizer;
import io.gmq.security.ReloadingTokenAuthenticator;
import io.gmq.wire.ChannelSecurity;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token and ACL files edited while the server runs: the poller or the explicit reload hook applies
 * them, a broken edit keeps the rules in force, a revoked token loses its next call and its open
 * Session stream, a revoked CONSUME grant loses its subscription.
 */
final class SecurityReloadTest {
    static final String TOKENS = """
            admin-token admin
            alice-token alice
            """;
    static final String ADMIN_ACLS = """
            allow admin topic:* all
            allow admin group:* all
            """;
    static final Duration DEADLINE = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();
    private Path tokenFile;
    private Path aclFile;
    private GmqServer server;

    @AfterEach
    void closeAll() throws Exception {
        while (!toClose.isEmpty()) {
            toClose.pop().close();
        }
    }

    private void start(String acls, Duration reloadInterval) throws IOException {
        tokenFile = Files.writeString(dir.resolve("tokens"), TOKENS);
        aclFile = Files.writeString(dir.resolve("acls"), acls);
        ServerSecurity security = new ServerSecurity(
                null,
                ReloadingTokenAuthenticator.load(tokenFile),
                ReloadingAclAuthorizer.load(aclFile),
                NetLimits.defaults(),
                reloadInterval);
        server = GmqServer.standalone(
                GmqConfig.builder()
                        .dataDir(dir.resolve("data"))
                        .flushPolicy(FlushPolicy.OS)
                        .build(),
                "127.0.0.1",
                0,
                security);
        toClose.push(server);
    }

    /** Replaces {@code file} atomically, as an operator should (no reader sees half a file). */
    private static void replace(Path file, String content) throws IOException {
        Path tmp = Files.writeString(file.resolveSibling(file.getFileName() + ".tmp"), content);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private GmqClient as(String token) {
        GmqClient c = GmqClient.connect(ClientConfig.builder()
                .serverAddr("127.0.0.1:" + server.port())
                .token(token)
                .requestTimeout(Duration.ofSeconds(5))
                .build());
        toClose.push(c);
        return c;
    }

    private ManagedChannel channel(String token) {
        ManagedChannel ch = NettyChannelBuilder.forTarget("127.0.0.1:" + server.port())
                .usePlaintext()
                .intercept(new ChannelSecurity(null, null, null, token).tokenInterceptor())
                .build();
        toClose.push(ch::shutdownNow);
        return ch;
    }

    private static ErrorCode publishOutcome(GmqClient c, String topic) {
        try {
            c.publish(topic, "m".getBytes(StandardCharsets.UTF_8));
            return null;
        } catch (GmqException e) {
            return e.code();
        }
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + DEADLINE + ": " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    @Test
    void editingTheAclFileFlipsADeniedPublishToAllowedAndBack() throws Exception {
        start(ADMIN_ACLS, Duration.ofMillis(50));
        as("admin-token").createTopic("flip", 1);
        GmqClient alice = as("alice-token");
        assertEquals(ErrorCode.PERMISSION_DENIED, publishOutcome(alice, "flip"));

        replace(aclFile, ADMIN_ACLS + "allow alice topic:flip publish\n");
        await("alice may publish once the poller applied the new ACLs", () -> publishOutcome(alice, "flip") == null);

        replace(aclFile, ADMIN_ACLS);
        await(
                "alice is denied again once the grant is removed",
                () -> publishOutcome(alice, "flip") == ErrorCode.PERMISSION_DENIED);
    }

    @Test
    void aBrokenAclEditKeepsThePreviousRules() throws Exception {
        start(ADMIN_ACLS + "allow alice topic:kept.* publish,create\n", Duration.ZERO);
        GmqClient alice = as("alice-token");
        assertNotNull(alice.publish("kept.a", "m".getBytes(StandardCharsets.UTF_8)));

        replace(aclFile, ADMIN_ACLS + "allow alice topic:kept.* publsh\nallow alice topic:* all\n");
        GmqException e = assertThrows(GmqException.class, server::reloadSecurity);
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains(aclFile.toString()) && e.getMessage().contains("line 3"), e.getMessage());

        assertNotNull(alice.publish("kept.b", "m".getBytes(StandardCharsets.UTF_8)), "the old grant still applies");
        assertEquals(ErrorCode.PERMISSION_DENIED, publishOutcome(alice, "other"), "the broken edit's grant does not");

        replace(aclFile, ADMIN_ACLS);
        assertTrue(server.reloadSecurity(), "a fixed file is applied");
        assertEquals(ErrorCode.PERMISSION_DENIED, publishOutcome(alice, "kept.c"));
    }

    @Test
    void aRevokedTokenFailsItsNextCallAndItsOpenSessionIsClosed() throws Exception {
        start(ADMIN_ACLS + "allow alice topic:* describe\n", Duration.ZERO);
        GmqClient alice = as("alice-token");
        alice.listTopics();
        SessionProbe aliceSession = new SessionProbe(channel("alice-token"));
        SessionProbe adminSession = new SessionProbe(channel("admin-token"));
        aliceSession.heartbeat();
        adminSession.heartbeat();

        replace(tokenFile, "admin-token admin\n");
        assertTrue(server.reloadSecurity());

        GmqException e = assertThrows(GmqException.class, alice::listTopics);
        assertEquals(ErrorCode.UNAUTHENTICATED, e.code(), e.getMessage());
        Status closed = Status.fromThrowable(aliceSession.ended.get(DEADLINE.toSeconds(), TimeUnit.SECONDS));
        assertEquals(Status.Code.UNAUTHENTICATED, closed.getCode(), closed.toString());

        adminSession.heartbeat(); // sessions of tokens still listed stay open
        assertFalse(adminSession.ended.isDone());
        as("admin-token").listTopics();
    }

    @Test
    void aRevokedConsumeGrantClosesItsSubscription() throws Exception {
        String consume = "allow alice group:readers consume\nallow alice topic:feed consume\n";
        start(ADMIN_ACLS + consume, Duration.ZERO);
        as("admin-token").createTopic("feed", 1);
        SessionProbe s = new SessionProbe(channel("alice-token"));
        s.send(ClientFrame.newBuilder()
                .setSubscribe(Subscribe.newBuilder()
                        .setSubscriptionId(5)
                        .setClientId("reader")
                        .setGroup("readers")
                        .addTopics("feed")
                        .setInitialCredits(10))
                .build());
        assertTrue(s.await(f -> f.hasSubscribed() || f.hasError()).hasSubscribed());

        replace(aclFile, ADMIN_ACLS + "allow alice group:readers consume\n");
        assertTrue(server.reloadSecurity());

        ServerFrame f = s.await(ServerFrame::hasError);
        assertEquals(5, f.getError().getSubscriptionId());
        assertEquals(
                io.gmq.proto.ErrorCode.PERMISSION_DENIED,
                f.getError().getError().getCode(),
                f.toString());
        s.heartbeat(); // the session itself stays open
    }
}
