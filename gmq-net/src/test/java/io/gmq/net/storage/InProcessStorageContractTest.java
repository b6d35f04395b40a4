package io.gmq.net.storage;

import io.gmq.GmqConfig;
import io.gmq.broker.Storages;
import io.gmq.storage.Storage;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;

/** The contract through {@link RemoteStorage} -> in-process gRPC -> {@link StorageService} -> Storage. */
final class InProcessStorageContractTest extends StorageContract {
    private Storage local;
    private Server server;

    @Override
    Storage open(GmqConfig config) throws Exception {
        local = Storages.openLocal(config);
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name)
                .directExecutor()
                .addService(new StorageService(local))
                .build()
                .start();
        ManagedChannel channel =
                InProcessChannelBuilder.forName(name).directExecutor().build();
        return new RemoteStorage(channel, true);
    }

    @Override
    void shutdown() {
        server.shutdownNow();
        local.close();
    }
}
