package io.gmq.net.it;

import io.gmq.GmqConfig;
import io.gmq.broker.BrokerEngine;
import io.gmq.internal.log.LogFileIO;
import io.gmq.internal.storage.LocalStorage;
import io.gmq.internal.storage.TestStorage;
import io.gmq.net.broker.BrokerService;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * A standalone GMQ server (broker + storage) inside the test JVM, on 127.0.0.1 port 0, whose
 * partition logs go through a given {@link LogFileIO}: how a test injects disk faults
 * ({@code FailingFileIO}) or power loss ({@code PowerLossFileIO}) under the real gRPC layer.
 * Clients talk to it exactly as to a server process.
 */
final class InProcessServer implements AutoCloseable {
    private final LocalStorage storage;
    private final BrokerEngine engine;
    private final Server server;

    private InProcessServer(LocalStorage storage, BrokerEngine engine, Server server) {
        this.storage = storage;
        this.engine = engine;
        this.server = server;
    }

    static InProcessServer start(GmqConfig config, LogFileIO io) throws IOException {
        LocalStorage storage = TestStorage.open(config, io);
        BrokerEngine engine = new BrokerEngine(storage, config);
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .maxInboundMessageSize(config.maxBatchBytes() + 64 * 1024)
                .addService(new BrokerService(engine))
                .build();
        try {
            server.start();
        } catch (IOException | RuntimeException e) {
            engine.close();
            storage.close();
            throw e;
        }
        return new InProcessServer(storage, engine, server);
    }

    String address() {
        return "127.0.0.1:" + server.getPort();
    }

    /**
     * Stops serving at once (in-flight calls end UNAVAILABLE) and closes the engine and storage.
     * Closing after a simulated power cut may fail inside the dead file layer; that is ignored,
     * since the point of a power cut is that nothing is closed cleanly.
     */
    @Override
    public void close() throws InterruptedException {
        server.shutdownNow();
        server.awaitTermination(10, TimeUnit.SECONDS);
        try {
            engine.close();
        } catch (RuntimeException ignored) {
            // a dead file layer
        }
        try {
            storage.close();
        } catch (RuntimeException ignored) {
            // a dead file layer
        }
    }
}
