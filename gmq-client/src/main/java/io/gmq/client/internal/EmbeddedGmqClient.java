package io.gmq.client.internal;

import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;

/** Placeholder replaced once the embedded facade lands. */
public final class EmbeddedGmqClient {
    private EmbeddedGmqClient() {
    }

    public static GmqClient open(ClientConfig config) {
        throw new UnsupportedOperationException("embedded mode");
    }
}
