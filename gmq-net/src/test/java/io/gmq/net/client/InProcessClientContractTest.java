package io.gmq.net.client;

import io.gmq.Gmq;
import io.gmq.GmqConfig;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.client.internal.RemoteGmqClient;
import io.gmq.net.broker.BrokerService;
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

    private Gmq gmq;
    private Server server;
    private String name;

    @Override
    void start(GmqConfig engine) throws Exception {
        gmq = Gmq.open(engine);
        name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name)
                .addService(new BrokerService(gmq.engine()))
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
            if (gmq != null) {
                gmq.close();
            }
        }
    }
}
