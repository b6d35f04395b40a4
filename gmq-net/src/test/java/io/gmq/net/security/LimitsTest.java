package io.gmq.net.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.net.server.GmqServer;
import io.gmq.proto.CreateTopicRequest;
import io.gmq.proto.GmqBrokerGrpc;
import io.gmq.proto.Heartbeat;
import io.gmq.proto.ListTopicsRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Connection limits (enforced at accept) and the message size limit, on real listeners on 127.0.0.1. */
final class LimitsTest {
    @TempDir
    Path dir;

    private final List<ManagedChannel> channels = new ArrayList<>();

    @AfterEach
    void closeChannels() {
        channels.forEach(ManagedChannel::shutdownNow);
    }

    private GmqServer server(GmqConfig.Builder config, NetLimits limits) {
        return GmqServer.standalone(
                config.dataDir(dir).flushPolicy(FlushPolicy.OS).build(),
                "127.0.0.1",
                0,
                ServerSecurity.none().withLimits(limits));
    }

    /** A new connection (each channel opens its own) with a ping on it. */
    private Status.Code ping(GmqServer server) {
        ManagedChannel ch = NettyChannelBuilder.forTarget("127.0.0.1:" + server.port())
                .usePlaintext()
                .build();
        channels.add(ch);
        return ping(ch);
    }

    private static Status.Code ping(ManagedChannel ch) {
        try {
            GmqBrokerGrpc.newBlockingStub(ch)
                    .withDeadlineAfter(5, TimeUnit.SECONDS)
                    .ping(Heartbeat.getDefaultInstance());
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    @Test
    void connectionBeyondTheTotalLimitIsClosedAtAcceptAndAFreedSlotIsReused() {
        try (GmqServer server = server(GmqConfig.builder(), NetLimits.defaults().withConnections(2, 2))) {
            assertEquals(Status.Code.OK, ping(server));
            assertEquals(Status.Code.OK, ping(server));
            // Closed at accept: the client sees its connection end, which gRPC reports as UNAVAILABLE.
            assertEquals(Status.Code.UNAVAILABLE, ping(server));
            assertTrue(server.connections().rejectedConnections() >= 1);
            // The accepted connections keep working.
            assertEquals(Status.Code.OK, ping(channels.get(0)));

            // Closing an accepted connection frees its slot (once the server has seen it close).
            channels.remove(0).shutdownNow();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (ping(server) != Status.Code.OK) {
                assertTrue(System.nanoTime() < deadline, "no connection slot was freed within 10 s");
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
        }
    }

    @Test
    void connectionBeyondThePerAddressLimitIsClosedAtAccept() {
        try (GmqServer server = server(GmqConfig.builder(), NetLimits.defaults().withConnections(100, 1))) {
            assertEquals(Status.Code.OK, ping(server));
            ManagedChannel second = NettyChannelBuilder.forTarget("127.0.0.1:" + server.port())
                    .usePlaintext()
                    .build();
            channels.add(second);
            StatusRuntimeException e = assertThrows(
                    StatusRuntimeException.class,
                    () -> GmqBrokerGrpc.newBlockingStub(second)
                            .withDeadlineAfter(5, TimeUnit.SECONDS)
                            .listTopics(ListTopicsRequest.getDefaultInstance()));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getMessage());
            assertEquals(1, server.connections().openConnections());
        }
    }

    /**
     * The server writes its HTTP/2 SETTINGS frame as soon as it has set a connection up; a refused
     * socket ends without a single byte from the server, so no TLS or HTTP/2 work was done for it.
     */
    @Test
    void refusedSocketEndsBeforeTheServerWritesAnyByte() throws IOException {
        try (GmqServer server = server(GmqConfig.builder(), NetLimits.defaults().withConnections(1, 1));
                SocketChannel admitted = SocketChannel.open(new InetSocketAddress("127.0.0.1", server.port()))) {
            admitted.socket().setSoTimeout(5000);
            byte[] head = new byte[9]; // an HTTP/2 frame header
            assertEquals(9, admitted.socket().getInputStream().readNBytes(head, 0, 9), "SETTINGS from the server");
            assertEquals(4, head[3], "frame type SETTINGS");

            try (SocketChannel refused = SocketChannel.open(new InetSocketAddress("127.0.0.1", server.port()))) {
                refused.socket().setSoTimeout(5000);
                assertEquals(-1, readOrEnd(refused), "a refused socket is closed without any byte");
            }
            assertEquals(1, server.connections().openConnections());
            assertEquals(1, server.connections().rejectedConnections());
        }
    }

    @Test
    void openConnectionCountReturnsToZeroWhenClientsLeave() {
        try (GmqServer server = server(GmqConfig.builder(), NetLimits.defaults().withConnections(10, 10))) {
            for (int i = 0; i < 3; i++) {
                assertEquals(Status.Code.OK, ping(server));
            }
            assertEquals(3, server.connections().openConnections());
            channels.forEach(ManagedChannel::shutdownNow);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (server.connections().openConnections() != 0) {
                assertTrue(
                        System.nanoTime() < deadline,
                        "connections still counted: " + server.connections().openConnections());
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
            assertEquals(0, server.connections().rejectedConnections());
        }
    }

    /** The first byte, or -1 when the peer ended the connection (a reset counts as an end). */
    private static int readOrEnd(SocketChannel ch) throws IOException {
        try {
            return ch.socket().getInputStream().read();
        } catch (SocketException reset) {
            return -1;
        }
    }

    /**
     * A message over maxBatchBytes plus envelope is refused from its 5-byte gRPC length prefix:
     * grpc's deframer fails the call with RESOURCE_EXHAUSTED before reading the body, so the
     * server never holds the payload. The connection stays usable.
     */
    @Test
    void oversizedMessageIsRejectedWithResourceExhausted() {
        int maxBatch = 64 * 1024;
        try (GmqServer server =
                server(GmqConfig.builder().maxMessageBytes(maxBatch).maxBatchBytes(maxBatch), NetLimits.defaults())) {
            ManagedChannel ch = NettyChannelBuilder.forTarget("127.0.0.1:" + server.port())
                    .usePlaintext()
                    .build();
            channels.add(ch);
            String huge = "t".repeat(maxBatch + 2 * 64 * 1024);
            StatusRuntimeException e = assertThrows(
                    StatusRuntimeException.class,
                    () -> GmqBrokerGrpc.newBlockingStub(ch)
                            .createTopic(CreateTopicRequest.newBuilder()
                                    .setTopic(huge)
                                    .setPartitions(1)
                                    .build()));
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getMessage());
            assertTrue(e.getStatus().getDescription().contains("exceeds maximum size"), e.getMessage());
            assertEquals(Status.Code.OK, ping(ch));
        }
    }

    @Test
    void oversizedHeadersAreRefusedByTheTransport() {
        try (GmqServer server = server(GmqConfig.builder(), NetLimits.defaults())) {
            io.grpc.Metadata.Key<String> key =
                    io.grpc.Metadata.Key.of("x-padding", io.grpc.Metadata.ASCII_STRING_MARSHALLER);
            io.grpc.Metadata headers = new io.grpc.Metadata();
            headers.put(key, "p".repeat(NetLimits.DEFAULT_MAX_INBOUND_METADATA_BYTES * 2));
            ManagedChannel ch = NettyChannelBuilder.forTarget("127.0.0.1:" + server.port())
                    .usePlaintext()
                    .build();
            channels.add(ch);
            StatusRuntimeException e = assertThrows(
                    StatusRuntimeException.class,
                    () -> GmqBrokerGrpc.newBlockingStub(ch)
                            .withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(headers))
                            .withDeadlineAfter(5, TimeUnit.SECONDS)
                            .ping(Heartbeat.getDefaultInstance()));
            // Netty's HTTP/2 decoder refuses the header block; grpc reports that to the client as
            // INTERNAL "http2 exception". The server is unaffected.
            assertEquals(Status.Code.INTERNAL, e.getStatus().getCode(), e.getMessage());
            assertEquals(Status.Code.OK, ping(server));
        }
    }
}
