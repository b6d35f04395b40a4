package io.gmq.net.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.net.server.GmqServer;
import io.gmq.proto.GmqStorageGrpc;
import io.gmq.proto.ListTopicsRequest;
import io.gmq.security.Principal;
import io.gmq.security.StaticTokenAuthenticator;
import io.gmq.wire.ChannelSecurity;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS and mutual TLS on the client and storage ports, with certificates made by the test. */
final class TlsTest {
    @TempDir
    static Path pkiDir;

    @TempDir
    Path data;

    static TestPki ca;
    static TestPki otherCa;
    static TestPki.Issued serverCert;
    static TestPki.Issued clientCert;
    static TestPki.Issued strangerCert;

    @BeforeAll
    static void issueCertificates() throws Exception {
        ca = TestPki.create(pkiDir, "gmq-test");
        otherCa = TestPki.create(pkiDir, "other");
        serverCert = ca.server("server");
        clientCert = ca.client("client");
        strangerCert = otherCa.client("stranger");
    }

    private GmqConfig config(String sub) {
        return GmqConfig.builder()
                .dataDir(data.resolve(sub))
                .flushPolicy(FlushPolicy.OS)
                .build();
    }

    private static ServerSecurity tls(Path clientCa) {
        return new ServerSecurity(
                new ServerTls(serverCert.cert(), serverCert.key(), clientCa), null, null, NetLimits.defaults());
    }

    private static ClientConfig.Builder client(GmqServer server) {
        return ClientConfig.builder().serverAddr("127.0.0.1:" + server.port()).requestTimeout(Duration.ofSeconds(5));
    }

    @Test
    void clientTrustingTheCaTalksToTlsServer() {
        try (GmqServer server = GmqServer.standalone(config("s"), "127.0.0.1", 0, tls(null));
                GmqClient c = GmqClient.connect(client(server).tls(ca.caFile).build())) {
            c.createTopic("secure", 1);
            c.publish("secure", "hello".getBytes(StandardCharsets.UTF_8));
            assertEquals(1, c.describeTopic("secure").partitions().get(0).highWatermark());
        }
    }

    @Test
    void plaintextClientCannotTalkToTlsServer() {
        try (GmqServer server = GmqServer.standalone(config("s"), "127.0.0.1", 0, tls(null))) {
            GmqException e = assertThrows(
                    GmqException.class,
                    () -> GmqClient.connect(client(server).build()).close());
            assertEquals(ErrorCode.UNAVAILABLE, e.code());
        }
    }

    @Test
    void clientTrustingAnotherCaRejectsTheServer() {
        try (GmqServer server = GmqServer.standalone(config("s"), "127.0.0.1", 0, tls(null))) {
            GmqException e = assertThrows(
                    GmqException.class,
                    () -> GmqClient.connect(client(server).tls(otherCa.caFile).build())
                            .close());
            assertEquals(ErrorCode.UNAVAILABLE, e.code());
        }
    }

    @Test
    void mutualTlsAcceptsOnlyClientsWithACertificateFromTheClientCa() {
        try (GmqServer server = GmqServer.standalone(config("s"), "127.0.0.1", 0, tls(ca.caFile))) {
            try (GmqClient c = GmqClient.connect(client(server)
                    .tls(ca.caFile)
                    .tlsClientCert(clientCert.cert(), clientCert.key())
                    .build())) {
                assertEquals("mtls", c.createTopic("mtls", 1).name());
            }
            GmqException noCert = assertThrows(
                    GmqException.class,
                    () -> GmqClient.connect(client(server).tls(ca.caFile).build())
                            .close());
            assertEquals(ErrorCode.UNAVAILABLE, noCert.code());
            GmqException wrongCa = assertThrows(
                    GmqException.class,
                    () -> GmqClient.connect(client(server)
                                    .tls(ca.caFile)
                                    .tlsClientCert(strangerCert.cert(), strangerCert.key())
                                    .build())
                            .close());
            assertEquals(ErrorCode.UNAVAILABLE, wrongCa.code());
        }
    }

    @Test
    void replacedServerCertificateIsServedToNewConnectionsAfterAReload() throws Exception {
        TestPki.Issued renewed = otherCa.server("renewed");
        Path cert = Files.copy(serverCert.cert(), data.resolve("live.pem"));
        Path key = Files.copy(serverCert.key(), data.resolve("live-key.pem"));
        ServerSecurity security =
                new ServerSecurity(new ServerTls(cert, key, null), null, null, NetLimits.defaults(), Duration.ZERO);
        try (GmqServer server = GmqServer.standalone(config("s"), "127.0.0.1", 0, security)) {
            GmqClient.connect(client(server).tls(ca.caFile).build()).close();

            // Half-way through a rotation (new certificate, old key): refused, the old pair stays.
            Files.copy(renewed.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
            GmqException mismatch = assertThrows(GmqException.class, server::reloadSecurity);
            assertTrue(mismatch.getMessage().contains("does not belong"), mismatch.getMessage());
            GmqClient.connect(client(server).tls(ca.caFile).build()).close();

            Files.copy(renewed.key(), key, StandardCopyOption.REPLACE_EXISTING);
            assertTrue(server.reloadSecurity());
            GmqClient.connect(client(server).tls(otherCa.caFile).build()).close();
            GmqException old = assertThrows(
                    GmqException.class,
                    () -> GmqClient.connect(client(server).tls(ca.caFile).build())
                            .close());
            assertEquals(ErrorCode.UNAVAILABLE, old.code());
        }
    }

    @Test
    void brokerReachesStorageOverMutualTlsWithItsToken() {
        ServerSecurity storageSecurity = new ServerSecurity(
                new ServerTls(serverCert.cert(), serverCert.key(), ca.caFile),
                StaticTokenAuthenticator.of(Map.of("broker-secret", new Principal("broker-1"))),
                null,
                NetLimits.defaults());
        TestPki.Issued brokerCert;
        try {
            brokerCert = ca.client("broker-1");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        try (GmqServer storage = GmqServer.storage(config("st"), "127.0.0.1", 0, storageSecurity);
                GmqServer broker = GmqServer.broker(
                        config("b"),
                        "127.0.0.1",
                        0,
                        "127.0.0.1:" + storage.port(),
                        ServerSecurity.none(),
                        new ChannelSecurity(ca.caFile, brokerCert.cert(), brokerCert.key(), "broker-secret"));
                GmqClient c = GmqClient.connect(client(broker).build())) {
            c.createTopic("via-broker", 2);
            c.publish("via-broker", "x".getBytes(StandardCharsets.UTF_8));
            assertTrue(c.listTopics().stream().anyMatch(t -> t.name().equals("via-broker")));

            // The same certificate without the broker token: the storage port refuses it.
            ManagedChannel ch = NettyChannelBuilder.forTarget(
                            "127.0.0.1:" + storage.port(),
                            new ChannelSecurity(ca.caFile, brokerCert.cert(), brokerCert.key(), null).credentials())
                    .build();
            try {
                StatusRuntimeException e = assertThrows(
                        StatusRuntimeException.class,
                        () -> GmqStorageGrpc.newBlockingStub(ch)
                                .withDeadlineAfter(5, TimeUnit.SECONDS)
                                .listTopics(ListTopicsRequest.getDefaultInstance()));
                assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
            } finally {
                ch.shutdownNow();
            }
        }
    }
}
