package io.gmq.net.client;

import io.gmq.Gmq;
import io.gmq.GmqConfig;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.client.internal.EmbeddedGmqClient;

/** Key ordering, nack delays and backoff against the embedded client. */
final class EmbeddedKeyOrderingTest extends KeyOrderingContract {
    private Gmq gmq;

    @Override
    void start(GmqConfig engine) {
        gmq = Gmq.open(engine);
    }

    @Override
    GmqClient newClient(ClientConfig.Builder settings) {
        return EmbeddedGmqClient.over(
                settings.serverAddr(ClientConfig.EMBEDDED_PREFIX + gmq.config().dataDir())
                        .build(),
                gmq);
    }

    @Override
    void stop() {
        if (gmq != null) {
            gmq.close();
        }
    }
}
