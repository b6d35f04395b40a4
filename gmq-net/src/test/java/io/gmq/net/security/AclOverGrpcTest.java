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
import io.gmq.OffsetSpec;
import io.gmq.TopicInfo;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.net.server.GmqServer;
import io.gmq.net.testing.SessionProbe;
import io.gmq.proto.ClientFrame;
import io.gmq.proto.GmqBrokerGrpc;
import io.gmq.proto.GmqStorageGrpc;
import io.gmq.proto.ListTopicsRequest;
import io.gmq.proto.PublishBatch;
import io.gmq.proto.ServerFrame;
import io.gmq.proto.Subscribe;
import io.gmq.security.AclFile;
import io.gmq.security.Authorizer;
import io.gmq.security.StaticTokenAuthenticator;
import io.gmq.storage.BatchFormat;
import io.gmq.wire.ChannelSecurity;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Authentication and ACLs end to end: a standalone server with a token file and an ACL file, and
 * clients on 127.0.0.1 acting as different principals. Every denial is checked to have changed
 * nothing (listing as admin afterwards).
 */
final class AclOverGrpcTest {
    static final String TOKENS = """
            admin-token admin
            alice-token alice
            bob-token   bob
            carol-token carol
            """;
    static final String ACLS = """
            allow admin topic:*            all
            allow admin group:*            all
            allow admin cluster            admin
            allow alice topic:orders.*     publish,create,describe
            deny  alice topic:orders.secret all
            allow bob   topic:orders.eu    consume
            allow bob   group:billing-*    consume
            allow carol topic:logs.*       publish
            """;

    @TempDir
    static Path dir;

    static GmqServer server;
    static String address;
    static final List<AutoCloseable> CLOSE = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens"), TOKENS);
        Path acls = Files.writeString(dir.resolve("acls"), ACLS);
        ServerSecurity security = new ServerSecurity(
                null,
                StaticTokenAuthenticator.fromFile(tokens),
                Authorizer.fromAcls(AclFile.load(acls)),
                NetLimits.defaults());
        server = GmqServer.standalone(
                GmqConfig.builder()
                        .dataDir(dir.resolve("data"))
                        .flushPolicy(FlushPolicy.OS)
                        .build(),
                "127.0.0.1",
                0,
                security);
        address = "127.0.0.1:" + server.port();
        GmqClient admin = as("admin-token");
        admin.createTopic("orders.eu", 2);
        admin.createTopic("payments", 1);
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : CLOSE) {
            c.close();
        }
        server.close();
    }

    static GmqClient as(String token) {
        GmqClient c = GmqClient.connect(ClientConfig.builder()
                .serverAddr(address)
                .token(token)
                .requestTimeout(Duration.ofSeconds(5))
                .build());
        CLOSE.add(0, c);
        return c;
    }

    static ManagedChannel channel(String token) {
        ManagedChannel ch = NettyChannelBuilder.forTarget(address)
                .usePlaintext()
                .intercept(new ChannelSecurity(null, null, null, token).tokenInterceptor())
                .build();
        CLOSE.add(0, ch::shutdownNow);
        return ch;
    }

    static Set<String> topicsAsAdmin() {
        return as("admin-token").listTopics().stream().map(TopicInfo::name).collect(Collectors.toSet());
    }

    static void assertCode(ErrorCode code, Runnable r) {
        GmqException e = assertThrows(GmqException.class, r::run);
        assertEquals(code, e.code(), e.getMessage());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ---- authentication -----------------------------------------------------------------------

    @Test
    void missingTokenIsUnauthenticated() {
        assertCode(
                ErrorCode.UNAUTHENTICATED,
                () -> GmqClient.connect(ClientConfig.builder()
                                .serverAddr(address)
                                .requestTimeout(Duration.ofSeconds(5))
                                .build())
                        .close());
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> GmqBrokerGrpc.newBlockingStub(channel(null)).listTopics(ListTopicsRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    }

    @Test
    void wrongTokenIsUnauthenticated() {
        assertCode(ErrorCode.UNAUTHENTICATED, () -> as("not-a-token"));
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> GmqBrokerGrpc.newBlockingStub(channel("alice-token-but-longer"))
                        .listTopics(ListTopicsRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    }

    @Test
    void healthCheckNeedsNoToken() {
        HealthCheckResponse r =
                HealthGrpc.newBlockingStub(channel(null)).check(HealthCheckRequest.getDefaultInstance());
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, r.getStatus());
    }

    // ---- publish and auto-create ----------------------------------------------------------------

    @Test
    void prefixAclAllowsPublishAndAutoCreateUnderThePrefix() {
        as("alice-token").publish("orders.us", bytes("o-1"));
        assertTrue(topicsAsAdmin().contains("orders.us"));
    }

    @Test
    void denyWinsOverAPrefixAllowAndCreatesNothing() {
        assertCode(ErrorCode.PERMISSION_DENIED, () -> as("alice-token").publish("orders.secret", bytes("s")));
        assertFalse(topicsAsAdmin().contains("orders.secret"));
    }

    @Test
    void publishWithoutPublishGrantIsDenied() {
        long before = as("admin-token").describeTopic("orders.eu").partitions().stream()
                .mapToLong(p -> p.highWatermark())
                .sum();
        assertCode(ErrorCode.PERMISSION_DENIED, () -> as("bob-token").publish("orders.eu", bytes("b")));
        long after = as("admin-token").describeTopic("orders.eu").partitions().stream()
                .mapToLong(p -> p.highWatermark())
                .sum();
        assertEquals(before, after);
    }

    @Test
    void autoCreateWithoutCreateGrantIsDeniedAndCreatesNothing() {
        GmqClient carol = as("carol-token");
        assertCode(ErrorCode.PERMISSION_DENIED, () -> carol.publish("logs.new", bytes("l")));
        assertFalse(topicsAsAdmin().contains("logs.new"));

        // The same over the raw session path (a publish frame names its partition directly).
        try (SessionProbe s = new SessionProbe(channel("carol-token"))) {
            s.send(ClientFrame.newBuilder()
                    .setPublish(PublishBatch.newBuilder()
                            .setRequestId(7)
                            .setTopic("logs.raw")
                            .setPartition(0)
                            .setBatch(com.google.protobuf.ByteString.copyFrom(new byte[BatchFormat.HEADER_LENGTH])))
                    .build());
            ServerFrame ack = s.await(ServerFrame::hasPublishAck);
            assertEquals(
                    io.gmq.proto.ErrorCode.PERMISSION_DENIED,
                    ack.getPublishAck().getError().getCode());
        }
        assertFalse(topicsAsAdmin().contains("logs.raw"));

        // Once an admin has created it, carol's PUBLISH grant is enough.
        as("admin-token").createTopic("logs.app", 1);
        assertNotNull(carol.publish("logs.app", bytes("l")));
    }

    // ---- consume --------------------------------------------------------------------------------

    @Test
    void subscribeNeedsConsumeOnTheGroupAndTheTopic() {
        try (SessionProbe s = new SessionProbe(channel("bob-token"))) {
            s.send(subscribe(1, "billing-1", "orders.eu"));
            assertTrue(s.await(f -> f.hasSubscribed() || f.hasError()).hasSubscribed());

            s.send(subscribe(2, "marketing", "orders.eu"));
            assertDenied(s.await(f -> f.hasError() || f.hasSubscribed()));

            s.send(subscribe(3, "billing-2", "payments"));
            assertDenied(s.await(f -> f.hasError() || f.hasSubscribed()));

            s.send(subscribe(4, "billing-3", "orders.nowhere"));
            assertDenied(s.await(f -> f.hasError() || f.hasSubscribed()));
        }
        assertFalse(topicsAsAdmin().contains("orders.nowhere"));
        assertFalse(as("admin-token").listGroups().contains("marketing"));
    }

    // ---- admin calls ----------------------------------------------------------------------------

    @Test
    void createNeedsCreate() {
        assertCode(ErrorCode.PERMISSION_DENIED, () -> as("carol-token").createTopic("logs.created", 1));
        assertFalse(topicsAsAdmin().contains("logs.created"));
        assertEquals(
                "orders.created",
                as("alice-token").createTopic("orders.created", 1).name());
    }

    @Test
    void describeNeedsDescribeAndListingShowsOnlyDescribableTopics() {
        assertCode(ErrorCode.PERMISSION_DENIED, () -> as("bob-token").describeTopic("orders.eu"));
        assertEquals("orders.eu", as("alice-token").describeTopic("orders.eu").name());
        Set<String> visible =
                as("alice-token").listTopics().stream().map(TopicInfo::name).collect(Collectors.toSet());
        assertTrue(visible.contains("orders.eu"));
        assertTrue(visible.stream().allMatch(t -> t.startsWith("orders.")), visible.toString());
        assertTrue(as("bob-token").listTopics().isEmpty());
    }

    @Test
    void deleteNeedsDelete() {
        as("admin-token").createTopic("orders.doomed", 1);
        assertCode(ErrorCode.PERMISSION_DENIED, () -> as("alice-token").deleteTopic("orders.doomed"));
        assertTrue(topicsAsAdmin().contains("orders.doomed"));
        as("admin-token").deleteTopic("orders.doomed");
        assertFalse(topicsAsAdmin().contains("orders.doomed"));
    }

    @Test
    void resetOffsetsNeedsAdminOnTheGroup() {
        assertCode(
                ErrorCode.PERMISSION_DENIED,
                () -> as("bob-token").resetOffsets("billing-1", "orders.eu", OffsetSpec.earliest()));
        assertCode(ErrorCode.PERMISSION_DENIED, () -> as("bob-token").describeGroup("billing-1"));
    }

    @Test
    void storageMembershipChangesNeedAdminOnTheCluster() {
        assertCode(ErrorCode.PERMISSION_DENIED, () -> as("alice-token").addStorageNode("4", "127.0.0.1:6104"));
        assertCode(ErrorCode.PERMISSION_DENIED, () -> as("alice-token").removeStorageNode("1"));
        // Allowed, and refused by the storage: this server's is a single data directory.
        assertCode(ErrorCode.FAILED_PRECONDITION, () -> as("admin-token").addStorageNode("4", "127.0.0.1:6104"));
        assertCode(ErrorCode.FAILED_PRECONDITION, () -> as("admin-token").removeStorageNode("1"));
    }

    @Test
    void storageServiceIsForBrokersOnly() {
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> GmqStorageGrpc.newBlockingStub(channel("alice-token"))
                        .listTopics(ListTopicsRequest.getDefaultInstance()));
        assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
        assertTrue(GmqStorageGrpc.newBlockingStub(channel("admin-token"))
                        .listTopics(ListTopicsRequest.getDefaultInstance())
                        .getTopicsCount()
                > 0);
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static ClientFrame subscribe(long id, String group, String topic) {
        return ClientFrame.newBuilder()
                .setSubscribe(Subscribe.newBuilder()
                        .setSubscriptionId(id)
                        .setClientId("t")
                        .setGroup(group)
                        .addTopics(topic)
                        .setInitialCredits(10))
                .build();
    }

    private static void assertDenied(ServerFrame f) {
        assertTrue(f.hasError(), f.toString());
        assertEquals(
                io.gmq.proto.ErrorCode.PERMISSION_DENIED,
                f.getError().getError().getCode(),
                f.toString());
    }
}
