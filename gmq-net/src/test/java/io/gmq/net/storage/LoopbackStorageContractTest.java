package io.gmq.net.storage;

import io.gmq.GmqConfig;
import io.gmq.net.server.GmqServer;
import io.gmq.storage.Storage;

/** The contract over real TCP: a storage server on 127.0.0.1, port 0, and {@link RemoteStorage#connect}. */
final class LoopbackStorageContractTest extends StorageContract {
    private GmqServer server;

    @Override
    Storage open(GmqConfig config) {
        server = GmqServer.storage(config, "127.0.0.1", 0);
        return RemoteStorage.connect("127.0.0.1:" + server.port(), config.maxBatchBytes() + 65536);
    }

    @Override
    void shutdown() {
        server.close();
    }
}
