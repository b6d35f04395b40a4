package io.gmq.net.client;

import io.gmq.Gmq;
import io.gmq.GmqConfig;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.client.internal.EmbeddedGmqClient;

/**
 * The contract against the embedded client: the reference behaviour. Every client shares one engine
 * (a data directory admits one engine at a time), as the members of one application would.
 */
final class EmbeddedClientContractTest extends GmqClientContract {
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
