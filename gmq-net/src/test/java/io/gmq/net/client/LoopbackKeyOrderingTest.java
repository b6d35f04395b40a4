package io.gmq.net.client;

import io.gmq.GmqConfig;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.net.server.GmqServer;

/** Key ordering, nack delays and backoff over real TCP: a server on 127.0.0.1, port 0. */
final class LoopbackKeyOrderingTest extends KeyOrderingContract {
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
