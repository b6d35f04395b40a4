package io.gmq.net.client;

import io.gmq.GmqConfig;
import io.gmq.broker.BrokerEngine;
import io.gmq.broker.Storages;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.client.internal.RemoteGmqClient;
import io.gmq.net.broker.BrokerService;
import io.gmq.storage.Storage;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.util.concurrent.TimeUnit;

/**
 * The contract through the network client and the broker service over grpc's in-process transport:
 * the whole gRPC path (frames, sessions, status codes) without sockets.
 */
final class InProcessClientContractTest extends GmqClientContract {
    /** A placeholder the channel factory ignores; the address must still parse as host:port. */
    private static final String ADDRESS = "in-process:1";

    private Storage storage;
    private BrokerEngine engine;
    private Server server;
    private String name;

    @Override
    void start(GmqConfig config) throws Exception {
        storage = Storages.openLocal(config);
        engine = new BrokerEngine(storage, config);
        name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name)
                .addService(new BrokerService(engine))
                .build()
                .start();
    }

    @Override
    GmqClient newClient(ClientConfig.Builder settings) {
        return RemoteGmqClient.connect(
                settings.serverAddr(ADDRESS).build(),
                addr -> InProcessChannelBuilder.forName(name).build());
    }

    @Override
    void stop() throws Exception {
        try {
            if (server != null) {
                server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            }
        } finally {
            if (engine != null) {
                engine.close();
            }
            if (storage != null) {
                storage.close();
            }
        }
    }
}
