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
import io.gmq.TopicInfo;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.net.server.GmqServer;
import io.gmq.proto.GmqStorageGrpc;
import io.gmq.proto.ListTopicsRequest;
import io.gmq.security.AclFile;
import io.gmq.security.Authorizer;
import io.gmq.security.Principal;
import io.gmq.security.StaticTokenAuthenticator;
import io.gmq.wire.ChannelSecurity;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS client certificates as principals, end to end over gRPC on 127.0.0.1: ACLs apply to
 * certificate principals as to token principals, a token takes precedence over the certificate,
 * and a broker certificate opens the storage gate.
 */
final class CertificatePrincipalTest {
    static final String CN_ACLS = """
            allow admin  topic:*        all
            allow admin  group:*        all
            allow alice  topic:orders.* publish,create,describe
            allow bob    topic:bob.*    publish,create
            """;

    @TempDir
    static Path pkiDir;

    @TempDir
    Path data;

    static TestPki ca;
    static TestPki.Issued serverCert;
    static TestPki.Issued admin;
    static TestPki.Issued alice;
    static TestPki.Issued bob;

    @BeforeAll
    static void issueCertificates() throws Exception {
        ca = TestPki.create(pkiDir, "principals");
        serverCert = ca.server("server");
        admin = ca.client("admin");
        alice = ca.client("alice");
        bob = ca.client("bob");
    }

    private GmqServer standalone(ServerSecurity security) {
        return GmqServer.standalone(
                GmqConfig.builder()
                        .dataDir(data.resolve("s"))
                        .flushPolicy(FlushPolicy.OS)
                        .build(),
                "127.0.0.1",
                0,
                security);
    }

    private static ServerSecurity mutualTls(ClientCertPrincipal mapping, String acls, StaticTokenAuthenticator tokens) {
        return new ServerSecurity(
                new ServerTls(serverCert.cert(), serverCert.key(), ca.caFile, mapping),
                tokens,
                Authorizer.fromAcls(AclFile.parse(List.of(acls.split("\n")), "test ACLs")),
                NetLimits.defaults());
    }

    private static GmqClient as(GmqServer server, TestPki.Issued cert, String token) {
        ClientConfig.Builder b = ClientConfig.builder()
                .serverAddr("127.0.0.1:" + server.port())
                .requestTimeout(Duration.ofSeconds(5))
                .tls(ca.caFile)
                .tlsClientCert(cert.cert(), cert.key());
        if (token != null) {
            b.token(token);
        }
        return GmqClient.connect(b.build());
    }

    private static Set<String> topics(GmqServer server) {
        try (GmqClient c = as(server, admin, null)) {
            return c.listTopics().stream().map(TopicInfo::name).collect(Collectors.toSet());
        }
    }

    private static void assertCode(ErrorCode code, Runnable r) {
        GmqException e = assertThrows(GmqException.class, r::run);
        assertEquals(code, e.code(), e.getMessage());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void certificateCnIsThePrincipalTheAclsAllowOrDeny() {
        try (GmqServer server = standalone(mutualTls(ClientCertPrincipal.CN, CN_ACLS, null))) {
            try (GmqClient c = as(server, alice, null)) {
                assertNotNull(c.publish("orders.eu", bytes("o-1")));
            }
            assertTrue(topics(server).contains("orders.eu"));
            try (GmqClient c = as(server, bob, null)) {
                assertCode(ErrorCode.PERMISSION_DENIED, () -> c.publish("orders.us", bytes("b")));
            }
            assertFalse(topics(server).contains("orders.us"), "a denied publish creates nothing");
        }
    }

    @Test
    void fullSubjectDnIsTheDefaultPrincipalWithSpacesEscaped() throws Exception {
        TestPki.Issued dana = ca.clientWithSubject("dana", "CN=dana,O=Acme Corp");
        TestPki.Issued danaElsewhere = ca.clientWithSubject("dana-other", "CN=dana,O=Other");
        String acls = """
                allow CN=admin             topic:* all
                allow CN=dana,O=Acme\\20Corp topic:dn.* publish,create
                """;
        ServerSecurity security = mutualTls(null, acls, null);
        assertEquals(ClientCertPrincipal.DN, security.clientPrincipal());
        try (GmqServer server = standalone(security)) {
            try (GmqClient c = as(server, dana, null)) {
                assertNotNull(c.publish("dn.ok", bytes("d")));
            }
            try (GmqClient c = as(server, danaElsewhere, null)) {
                assertCode(ErrorCode.PERMISSION_DENIED, () -> c.publish("dn.other", bytes("d")));
            }
            try (GmqClient c = as(server, admin, null)) {
                Set<String> names = c.listTopics().stream().map(TopicInfo::name).collect(Collectors.toSet());
                assertTrue(names.contains("dn.ok"), names.toString());
                assertFalse(names.contains("dn.other"), names.toString());
            }
        }
    }

    @Test
    void aTokenTakesPrecedenceOverTheCertificate() {
        StaticTokenAuthenticator tokens = StaticTokenAuthenticator.of(Map.of("bob-token", new Principal("bob")));
        try (GmqServer server = standalone(mutualTls(ClientCertPrincipal.CN, CN_ACLS, tokens))) {
            // alice's certificate with bob's token acts as bob: alice's grant does not apply...
            try (GmqClient c = as(server, alice, "bob-token")) {
                assertCode(ErrorCode.PERMISSION_DENIED, () -> c.publish("orders.mixed", bytes("x")));
                // ...bob's does.
                assertNotNull(c.publish("bob.mixed", bytes("x")));
            }
            // Without a token, the certificate names the principal.
            try (GmqClient c = as(server, alice, null)) {
                assertNotNull(c.publish("orders.cert", bytes("x")));
            }
            Set<String> names = topics(server);
            assertFalse(names.contains("orders.mixed"));
            assertTrue(names.containsAll(Set.of("bob.mixed", "orders.cert")), names.toString());
        }
    }

    @Test
    void anUnknownTokenFailsEvenWithAValidCertificate() {
        StaticTokenAuthenticator tokens = StaticTokenAuthenticator.of(Map.of("bob-token", new Principal("bob")));
        try (GmqServer server = standalone(mutualTls(ClientCertPrincipal.CN, CN_ACLS, tokens))) {
            assertCode(ErrorCode.UNAUTHENTICATED, () -> as(server, alice, "not-a-token"));
        }
    }

    @Test
    void withATokenFileCertificatesNamePrincipalsOnlyWhenAskedTo() {
        StaticTokenAuthenticator tokens = StaticTokenAuthenticator.of(Map.of("bob-token", new Principal("bob")));
        ServerSecurity security = mutualTls(null, CN_ACLS, tokens);
        assertEquals(ClientCertPrincipal.OFF, security.clientPrincipal());
        try (GmqServer server = standalone(security)) {
            assertCode(ErrorCode.UNAUTHENTICATED, () -> as(server, alice, null));
        }
    }

    @Test
    void aBrokerCertificateOpensTheStorageGateAndAClientCertificateDoesNot() throws Exception {
        TestPki.Issued brokerCert = ca.client("broker-1");
        ServerSecurity storageSecurity = mutualTls(ClientCertPrincipal.CN, "allow broker-1 cluster admin\n", null);
        try (GmqServer storage = GmqServer.storage(
                        GmqConfig.builder()
                                .dataDir(data.resolve("st"))
                                .flushPolicy(FlushPolicy.OS)
                                .build(),
                        "127.0.0.1",
                        0,
                        storageSecurity);
                GmqServer broker = GmqServer.broker(
                        GmqConfig.builder()
                                .dataDir(data.resolve("b"))
                                .flushPolicy(FlushPolicy.OS)
                                .build(),
                        "127.0.0.1",
                        0,
                        "127.0.0.1:" + storage.port(),
                        ServerSecurity.none(),
                        new ChannelSecurity(ca.caFile, brokerCert.cert(), brokerCert.key(), null));
                GmqClient c = GmqClient.connect(ClientConfig.builder()
                        .serverAddr("127.0.0.1:" + broker.port())
                        .requestTimeout(Duration.ofSeconds(5))
                        .build())) {
            c.createTopic("via-cert", 1);
            assertNotNull(c.publish("via-cert", bytes("x")));

            ManagedChannel ch = NettyChannelBuilder.forTarget(
                            "127.0.0.1:" + storage.port(),
                            new ChannelSecurity(ca.caFile, alice.cert(), alice.key(), null).credentials())
                    .build();
            try {
                StatusRuntimeException e = assertThrows(
                        StatusRuntimeException.class,
                        () -> GmqStorageGrpc.newBlockingStub(ch)
                                .withDeadlineAfter(5, TimeUnit.SECONDS)
                                .listTopics(ListTopicsRequest.getDefaultInstance()));
                assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
            } finally {
                ch.shutdownNow();
            }
        }
    }
}
