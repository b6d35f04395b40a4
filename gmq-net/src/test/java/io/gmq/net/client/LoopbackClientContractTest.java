package io.gmq.net.client;

import io.gmq.GmqConfig;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.net.server.GmqServer;

/** The contract over real TCP: a standalone server on 127.0.0.1, port 0, and {@link GmqClient#connect}. */
final class LoopbackClientContractTest extends GmqClientContract {
    private GmqServer server;

    @Override
    void start(GmqConfig engine) {
        server = GmqServer.standalone(engine, "127.0.0.1", 0);
    }

    @Override
    GmqClient newClient(ClientConfig.Builder settings) {
        return GmqClient.connect(
                settings.serverAddr("127.0.0.1:" + server.port()).build());
    }

    @Override
    void stop() {
        if (server != null) {
            server.close();
        }
    }
}
