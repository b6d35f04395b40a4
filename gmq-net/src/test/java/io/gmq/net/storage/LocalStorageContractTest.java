package io.gmq.net.storage;

import io.gmq.GmqConfig;
import io.gmq.broker.Storages;
import io.gmq.storage.Storage;

/** The contract against {@link Storage} itself: the reference behaviour. */
final class LocalStorageContractTest extends StorageContract {
    @Override
    Storage open(GmqConfig config) {
        return Storages.openLocal(config);
    }
}
